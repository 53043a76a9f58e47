/**
 * The strategies' public surface, one explicit list (msw style): what is not here is internal.
 */

export { type CockatielStrategyOptions, cockatielStrategy } from './adapters/cockatiel.ts';
export { AttemptFailure, isAttemptFailure } from './adapters/common.ts';
export { openaiSdkStrategy } from './adapters/openai-sdk.ts';
export { OPENAI_SDK_DEFAULTS, type OpenAiSdkStrategyOptions } from './adapters/openai-sdk-options.ts';
export {
  type OpossumAction,
  type OpossumBreaker,
  type OpossumStrategyOptions,
  opossumStrategy,
} from './adapters/opossum.ts';
export {
  loadUserStrategy,
  type UserStrategyContext,
  type UserStrategyFunction,
  userStrategy,
} from './adapters/user-module.ts';
export {
  BACKOFF_KINDS,
  type Backoff,
  type BackoffSpec,
  type BackoffState,
  backoffSchedule,
  createBackoff,
  INITIAL_BACKOFF_STATE,
  JITTER_KINDS,
  type JitterKind,
} from './backoff/index.ts';
export {
  type BuildOptions,
  buildPolicies,
  buildStrategy,
  buildStrategySync,
  checkStrategies,
  checkStrategySync,
  pipelineStrategy,
} from './build.ts';
export {
  type ClassifyOptions,
  classify,
  DEFAULT_TRANSIENT_STATUSES,
  isRetryable,
  isUnrecoverable429,
} from './classify.ts';
export {
  ADAPTER_TYPES,
  type AdapterConfig,
  type BackoffConfig,
  type BudgetConfig,
  type ClassifyConfig,
  checkStrategyConfig,
  POLICY_TYPES,
  type PolicyConfig,
  type PolicyType,
  parseStrategyConfig,
  type StrategyConfig,
  type StrategyIssue,
} from './config.ts';
export { toLogicalOutcome } from './outcome.ts';
export { type BreakerPolicy, type BreakerState, consecutiveBreaker } from './policies/breaker.ts';
export { type RetryBudget, type RetryBudgetOptions, retryBudget } from './policies/budget.ts';
export { type BulkheadOptions, bulkhead } from './policies/bulkhead.ts';
export {
  DEFAULT_ROUTES,
  type FallbackOptions,
  type FallbackRoute,
  fallbackChain,
  type RouteKey,
} from './policies/fallback.ts';
export { type RateLimiterOptions, rateLimiter } from './policies/limiter.ts';
export { type QueueOptions, queuePolicy } from './policies/queue.ts';
export { type RetryOn, type RetryOptions, retryPolicy } from './policies/retry.ts';
export { type SamplingBreakerOptions, samplingBreaker } from './policies/sampling-breaker.ts';
export { type AdaptiveThrottleOptions, adaptiveThrottle, throttleProbability } from './policies/throttle.ts';
export { type TimeoutOptions, timeoutPolicy } from './policies/timeout.ts';
export {
  type Execution,
  isRejection,
  type Next,
  type Policy,
  type PolicyResult,
  type Rejection,
  sendStep,
  wrap,
} from './policy.ts';
export { PRESET_NAMES, PRESETS, type Preset, type PresetName, presetConfig } from './presets.ts';
export { estimateTokens, syntheticPrompt, type TokenEstimate } from './prompt.ts';
export { parseRetryAfterMs, type RetryAfterOptions, serverDelayMs } from './retry-after.ts';
export type {
  AttemptOptions,
  AttemptOutcome,
  ErrorClass,
  EventSink,
  LogicalOutcome,
  LogicalRequest,
  SendAttempt,
  Strategy,
  StrategyContext,
  StrategyEvent,
} from './types.ts';
