import type { Backoff, BackoffSpec } from './types.ts';

/** Retry at once. Still a backoff so retry code has one path; its cap is 0. */
export function noneBackoff(spec: Extract<BackoffSpec, { kind: 'none' }>): Backoff {
  return {
    spec,
    capMs: 0,
    next: (state) => ({ delayMs: 0, state: { retries: state.retries + 1, prevDelayMs: 0 } }),
  };
}
