import { createBackoff } from './backoff/index.ts';
import { type ClassifyOptions, classify } from './classify.ts';
import type { ErrorClassName, PolicyConfig, PolicyType } from './config.ts';
import { consecutiveBreaker } from './policies/breaker.ts';
import { retryBudget } from './policies/budget.ts';
import { bulkhead } from './policies/bulkhead.ts';
import { fallbackChain } from './policies/fallback.ts';
import { rateLimiter } from './policies/limiter.ts';
import { queuePolicy } from './policies/queue.ts';
import { retryPolicy } from './policies/retry.ts';
import { samplingBreaker } from './policies/sampling-breaker.ts';
import { adaptiveThrottle } from './policies/throttle.ts';
import { timeoutPolicy } from './policies/timeout.ts';
import { isRejection, type Policy, type PolicyResult } from './policy.ts';

/**
 * Policy name → factory: one line per policy. A new policy is its file, its config type and schema in
 * config.ts, and a line here. Each factory checks its own options and names the field (`where`) on error.
 */
export interface BuildContext {
  /** Prefix for error messages, e.g. `strategy "careful" policies[1]`. */
  where: string;
  /** The strategy's classification; a policy's own `classify` wins. */
  classify: ClassifyOptions | undefined;
  /** Position in the pipeline (distinct rng labels for two policies of one kind). */
  index: number;
}

type Builders = { [K in PolicyType]: (c: Extract<PolicyConfig, { type: K }>, b: BuildContext) => Policy };

export const POLICY_REGISTRY: Builders = {
  retry: (c, b) =>
    retryPolicy(
      {
        ...c,
        backoff: createBackoff(c.backoff, `${b.where}.backoff`),
        classify: c.classify ?? b.classify,
        budget: c.budget && retryBudget(c.budget, `${b.where}.budget`),
        label: `retry@${b.index}`,
      },
      b.where,
    ),
  timeout: (c, b) => timeoutPolicy(c, b.where),
  breaker: (c, b) =>
    consecutiveBreaker(
      {
        ...c,
        classify: c.classify ?? b.classify,
        countAsFailure: failOn(c.failOn, c.classify ?? b.classify),
      },
      b.where,
    ),
  'sampling-breaker': (c, b) =>
    samplingBreaker(
      {
        ...c,
        classify: c.classify ?? b.classify,
        countAsFailure: failOn(c.failOn, c.classify ?? b.classify),
      },
      b.where,
    ),
  bulkhead: (c, b) => bulkhead(c, b.where),
  throttle: (c, b) => adaptiveThrottle({ ...c, classify: c.classify ?? b.classify }, b.where),
  limiter: (c, b) => rateLimiter(c, b.where),
  queue: (c, b) => queuePolicy(c, b.where),
  fallback: (c, b) => fallbackChain({ ...c, classify: c.classify ?? b.classify }, b.where),
};

/** Builds one policy from its (checked) config. */
export function buildPolicy(config: PolicyConfig, context: BuildContext): Policy {
  const build = POLICY_REGISTRY[config.type] as (c: PolicyConfig, b: BuildContext) => Policy;
  return build(config, context);
}

/** A breaker's `failOn` classes as its countAsFailure predicate (undefined keeps the breaker's default). */
function failOn(
  classes: readonly ErrorClassName[] | undefined,
  options: ClassifyOptions | undefined,
): ((r: PolicyResult) => boolean) | undefined {
  if (!classes) return undefined;
  return (r) => {
    if (isRejection(r)) return false;
    const c = classify(r, options);
    return c !== 'success' && classes.includes(c);
  };
}
