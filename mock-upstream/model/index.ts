export { type RateLimitCheck, type RateLimitLevel, type RateLimitOutcome, RateLimits } from './buckets.ts';
export { type Admission, Capacity } from './capacity.ts';
export { AttemptCounters } from './counters.ts';
export { generatesText, isStreamFault, statusOf } from './decide.ts';
export { AttemptDraws, type UniformSource } from './draws.ts';
export { Journal, type JournalEntry, maskApiKey } from './journal.ts';
export { sampleLatencyMs, sampleLognormal, standardNormal, streamGapsMs } from './latency.ts';
export { renderPrometheus } from './metrics.ts';
export {
  MAX_OVERRIDES,
  type OverrideInput,
  type OverrideState,
  UpstreamModel,
  type UpstreamState,
} from './model.ts';
export {
  type ActiveEffects,
  type ActivePhase,
  MAX_INCIDENTS_PER_PROCESS,
  type PhaseSummary,
  Schedule,
  type ScopeTarget,
} from './schedule.ts';
