import type { ClassifyConfig, PolicyConfig } from './config.ts';

/**
 * Presets reproduce the real defaults of the libraries people use, as plain policy lists, so a report
 * can say "the openai SDK's defaults would have done this". Each entry cites where its numbers come from;
 * test/strategies/b/presets.test.ts checks them against those numbers. Where a library cannot be mirrored
 * exactly the difference is written down (`approximations`).
 *
 * To run a library itself rather than its numbers, use an adapter (`adapter: { type: openai-sdk }`).
 */
export interface Preset {
  description: string;
  /** Where the numbers come from. */
  source: string;
  approximations?: string;
  classify?: ClassifyConfig;
  policies: PolicyConfig[];
}

const ALL_5XX = Array.from({ length: 100 }, (_, i) => 500 + i);
const ALL_4XX = Array.from({ length: 100 }, (_, i) => 400 + i);
/** langchain-js AsyncCaller STATUS_NO_RETRY. */
const LANGCHAIN_NO_RETRY = [400, 401, 402, 403, 404, 405, 406, 407, 409];

export const PRESETS = {
  'openai-sdk': {
    description:
      'openai-node defaults: 2 retries, 0.5 s doubling to 8 s with up to 25% negative jitter, retry-after-ms / retry-after honoured up to 60 s, retries 408, 409, 429 (even insufficient_quota), ≥ 500 and connection errors; 10 min timeout',
    source:
      'openai-node v7.5 src/client.ts: maxRetries 2, DEFAULT_TIMEOUT 600000, shouldRetry, retryRequest (0 ≤ t ≤ 60 s), calculateDefaultRetryTimeoutMillis (0.5 · 2^n ≤ 8 s, × (1 − 0.25·random))',
    classify: {
      transientStatuses: [408, 409, 429, ...ALL_5XX],
      retryQuota429: true,
      honourShouldRetryHeader: true,
    },
    policies: [
      {
        type: 'retry',
        maxAttempts: 3,
        backoff: { kind: 'exponential', baseMs: 500, factor: 2, capMs: 8000, jitter: 'negative25' },
        retryAfter: { honour: true, maxMs: 60_000 },
      },
      { type: 'timeout', attemptTimeoutMs: 600_000 },
    ],
  },
  'vercel-ai-sdk': {
    description:
      'Vercel AI SDK defaults: 2 retries after 2 s then 4 s, no jitter, retry-after-ms / retry-after honoured under 60 s; retries 408, 409, 429, ≥ 500 and connection errors',
    source:
      'vercel/ai packages/ai/src/util/retry-with-exponential-backoff.ts: maxRetries 2, initialDelayInMs 2000, backoffFactor 2; getRetryDelayInMs (0 ≤ ms < 60 s); APICallError isRetryable (408, 409, 429, ≥ 500)',
    approximations:
      'the library has no delay cap; 60 s is set because every squall backoff has one (never reached with 2 retries)',
    classify: {
      transientStatuses: [408, 409, 429, ...ALL_5XX],
      retryQuota429: true,
      honourShouldRetryHeader: false,
    },
    policies: [
      {
        type: 'retry',
        maxAttempts: 3,
        backoff: { kind: 'exponential', baseMs: 2000, factor: 2, capMs: 60_000, jitter: 'none' },
        retryAfter: { honour: true, maxMs: 60_000 },
      },
    ],
  },
  'langchain-js': {
    description:
      'langchain-js AsyncCaller defaults: 6 retries with p-retry randomized backoff (1 s · 2^n · [1, 2)), never retrying 400–407, 409 or insufficient_quota',
    source:
      'langchain-core src/utils/async_caller.ts: maxRetries 6, pRetry({ retries, randomize: true }), STATUS_NO_RETRY [400..407, 409], insufficient_quota rethrown; p-retry defaults minTimeout 1000, factor 2',
    approximations: 'p-retry has no delay cap (maxTimeout Infinity); 1 h is set, never reached in 6 retries',
    classify: {
      clientStatuses: LANGCHAIN_NO_RETRY,
      transientStatuses: [...ALL_4XX.filter((s) => !LANGCHAIN_NO_RETRY.includes(s)), ...ALL_5XX],
      retryQuota429: false,
      honourShouldRetryHeader: false,
    },
    policies: [
      {
        type: 'retry',
        maxAttempts: 7,
        backoff: { kind: 'exponential', baseMs: 1000, factor: 2, capMs: 3_600_000, jitter: 'p-retry' },
      },
    ],
  },
  'aws-standard': {
    description:
      'AWS SDK standard retry mode: 3 attempts, full jitter (random · 2^n · 100 ms, ≤ 20 s), retry quota 500: a retry after a 429 (throttling) costs 5, after a 500/502/503/504, timeout or connection error (transient) 10; a first-try success refunds 1, a success after retries the last retry cost; 4xx other than 429 are not retried',
    // Checked against the source, smithy-lang/smithy-typescript:
    // - packages/util-retry/src/constants.ts: DEFAULT_RETRY_DELAY_BASE 100, THROTTLING_RETRY_DELAY_BASE 500,
    //   MAXIMUM_RETRY_DELAY 20000, INITIAL_RETRY_TOKENS 500, RETRY_COST 5, TIMEOUT_RETRY_COST 10,
    //   NO_RETRY_INCREMENT 1; config.ts DEFAULT_MAX_ATTEMPTS 3.
    // - packages/util-retry/src/StandardRetryStrategy.ts: getCapacityCost is
    //   `errorType === "TRANSIENT" ? TIMEOUT_RETRY_COST : RETRY_COST` (so THROTTLING costs 5, TRANSIENT 10);
    //   isRetryableError retries THROTTLING and TRANSIENT only (not SERVER_ERROR, not CLIENT_ERROR).
    // - packages/service-error-classification/src: isThrottlingError is status 429 (or a throttling code);
    //   isTransientError is TRANSIENT_ERROR_STATUS_CODES [500, 502, 503, 504], timeouts and connection
    //   errors (ECONNRESET, ECONNREFUSED, EPIPE, ETIMEDOUT, ENOTFOUND); any other 5xx is SERVER_ERROR.
    // - @smithy/middleware-retry retryMiddleware getRetryErrorType: throttling first, then transient.
    // The budget's timeoutCost is what squall charges for AWS's TRANSIENT (policies/retry.ts isAwsTransient).
    source:
      'smithy-lang/smithy-typescript packages/util-retry (constants.ts, StandardRetryStrategy.ts getCapacityCost / isRetryableError) and packages/service-error-classification (isThrottlingError: 429; isTransientError: 500, 502, 503, 504, timeouts, ECONNRESET/ECONNREFUSED/EPIPE/ETIMEDOUT)',
    approximations:
      'AWS uses a 500 ms base for throttling errors (429) and 100 ms otherwise; one base (100 ms) is used for all. AWS honours Retry-After as a floor on its own backoff; squall does not read it for this preset. StandardRetryStrategy.recordSuccess as read writes Math.max(INITIAL_RETRY_TOKENS, capacity + cost), which refills the quota on any success; squall refunds the cost up to the quota, the token bucket the constants describe. Other 5xx (AWS SERVER_ERROR, not retried) count as transient here: the mock upstream never sends them, and calling them client failures would mislabel them. AWS knows nothing of OpenAI quota codes, so quota 429s are retried',
    classify: {
      transientStatuses: [429, 500, 502, 503, 504],
      retryQuota429: true,
      honourShouldRetryHeader: false,
    },
    policies: [
      {
        type: 'retry',
        maxAttempts: 3,
        backoff: { kind: 'exponential', baseMs: 100, factor: 2, capMs: 20_000, jitter: 'full' },
        budget: { quota: 500, retryCost: 5, timeoutCost: 10, successRefund: 1 },
      },
    ],
  },
  'polly-v8': {
    description:
      'Polly v8 defaults: retry 3 times after a constant 2 s, no jitter; circuit breaker opening at a 10% failure ratio over 30 s with at least 100 calls, broken for 5 s',
    source:
      'Polly.Core RetryStrategyOptions (MaxRetryAttempts 3, Delay 2 s, BackoffType Constant, UseJitter false); CircuitBreakerStrategyOptions (FailureRatio 0.1, MinimumThroughput 100, SamplingDuration 30 s, BreakDuration 5 s)',
    approximations:
      'Polly handles every exception by default; here the breaker and retry count transient and network failures',
    policies: [
      { type: 'retry', maxAttempts: 4, backoff: { kind: 'fixed', delayMs: 2000 } },
      {
        type: 'sampling-breaker',
        failureRateThreshold: 0.1,
        windowMs: 30_000,
        minimumVolume: 100,
        openMs: 5000,
        halfOpenProbes: 1,
      },
    ],
  },
  resilience4j: {
    description:
      'resilience4j defaults: retry 3 attempts 500 ms apart; circuit breaker opening at a 50% failure rate with at least 100 calls, open for 60 s, 10 calls in half-open',
    source:
      'resilience4j RetryConfig (maxAttempts 3, waitDuration 500 ms); CircuitBreakerConfig (failureRateThreshold 50, slidingWindowSize 100, minimumNumberOfCalls 100, waitDurationInOpenState 60 s, permittedNumberOfCallsInHalfOpenState 10)',
    approximations:
      'resilience4j defaults to a count-based window of the last 100 calls; squall samples over time, so a 60 s window is used',
    policies: [
      { type: 'retry', maxAttempts: 3, backoff: { kind: 'fixed', delayMs: 500 } },
      {
        type: 'sampling-breaker',
        failureRateThreshold: 0.5,
        windowMs: 60_000,
        minimumVolume: 100,
        openMs: 60_000,
        halfOpenProbes: 10,
      },
    ],
  },
  'seed-article': {
    description:
      'The seed article: 3 retries with exponential backoff and full jitter (uniform(0, 2^n s)), Retry-After honoured, circuit breaker after 5 consecutive failures for 30 s with one half-open probe',
    source:
      '"How I Learned to Stop Worrying and Build Resilient OpenAI API Calls": "Maximum 3 retries", "time.sleep(random.uniform(0, 2**attempt))", "prioritises Retry-After", "5 consecutive failures open the circuit, 30-second timeout before half-open state, one test request"',
    approximations: "the article gives no delay cap; 60 s (the second seed article's cap) is used",
    policies: [
      { type: 'breaker', threshold: 5, openMs: 30_000, halfOpenProbes: 1 },
      {
        type: 'retry',
        maxAttempts: 4,
        backoff: { kind: 'exponential', baseMs: 1000, factor: 2, capMs: 60_000, jitter: 'full' },
        retryAfter: { honour: true, maxMs: 60_000 },
      },
    ],
  },
  'naive-fixed': {
    description: 'The anti-pattern: retry everything, 400s and 401s included, 5 times at a fixed 2 s',
    source:
      'the seed article: "my code dutifully retried five times with 2-second intervals" and "Their code used time.sleep(2)"',
    classify: { honourShouldRetryHeader: false },
    policies: [
      {
        type: 'retry',
        maxAttempts: 6,
        backoff: { kind: 'fixed', delayMs: 2000 },
        retryOn: ['transient', 'network', 'client'],
      },
    ],
  },
} satisfies Record<string, Preset>;

export type PresetName = keyof typeof PRESETS;

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/** A preset's policies and classification, as fresh plain data (callers may not mutate the table). */
export function presetConfig(name: PresetName): { classify?: ClassifyConfig; policies: PolicyConfig[] } {
  const preset: Preset = PRESETS[name];
  return structuredClone({
    ...(preset.classify ? { classify: preset.classify } : {}),
    policies: preset.policies,
  });
}
