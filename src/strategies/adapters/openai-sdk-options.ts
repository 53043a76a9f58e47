import { integerAtLeast, positive } from '../check.ts';
import type { ClassifyOptions } from '../classify.ts';

/**
 * The openai SDK adapter's options and their checks, apart from the adapter itself: checking a scenario
 * must not load the `openai` package (about 9 MB and 60 ms in every thread that does), only running a
 * strategy that uses it.
 */
export interface OpenAiSdkStrategyOptions {
  name?: string;
  /** The SDK's `maxRetries`; default 2, the SDK's own default. */
  maxRetries?: number;
  /** The SDK's `timeout` per attempt; default 600 000 ms (10 minutes), the SDK's own default. */
  timeoutMs?: number;
  /** How the final outcome is classified for reports (the SDK's retry decisions are its own). */
  classify?: ClassifyOptions;
}

export const OPENAI_SDK_DEFAULTS = Object.freeze({ maxRetries: 2, timeoutMs: 600_000 });

/** The options with their defaults, checked; throws ERR_SQUALL_STRATEGY naming `where` and the field. */
export function checkOpenAiSdkOptions(
  o: OpenAiSdkStrategyOptions,
  where: string,
): { maxRetries: number; timeoutMs: number } {
  const maxRetries = o.maxRetries ?? OPENAI_SDK_DEFAULTS.maxRetries;
  const timeoutMs = o.timeoutMs ?? OPENAI_SDK_DEFAULTS.timeoutMs;
  integerAtLeast(where, 'maxRetries', maxRetries, 0);
  positive(where, 'timeoutMs', timeoutMs);
  return { maxRetries, timeoutMs };
}
