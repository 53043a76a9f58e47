import { JITTERS } from './jitter.ts';
import type { Backoff, BackoffSpec } from './types.ts';

/** `base·factor^n`, capped, with one of the jitters people actually ship (see JitterKind). */
export function exponentialBackoff(spec: Extract<BackoffSpec, { kind: 'exponential' }>): Backoff {
  const { baseMs, capMs } = spec;
  const factor = spec.factor ?? 2;
  const jitterMs = spec.jitterMs ?? baseMs;
  const jitter = JITTERS[spec.jitter];
  return {
    spec,
    capMs,
    next: (state, rng) => {
      const expMs = baseMs * factor ** state.retries;
      const delayMs = jitter({ expMs, baseMs, capMs, prevDelayMs: state.prevDelayMs, jitterMs }, rng);
      return { delayMs, state: { retries: state.retries + 1, prevDelayMs: delayMs } };
    },
  };
}
