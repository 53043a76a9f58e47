import seedrandom from 'seedrandom';

/**
 * A seeded random stream. Streams are derived by label (`rng.fork('faults')`), so adding a consumer never
 * changes the draws another consumer sees (DESIGN: common random numbers).
 */
export class Rng {
  readonly seed: string;
  // sfc32 state: a small, fast generator (no closure call per draw); seeded through seedrandom's alea so
  // any string is a good seed.
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string | number, state?: readonly [number, number, number, number]) {
    this.seed = String(seed);
    this.a = this.b = this.c = this.d = 0;
    if (state) this.reset(state[0], state[1], state[2], state[3]);
    else {
      const alea = seedrandom.alea(this.seed);
      this.reset(alea.int32(), alea.int32(), alea.int32(), alea.int32());
    }
  }

  /**
   * A stream for one (seed, key) pair, cheap to make: for per-attempt draws on hot paths (content, ids),
   * where building a seedrandom generator per attempt would cost more than the work itself.
   */
  static keyed(seed: string, key: string): Rng {
    const s = `${seed}\u0000${key}`;
    return new Rng(s, [fnv(s, 0x811c9dc5), fnv(s, 0x01000193), mix(fnv(s, 0x9e3779b9)), s.length | 0]);
  }

  /** Restarts this stream from a raw sfc32 state (what `keyed` and `KeyedStreams` hash a key into). */
  reset(a: number, b: number, c: number, d: number): this {
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    for (let i = 0; i < 8; i++) this.next();
    return this;
  }

  /** A child stream whose draws depend only on this seed and the label. */
  fork(label: string): Rng {
    return new Rng(`${this.seed}/${label}`);
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Standard normal (Box-Muller; one draw pair per call keeps streams simple to reason about). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** Lognormal given its median and 99th percentile (how people describe latency). */
  lognormal(median: number, p99: number): number {
    const sigma = p99 > median ? Math.log(p99 / median) / 2.326_347_874 : 0;
    return median * Math.exp(sigma * this.normal());
  }
}

/**
 * `Rng.keyed(seed, prefix + key)` for a stream of keys, without allocating: the (seed, prefix) part is
 * hashed once, each key is folded in, and one generator is restarted in place. The Rng returned by `at`
 * is reused by the next call, so use it before asking for another key.
 */
export class KeyedStreams {
  private readonly lane1: number;
  private readonly lane2: number;
  private readonly lane3: number;
  private readonly baseLength: number;
  private readonly rng: Rng;

  constructor(seed: string, prefix: string) {
    const base = `${seed}\u0000${prefix}`;
    this.lane1 = fnvInto(0x811c9dc5, base);
    this.lane2 = fnvInto(0x01000193, base);
    this.lane3 = fnvInto(0x9e3779b9, base);
    this.baseLength = base.length;
    this.rng = new Rng(base, [0, 0, 0, 0]);
  }

  /** The same stream as `Rng.keyed(seed, prefix + key)`. */
  at(key: string): Rng {
    return this.rng.reset(
      fnvInto(this.lane1, key) >>> 0,
      fnvInto(this.lane2, key) >>> 0,
      mix(fnvInto(this.lane3, key) >>> 0),
      (this.baseLength + key.length) | 0,
    );
  }
}

/**
 * A counter-based draw: uniform in [0, 1) from (seed, key) alone, with no stream state. Used where a
 * decision must not depend on how many draws came before it (e.g. per logical request and attempt).
 */
export function hashUniform(seed: string, key: string): number {
  // FNV-1a 32 then a murmur3 finaliser, twice with different offsets for 53 bits. Hashes
  // `seed \0 key` and `key \0 seed` without building either string (this runs per attempt and per field).
  let a = 0x811c9dc5;
  let b = 0x01000193;
  a = fnvInto(fnvInto(fnvInto(a, seed), '\u0000'), key);
  b = fnvInto(fnvInto(fnvInto(b, key), '\u0000'), seed);
  return ((mix(a >>> 0) >>> 5) * 67108864 + (mix(b >>> 0) >>> 6)) / 9007199254740992;
}

/**
 * Counter-based draws for several named fields of one (seed, key): `seed` and `key` are hashed once, then
 * each field only. A family of its own (not equal to hashUniform(seed, key + field)), as independent.
 */
export function fieldUniforms(seed: string, key: string): (field: string) => number {
  const a = fnvInto(fnvInto(fnvInto(0x811c9dc5, seed), '\u0000'), key);
  const b = fnvInto(fnvInto(fnvInto(0x01000193, key), '\u0000'), seed);
  return (field) =>
    ((mix(fnvInto(a, field) >>> 0) >>> 5) * 67108864 + (mix(fnvInto(b, field) >>> 0) >>> 6)) /
    9007199254740992;
}

function fnvInto(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

/** FNV-1a 32 of `s` from `basis` (also used by the model's per-attempt draws). */
export function fnv(s: string, basis: number): number {
  return fnvInto(basis >>> 0, s) >>> 0;
}

/** murmur3's 32-bit finaliser. */
export function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
