import type { Rng } from '../../sim/rng.ts';
import type { JitterKind } from './types.ts';

/** What a jitter function sees: the uncapped exponential value and the knobs around it. */
export interface JitterInput {
  /** `base·factor^n`, uncapped (may be Infinity for large n). */
  expMs: number;
  baseMs: number;
  capMs: number;
  prevDelayMs: number;
  jitterMs: number;
}

/** One line per kind; each is a pure function of its input and the rng, and never exceeds the cap. */
export const JITTERS: Record<JitterKind, (x: JitterInput, rng: Rng) => number> = {
  none: (x) => Math.min(x.capMs, x.expMs),
  full: (x, rng) => rng.uniform(0, Math.min(x.capMs, x.expMs)),
  equal: (x, rng) => {
    const half = Math.min(x.capMs, x.expMs) / 2;
    return half + rng.uniform(0, half);
  },
  decorrelated: (x, rng) => {
    const prev = x.prevDelayMs > 0 ? x.prevDelayMs : x.baseMs;
    return Math.min(x.capMs, rng.uniform(x.baseMs, Math.max(x.baseMs, prev * 3)));
  },
  additive: (x, rng) => Math.min(x.capMs, x.expMs + rng.uniform(0, x.jitterMs)),
  negative25: (x, rng) => Math.min(x.capMs, x.expMs) * (1 - 0.25 * rng.next()),
  'p-retry': (x, rng) => Math.min(x.capMs, Math.round(x.expMs * (1 + rng.next()))),
};
