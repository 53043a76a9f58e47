import type { Backoff, BackoffSpec } from './types.ts';

/** The same wait every time: the first seed article's `time.sleep(2)`, and the thundering herd it causes. */
export function fixedBackoff(spec: Extract<BackoffSpec, { kind: 'fixed' }>): Backoff {
  const { delayMs } = spec;
  return {
    spec,
    capMs: delayMs,
    next: (state) => ({ delayMs, state: { retries: state.retries + 1, prevDelayMs: delayMs } }),
  };
}
