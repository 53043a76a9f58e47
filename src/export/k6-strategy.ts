import { SquallError } from '../errors.ts';
import { DEFAULT_TRANSIENT_STATUSES } from '../strategies/classify.ts';
import type {
  BackoffConfig,
  BudgetConfig,
  ClassifyConfig,
  ErrorClassName,
  PolicyConfig,
  StrategyConfig,
} from '../strategies/config.ts';
import {
  DEFAULT_ROUTES,
  type FallbackAction,
  ROUTE_KEYS,
  type RouteKey,
} from '../strategies/policies/fallback.ts';
import { presetConfig } from '../strategies/presets.ts';

/**
 * A squall strategy as the plain data the generated k6 script's and locustfile's runtimes read (`STRATEGY`).
 * k6 has no retry, breaker or budget of its own, so the script carries a small interpreter of this
 * shape; everything the interpreter cannot honour is refused here (or, with `approximate`, dropped and
 * written down), so the script never claims more than it does.
 */
export interface K6Classify {
  transientStatuses: number[];
  clientStatuses: number[];
  retryQuota429: boolean;
  honourShouldRetryHeader: boolean;
}

/**
 * Where a breaker sits: 'request' wraps everything below it (the fallback chain, or the retry loop);
 * 'model' sits between a fallback chain and the retry loop (it sees each model's retry loop once);
 * 'attempt' is inside the retry loop.
 */
export type K6BreakerScope = 'request' | 'model' | 'attempt';

export type K6Breaker =
  | {
      kind: 'consecutive';
      scope: K6BreakerScope;
      threshold: number;
      openMs: number;
      halfOpenProbes: number;
      failOn: ErrorClassName[];
    }
  | {
      kind: 'rate';
      scope: K6BreakerScope;
      failureRateThreshold: number;
      windowMs: number;
      minimumVolume: number;
      openMs: number;
      halfOpenProbes: number;
      failOn: ErrorClassName[];
    };

/** One fallback route with squall's defaults filled in (fallback.ts DEFAULT_ROUTES, 2 retries). */
export interface K6FallbackRoute {
  action: FallbackAction;
  retries: number;
  backoff: BackoffConfig | null;
}

/** A model fallback chain (policies/fallback.ts): it wraps the retry loop, once per model and route retry. */
export interface K6Fallback {
  models: string[];
  routes: Record<RouteKey, K6FallbackRoute>;
  classify: K6Classify;
}

export interface K6StrategySpec {
  name: string;
  /** Attempts in total, the first included; 1 without a retry policy. */
  maxAttempts: number;
  backoff: BackoffConfig;
  retryOn: ErrorClassName[];
  retryAfter: { honour: boolean; maxMs: number; overMax: 'backoff' | 'clamp' } | null;
  /** k6's per-request `timeout` (k6 defaults to 60 s, squall to none: the request deadline bounds it). */
  attemptTimeoutMs: number;
  /** The logical request's deadline, from the start of its iteration. */
  deadlineMs: number;
  classify: K6Classify;
  breaker: K6Breaker | null;
  budget: BudgetConfig | null;
  fallback: K6Fallback | null;
}

export interface StrategyTranslation {
  spec: K6StrategySpec;
  /** Human lines for the script header. */
  exact: string[];
  approximations: string[];
  /** Policies left out (only with `approximate`). */
  dropped: string[];
}

export interface TranslateOptions {
  requestDeadlineMs: number;
  /** Drop policies the script cannot reproduce (listed in the header) instead of refusing. */
  approximate?: boolean;
  /** The engine the spec is for, in messages and in where a breaker or budget lives. Default k6. */
  engine?: 'k6' | 'locust';
}

/** Where per-client state (a breaker, a retry budget) lives in each engine, for the header. */
const STATE_HOME = {
  k6: {
    budget:
      'retry budget: one budget per virtual user (squall shares one across the whole strategy), so retries are cut later than in squall',
    breaker:
      "circuit breaker: k6 VUs share no memory, so each virtual user has its own breaker (squall has one per strategy). Each sees only its own requests, so it opens later and probes more often; breaker_opened counts every VU's openings",
  },
  locust: {
    budget:
      'retry budget: one budget per Locust worker process (squall shares one across the whole strategy), so with several workers retries are cut later than in squall',
    breaker:
      "circuit breaker: one per Locust worker process, shared by that process's requests (squall has one per strategy); with several workers each sees only its share of the traffic, so it opens later; breaker_opened sums every worker's openings",
  },
} as const;

/** Policies k6 cannot reproduce: they pace or cap traffic across requests, and VUs share no state. */
const NEEDS_SHARED_STATE: Partial<Record<PolicyConfig['type'], string>> = {
  bulkhead: 'a bulkhead caps concurrency across requests',
  queue: 'a worker queue paces requests across the whole client',
  limiter: 'a client-side rate limiter paces requests across the whole client',
  throttle: 'adaptive throttling counts requests across the whole client',
};

/** Why a strategy cannot be exported at all (a module adapter), or null. */
export function unexportableReason(config: StrategyConfig): string | null {
  const a = config.adapter;
  if (a && a.type !== 'openai-sdk')
    return `its ${a.type} adapter runs code from ${a.path} inside squall, which an exported script cannot load`;
  return null;
}

export function translateStrategy(config: StrategyConfig, options: TranslateOptions): StrategyTranslation {
  const label = `strategy "${config.name}"`;
  const engine = options.engine ?? 'k6';
  const reason = unexportableReason(config);
  if (reason) {
    throw new SquallError('ERR_SQUALL_STRATEGY', `${label} cannot be exported to ${engine}: ${reason}`, {
      hint: 'export another strategy with --strategy NAME, or write it as policies or a preset',
    });
  }
  const exact: string[] = [];
  const approximations: string[] = [];
  const dropped: string[] = [];
  const { policies, classify, source } = expandForK6(config);
  exact.push(`strategy "${config.name}" (${source})`);

  const spec: K6StrategySpec = {
    name: config.name,
    maxAttempts: 1,
    backoff: { kind: 'none' },
    retryOn: ['transient', 'network'],
    retryAfter: null,
    attemptTimeoutMs: options.requestDeadlineMs,
    deadlineMs: options.requestDeadlineMs,
    classify: classifyOf(classify),
    breaker: null,
    budget: null,
    fallback: null,
  };

  const unsupported: string[] = [];
  const retryIndex = policies.findIndex((p) => p.type === 'retry');
  const fallbackIndex = policies.findIndex((p) => p.type === 'fallback');
  let retries = 0;
  let breakers = 0;
  let fallbacks = 0;
  policies.forEach((p, i) => {
    const where = `policies[${i}] (${p.type})`;
    const why = NEEDS_SHARED_STATE[p.type];
    if (why) {
      unsupported.push(`${where}: ${why}`);
      return;
    }
    switch (p.type) {
      case 'retry': {
        if (++retries > 1) {
          unsupported.push(`${where}: only one retry policy per strategy is exported`);
          return;
        }
        spec.maxAttempts = p.maxAttempts;
        spec.backoff = p.backoff;
        if (p.retryOn) spec.retryOn = p.retryOn;
        if (p.retryAfter)
          spec.retryAfter = {
            honour: p.retryAfter.honour,
            maxMs: p.retryAfter.maxMs,
            overMax: p.retryAfter.overMax ?? 'backoff',
          };
        if (p.classify) spec.classify = classifyOf({ ...classify, ...p.classify });
        exact.push(
          `retry: ${p.maxAttempts} attempts in all, ${describeBackoff(p.backoff)}${p.retryAfter?.honour ? `, Retry-After honoured up to ${p.retryAfter.maxMs} ms` : ''}`,
        );
        if (p.budget) {
          spec.budget = p.budget;
          approximations.push(STATE_HOME[engine].budget);
        }
        if (p.shorterTimeout) {
          unsupported.push(`${where}: retry with a shorter timeout is not exported`);
        }
        return;
      }
      case 'timeout': {
        const inside = retryIndex >= 0 && i > retryIndex;
        if (p.attemptTimeoutMs !== undefined) {
          if (inside || retryIndex < 0) {
            spec.attemptTimeoutMs = Math.min(spec.attemptTimeoutMs, p.attemptTimeoutMs);
            exact.push(
              `timeout: ${p.attemptTimeoutMs} ms per attempt (${engine === 'k6' ? "k6's request timeout" : 'a gevent.Timeout around the whole attempt'})`,
            );
          } else {
            // Outside the retry loop a per-attempt timeout bounds the whole sequence: a deadline.
            spec.deadlineMs = Math.min(spec.deadlineMs, p.attemptTimeoutMs);
            approximations.push(
              `timeout outside the retry: ${p.attemptTimeoutMs} ms bounds the whole retry loop; ${engine} cannot cut an attempt already in flight at that moment, so the last attempt may run past it`,
            );
          }
        }
        if (p.deadlineMs !== undefined) {
          spec.deadlineMs = Math.min(spec.deadlineMs, p.deadlineMs);
          exact.push(`deadline: ${p.deadlineMs} ms per logical request (no retry starts past it)`);
        }
        return;
      }
      case 'breaker':
      case 'sampling-breaker': {
        if (++breakers > 1) {
          unsupported.push(`${where}: only one breaker per strategy is exported`);
          return;
        }
        const scope: K6BreakerScope =
          fallbackIndex >= 0 && i < fallbackIndex
            ? 'request'
            : retryIndex >= 0 && i < retryIndex
              ? fallbackIndex >= 0
                ? 'model'
                : 'request'
              : 'attempt';
        const failOn = p.failOn ?? ['transient', 'network'];
        spec.breaker =
          p.type === 'breaker'
            ? {
                kind: 'consecutive',
                scope,
                threshold: p.threshold,
                openMs: p.openMs,
                halfOpenProbes: p.halfOpenProbes ?? 1,
                failOn,
              }
            : {
                kind: 'rate',
                scope,
                failureRateThreshold: p.failureRateThreshold,
                windowMs: p.windowMs,
                minimumVolume: p.minimumVolume,
                openMs: p.openMs,
                halfOpenProbes: p.halfOpenProbes ?? 1,
                failOn,
              };
        approximations.push(STATE_HOME[engine].breaker);
        return;
      }
      case 'fallback': {
        if (++fallbacks > 1) {
          unsupported.push(`${where}: only one fallback chain per strategy is exported`);
          return;
        }
        if (retryIndex >= 0 && retryIndex < i) {
          // squall would run the whole chain once per retry; the script's chain only wraps the retry loop.
          unsupported.push(`${where}: a fallback chain inside a retry policy is not exported (put it first)`);
          return;
        }
        spec.fallback = {
          models: [...p.models],
          routes: fallbackRoutes(p.routes ?? {}),
          classify: p.classify ? classifyOf(p.classify) : classifyOf(classify),
        };
        exact.push(`fallback chain: ${p.models.join(' → ')}, ${describeRoutes(spec.fallback.routes)}`);
        return;
      }
    }
  });
  if (unsupported.length > 0) {
    if (!options.approximate) {
      throw new SquallError(
        'ERR_SQUALL_STRATEGY',
        `${label} cannot be exported to ${engine}:\n${unsupported.map((u) => `  ${u}`).join('\n')}`,
        {
          hint: 'pass --approximate to export it without those policies (the script header lists them), or export another strategy with --strategy NAME',
        },
      );
    }
    dropped.push(...unsupported);
  }
  return { spec, exact, approximations, dropped };
}

/** The preset's or the strategy's own policies; the openai-sdk adapter becomes its preset's numbers. */
function expandForK6(config: StrategyConfig): {
  policies: PolicyConfig[];
  classify: ClassifyConfig | undefined;
  source: string;
} {
  const merge = (a: ClassifyConfig | undefined, b: ClassifyConfig | undefined) =>
    a || b ? { ...a, ...b } : undefined;
  if (config.adapter?.type === 'openai-sdk') {
    const preset = presetConfig('openai-sdk');
    const a = config.adapter;
    const policies = preset.policies.map((p): PolicyConfig => {
      if (p.type === 'retry' && a.maxRetries !== undefined) return { ...p, maxAttempts: a.maxRetries + 1 };
      if (p.type === 'timeout' && a.timeoutMs !== undefined) return { ...p, attemptTimeoutMs: a.timeoutMs };
      return p;
    });
    return {
      policies,
      classify: merge(preset.classify, config.classify),
      source: "the openai SDK adapter, exported as the openai-sdk preset's numbers",
    };
  }
  if (config.preset) {
    const preset = presetConfig(config.preset);
    return {
      policies: preset.policies,
      classify: merge(preset.classify, config.classify),
      source: `preset ${config.preset}`,
    };
  }
  const n = config.policies?.length ?? 0;
  return {
    policies: config.policies ?? [],
    classify: config.classify,
    source: n === 0 ? 'a single attempt, no resilience' : `${n} ${n === 1 ? 'policy' : 'policies'}`,
  };
}

function classifyOf(c: ClassifyConfig | undefined): K6Classify {
  return {
    transientStatuses: [...(c?.transientStatuses ?? DEFAULT_TRANSIENT_STATUSES)],
    clientStatuses: [...(c?.clientStatuses ?? [])],
    retryQuota429: c?.retryQuota429 ?? false,
    honourShouldRetryHeader: c?.honourShouldRetryHeader ?? true,
  };
}

/** squall's route table: each route given, or the seed article's default; retries default to 2. */
export function fallbackRoutes(
  given: Partial<Record<RouteKey, { action: FallbackAction; retries?: number; backoff?: BackoffConfig }>>,
): Record<RouteKey, K6FallbackRoute> {
  const out = {} as Record<RouteKey, K6FallbackRoute>;
  for (const key of ROUTE_KEYS) {
    const r = given[key] ?? DEFAULT_ROUTES[key];
    out[key] = { action: r.action, retries: r.retries ?? 2, backoff: r.backoff ?? null };
  }
  return out;
}

function describeRoutes(routes: Record<RouteKey, K6FallbackRoute>): string {
  const one = (key: RouteKey) => {
    const r = routes[key];
    if (r.action === 'fallback') return `${key} → next model`;
    if (r.action === 'fail') return `${key} → fail`;
    const wait = r.backoff ? `, ${describeBackoff(r.backoff)}` : '';
    return `${key} → ${r.retries} ${r.retries === 1 ? 'retry' : 'retries'}${wait}, then next model`;
  };
  return `routed per error (${ROUTE_KEYS.map(one).join('; ')}); fallback_exhausted counts requests that ran out of models`;
}

function describeBackoff(b: BackoffConfig): string {
  switch (b.kind) {
    case 'none':
      return 'no wait between attempts';
    case 'fixed':
      return `a fixed ${b.delayMs} ms wait`;
    case 'linear':
      return `linear backoff from ${b.baseMs} ms (cap ${b.capMs} ms)`;
    case 'exponential':
      return `exponential backoff from ${b.baseMs} ms ×${b.factor ?? 2} (cap ${b.capMs} ms, ${b.jitter} jitter)`;
  }
}
