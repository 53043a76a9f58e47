import seedrandom from 'seedrandom';

/**
 * A seeded random stream. Streams are derived by label (`rng.fork('faults')`), so adding a consumer never
 * changes the draws another consumer sees (DESIGN: common random numbers).
 */
export class Rng {
  readonly seed: string;
  private readonly gen: seedrandom.PRNG;

  constructor(seed: string | number) {
    this.seed = String(seed);
    this.gen = seedrandom.alea(this.seed);
  }

  /** A child stream whose draws depend only on this seed and the label. */
  fork(label: string): Rng {
    return new Rng(`${this.seed}/${label}`);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.gen();
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.gen();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.gen() * n);
  }

  chance(p: number): boolean {
    return this.gen() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Standard normal (Box-Muller; one draw pair per call keeps streams simple to reason about). */
  normal(): number {
    const u = 1 - this.gen();
    const v = this.gen();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.gen());
  }

  /** Lognormal given its median and 99th percentile (how people describe latency). */
  lognormal(median: number, p99: number): number {
    const sigma = p99 > median ? Math.log(p99 / median) / 2.326_347_874 : 0;
    return median * Math.exp(sigma * this.normal());
  }

  /** n lowercase hex digits. */
  hex(n: number): string {
    let s = '';
    while (s.length < n)
      s += Math.floor(this.gen() * 0x1_0000_0000)
        .toString(16)
        .padStart(8, '0');
    return s.slice(0, n);
  }
}

/**
 * A counter-based draw: uniform in [0, 1) from (seed, key) alone, with no stream state. Used where a
 * decision must not depend on how many draws came before it (e.g. per logical request and attempt).
 */
export function hashUniform(seed: string, key: string): number {
  // FNV-1a 32 then a murmur3 finaliser, twice with different offsets for 53 bits.
  const h1 = mix(fnv(`${seed}\u0000${key}`, 0x811c9dc5));
  const h2 = mix(fnv(`${key}\u0000${seed}`, 0x01000193));
  return ((h1 >>> 5) * 67108864 + (h2 >>> 6)) / 9007199254740992;
}

function fnv(s: string, basis: number): number {
  let h = basis >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
