import type { Rng } from '../../sim/rng.ts';

/**
 * A backoff is an immutable value (cockatiel style): `next(state, rng)` returns the delay before the next
 * retry and the state after it, and jitter is a pure function of (state, rng). The same seed therefore
 * gives the same delays, and one backoff value can serve every logical request at once.
 */
export interface BackoffState {
  /** Retries already scheduled for this logical request (0 before the first retry). */
  readonly retries: number;
  /** The previous delay (decorrelated jitter grows from it); 0 before the first retry. */
  readonly prevDelayMs: number;
}

export interface Backoff {
  next(state: BackoffState, rng: Rng): { delayMs: number; state: BackoffState };
  /** No delay this backoff returns is ever larger. */
  readonly capMs: number;
  /** The validated spec it was built from (reports show it). */
  readonly spec: BackoffSpec;
}

export const INITIAL_BACKOFF_STATE: BackoffState = Object.freeze({ retries: 0, prevDelayMs: 0 });

export const JITTER_KINDS = [
  'none',
  'full',
  'equal',
  'decorrelated',
  'additive',
  'negative25',
  'p-retry',
] as const;

/**
 * - none: `min(cap, base·factor^n)`
 * - full (AWS): `uniform(0, min(cap, base·factor^n))`
 * - equal (AWS): half of that, plus `uniform(0, half)`
 * - decorrelated (AWS): `min(cap, uniform(base, 3·prev))`, prev starting at base; ignores factor
 * - additive (second seed article, `min(2**n + uniform(0, 1), 60)`): `min(cap, base·factor^n + uniform(0, jitterMs))`
 * - negative25 (openai SDK): `min(cap, base·factor^n) · (1 − 0.25·u)`: only ever shortens, by at most 25%
 * - p-retry (langchain-js): `min(cap, round(base·factor^n · (1 + u)))`, i.e. randomised factor in [1, 2)
 */
export type JitterKind = (typeof JITTER_KINDS)[number];

export const BACKOFF_KINDS = ['none', 'fixed', 'linear', 'exponential'] as const;

export type BackoffSpec =
  | { kind: 'none' }
  | { kind: 'fixed'; delayMs: number }
  /** `min(cap, base + step·n)`; step defaults to base. */
  | { kind: 'linear'; baseMs: number; stepMs?: number; capMs: number }
  | {
      kind: 'exponential';
      baseMs: number;
      /** Growth per retry; default 2. */
      factor?: number;
      capMs: number;
      jitter: JitterKind;
      /** Additive jitter only: the most it adds; default baseMs. */
      jitterMs?: number;
    };
