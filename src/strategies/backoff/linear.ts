import type { Backoff, BackoffSpec } from './types.ts';

/** `min(cap, base + step·n)`: grows, but without exponential's reach. */
export function linearBackoff(spec: Extract<BackoffSpec, { kind: 'linear' }>): Backoff {
  const { baseMs, capMs } = spec;
  const stepMs = spec.stepMs ?? baseMs;
  return {
    spec,
    capMs,
    next: (state) => {
      const delayMs = Math.min(capMs, baseMs + stepMs * state.retries);
      return { delayMs, state: { retries: state.retries + 1, prevDelayMs: delayMs } };
    },
  };
}
