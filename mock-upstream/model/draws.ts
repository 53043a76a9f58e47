import { fnv, mix } from '../../src/sim/rng.ts';
/**
 * Counter-based per-attempt randomness for the hot path.
 *
 * A decision must depend only on (seed, attempt key), never on which front asked or how many attempts came
 * before, so each attempt gets its own short stream. Allocating a seedrandom generator per attempt is too
 * slow for a server doing >10k req/s, so instead one `AttemptDraws` is reseeded per attempt: the seed is
 * hashed once at construction, the key is folded in per attempt (FNV-1a, two lanes, murmur3 finaliser) and
 * the result seeds sfc32, a small fast generator with good statistical quality.
 */

/** The only thing the samplers need from a random source; `Rng` satisfies it too. */
export interface UniformSource {
  /** Uniform in [0, 1). */
  next(): number;
}

/** Independent sub-streams of one attempt, so e.g. the completion length does not shift when the latency spec changes. */
export const DRAW_STREAM = {
  latency: 1,
  tokens: 2,
  gaps: 3,
  rtt: 4,
  faultLatency: 5,
  retryAfter: 6,
} as const;

export class AttemptDraws implements UniformSource {
  private readonly seedLane1: number;
  private readonly seedLane2: number;
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;
  /** The key last hashed and its two lanes: an attempt reseeds several sub-streams with the same key. */
  private lastKey: string | undefined;
  private keyLane1 = 0;
  private keyLane2 = 0;
  /** Set by reseed, done on the first draw: many attempts never draw from a sub-stream (a fixed latency). */
  private pendingKey: string | undefined;
  private pendingStream = 0;

  constructor(seed: string) {
    this.seedLane1 = fnv(seed, 0x811c9dc5);
    this.seedLane2 = fnv(seed, 0x050c5d1f);
  }

  /** Positions this source at the start of sub-stream `stream` of the attempt named `key`. */
  reseed(key: string, stream: number): this {
    this.pendingKey = key;
    this.pendingStream = stream;
    return this;
  }

  next(): number {
    if (this.pendingKey !== undefined) this.seedNow(this.pendingKey, this.pendingStream);
    return this.step() / 4294967296;
  }

  private seedNow(key: string, stream: number): void {
    this.pendingKey = undefined;
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.keyLane1 = fnv(key, this.seedLane1);
      this.keyLane2 = fnv(key, this.seedLane2);
    }
    const h1 = mix((this.keyLane1 ^ Math.imul(stream, 0x9e3779b9)) >>> 0);
    const h2 = mix((this.keyLane2 ^ Math.imul(stream, 0x85ebca6b)) >>> 0);
    this.a = h1;
    this.b = h2;
    this.c = mix(h1 ^ 0x6a09e667 ^ stream);
    this.d = 1;
    // sfc32 needs a few rounds before nearby seeds decorrelate.
    for (let i = 0; i < 12; i++) this.step();
  }

  private step(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
}
