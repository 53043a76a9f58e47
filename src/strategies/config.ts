import { SquallError } from '../errors.ts';
import { parseDurationMs } from '../util/duration.ts';
import { editDistance } from '../util/suggest.ts';
import { type BACKOFF_KINDS, type BackoffSpec, JITTER_KINDS } from './backoff/index.ts';
import { FALLBACK_ACTIONS, type FallbackAction, ROUTE_KEYS, type RouteKey } from './policies/fallback.ts';
import { TOKEN_ESTIMATES } from './policies/limiter.ts';
import { WHEN_FULL } from './policies/queue.ts';
import { PRESET_NAMES, type PresetName } from './presets.ts';

/**
 * A strategy as plain data, the way a scenario file writes it:
 *
 * ```yaml
 * strategies:
 *   - name: careful
 *     policies:
 *       - { type: breaker, threshold: 5, openMs: 30s }
 *       - { type: retry, maxAttempts: 4, backoff: { kind: exponential, baseMs: 1s, capMs: 60s, jitter: full } }
 *       - { type: timeout, attemptTimeoutMs: 30s }
 *   - { name: sdk-defaults, preset: openai-sdk }
 *   - { name: real-sdk, adapter: { type: openai-sdk } }
 * ```
 *
 * Exactly one of `preset`, `policies` or `adapter`; none at all means a single attempt with no
 * resilience (a baseline). `policies` are listed outermost first. Every `...Ms` field takes milliseconds
 * or a duration string (`500ms`, `30s`, `1m30s`). `classify` sets how outcomes are classified for the
 * whole strategy; a policy's own `classify` wins for that policy.
 *
 * {@link checkStrategyConfig} validates the shape (unknown names and fields with a "did you mean" hint,
 * wrong types, durations) and returns every problem at once; the numeric rules (≥ 0, > 0, integers) are
 * checked by the policy factories themselves when the strategy is built (see build.ts), so each rule
 * lives in one place. Every message names the strategy and the field path.
 */
export type ErrorClassName = 'transient' | 'network' | 'client';

export interface ClassifyConfig {
  transientStatuses?: number[];
  clientStatuses?: number[];
  retryQuota429?: boolean;
  honourShouldRetryHeader?: boolean;
}

/** A backoff in a config is exactly the backoff spec the factories take. */
export type BackoffConfig = BackoffSpec;

export type BudgetConfig =
  | { quota: number; retryCost: number; timeoutCost: number; successRefund: number }
  | { maxTokens: number; tokenRatio: number };

export interface RetryConfig {
  type: 'retry';
  maxAttempts: number;
  backoff: BackoffConfig;
  retryOn?: ErrorClassName[];
  retryAfter?: { honour: boolean; maxMs: number; overMax?: 'backoff' | 'clamp' };
  shorterTimeout?: { factor: number; minMs: number; initialMs?: number };
  budget?: BudgetConfig;
  classify?: ClassifyConfig;
}

export interface TimeoutConfig {
  type: 'timeout';
  attemptTimeoutMs?: number;
  deadlineMs?: number;
}

export interface BreakerConfig {
  type: 'breaker';
  threshold: number;
  openMs: number;
  halfOpenProbes?: number;
  /** Which outcome classes count as failures; default transient and network (never 400s). */
  failOn?: ErrorClassName[];
  classify?: ClassifyConfig;
}

export interface SamplingBreakerConfig {
  type: 'sampling-breaker';
  failureRateThreshold: number;
  windowMs: number;
  minimumVolume: number;
  openMs: number;
  halfOpenProbes?: number;
  buckets?: number;
  failOn?: ErrorClassName[];
  classify?: ClassifyConfig;
}

export interface BulkheadConfig {
  type: 'bulkhead';
  maxConcurrent: number;
  maxQueue?: number;
  maxWaitMs?: number;
}

export interface ThrottleConfig {
  type: 'throttle';
  k: number;
  windowMs: number;
  buckets?: number;
  classify?: ClassifyConfig;
}

export interface LimiterConfig {
  type: 'limiter';
  requestsPerMin?: number;
  tokensPerMin?: number;
  tokenEstimate?: 'chars4' | 'tokenizer';
  burstSeconds?: number;
  lowRemainingFraction?: number;
  pauseAfter429Ms?: number;
  maxWaitMs: number;
}

export interface QueueConfig {
  type: 'queue';
  workers: number;
  maxQueue: number;
  ratePerSec?: number;
  whenFull: 'reject' | 'wait';
  maxWaitMs: number;
}

export interface FallbackConfig {
  type: 'fallback';
  models: string[];
  routes?: Partial<Record<RouteKey, { action: FallbackAction; retries?: number; backoff?: BackoffConfig }>>;
  classify?: ClassifyConfig;
}

export type PolicyConfig =
  | RetryConfig
  | TimeoutConfig
  | BreakerConfig
  | SamplingBreakerConfig
  | BulkheadConfig
  | ThrottleConfig
  | LimiterConfig
  | QueueConfig
  | FallbackConfig;

export type PolicyType = PolicyConfig['type'];

export type AdapterConfig =
  /** The official openai SDK's own retry loop (see adapters/openai-sdk.ts). */
  | { type: 'openai-sdk'; maxRetries?: number; timeoutMs?: number }
  /** A user's module exporting a strategy function (see adapters/user-module.ts). */
  | { type: 'module'; path: string; export?: string }
  /** A module exporting a cockatiel policy, or a function returning one. */
  | { type: 'cockatiel'; path: string; export?: string }
  /** A module exporting a function `(action) => new CircuitBreaker(action, options)`, or opossum options. */
  | { type: 'opossum'; path: string; export?: string };

export type AdapterType = AdapterConfig['type'];

export interface StrategyConfig {
  name: string;
  description?: string;
  preset?: PresetName;
  policies?: PolicyConfig[];
  adapter?: AdapterConfig;
  classify?: ClassifyConfig;
}

export interface StrategyIssue {
  /** Field path inside the strategy, e.g. `policies[1].backoff.jitter` (empty for the strategy itself). */
  path: string;
  message: string;
  hint?: string;
}

// ---------------------------------------------------------------------------------------------------
// The shape, as data: one schema per object, so the checker below stays generic.

type Field =
  | { t: 'number' }
  | { t: 'duration' }
  | { t: 'boolean' }
  | { t: 'string' }
  | { t: 'enum'; of: readonly string[]; label: string }
  | { t: 'list'; of: Field }
  | { t: 'object'; schema: Schema }
  | { t: 'union'; on: string; label: string; variants: Record<string, Schema> }
  | { t: 'map'; keys: readonly string[]; label: string; value: Field };

interface Schema {
  /** What the object is, for hints ("fields of a retry policy: ..."). */
  what: string;
  fields: Record<string, Field>;
  required?: readonly string[];
}

const num: Field = { t: 'number' };
const dur: Field = { t: 'duration' };
const bool: Field = { t: 'boolean' };
const str: Field = { t: 'string' };
const classes: Field = {
  t: 'list',
  of: { t: 'enum', of: ['transient', 'network', 'client'], label: 'error class' },
};

const CLASSIFY: Field = {
  t: 'object',
  schema: {
    what: 'classify',
    fields: {
      transientStatuses: { t: 'list', of: num },
      clientStatuses: { t: 'list', of: num },
      retryQuota429: bool,
      honourShouldRetryHeader: bool,
    },
  },
};

const BACKOFF_VARIANTS: Record<(typeof BACKOFF_KINDS)[number], Schema> = {
  none: { what: 'none backoff', fields: {} },
  fixed: { what: 'fixed backoff', fields: { delayMs: dur }, required: ['delayMs'] },
  linear: {
    what: 'linear backoff',
    fields: { baseMs: dur, stepMs: dur, capMs: dur },
    required: ['baseMs', 'capMs'],
  },
  exponential: {
    what: 'exponential backoff',
    fields: {
      baseMs: dur,
      factor: num,
      capMs: dur,
      jitter: { t: 'enum', of: JITTER_KINDS, label: 'jitter kind' },
      jitterMs: dur,
    },
    required: ['baseMs', 'capMs', 'jitter'],
  },
};
const BACKOFF: Field = { t: 'union', on: 'kind', label: 'backoff kind', variants: BACKOFF_VARIANTS };

const BUDGET: Field = {
  t: 'object',
  schema: {
    what: 'retry budget (AWS: quota, retryCost, timeoutCost, successRefund; gRPC: maxTokens, tokenRatio)',
    fields: {
      quota: num,
      retryCost: num,
      timeoutCost: num,
      successRefund: num,
      maxTokens: num,
      tokenRatio: num,
    },
  },
};

const ROUTE: Field = {
  t: 'object',
  schema: {
    what: 'fallback route',
    fields: {
      action: { t: 'enum', of: FALLBACK_ACTIONS, label: 'fallback action' },
      retries: num,
      backoff: BACKOFF,
    },
    required: ['action'],
  },
};

const POLICY_SCHEMAS: Record<PolicyType, Schema> = {
  retry: {
    what: 'retry policy',
    fields: {
      maxAttempts: num,
      backoff: BACKOFF,
      retryOn: classes,
      retryAfter: {
        t: 'object',
        schema: {
          what: 'retryAfter',
          fields: {
            honour: bool,
            maxMs: dur,
            overMax: { t: 'enum', of: ['backoff', 'clamp'], label: 'overMax' },
          },
          required: ['honour', 'maxMs'],
        },
      },
      shorterTimeout: {
        t: 'object',
        schema: {
          what: 'shorterTimeout',
          fields: { factor: num, minMs: dur, initialMs: dur },
          required: ['factor', 'minMs'],
        },
      },
      budget: BUDGET,
      classify: CLASSIFY,
    },
    required: ['maxAttempts', 'backoff'],
  },
  timeout: { what: 'timeout policy', fields: { attemptTimeoutMs: dur, deadlineMs: dur } },
  breaker: {
    what: 'breaker policy',
    fields: { threshold: num, openMs: dur, halfOpenProbes: num, failOn: classes, classify: CLASSIFY },
    required: ['threshold', 'openMs'],
  },
  'sampling-breaker': {
    what: 'sampling-breaker policy',
    fields: {
      failureRateThreshold: num,
      windowMs: dur,
      minimumVolume: num,
      openMs: dur,
      halfOpenProbes: num,
      buckets: num,
      failOn: classes,
      classify: CLASSIFY,
    },
    required: ['failureRateThreshold', 'windowMs', 'minimumVolume', 'openMs'],
  },
  bulkhead: {
    what: 'bulkhead policy',
    fields: { maxConcurrent: num, maxQueue: num, maxWaitMs: dur },
    required: ['maxConcurrent'],
  },
  throttle: {
    what: 'throttle policy',
    fields: { k: num, windowMs: dur, buckets: num, classify: CLASSIFY },
    required: ['k', 'windowMs'],
  },
  limiter: {
    what: 'limiter policy',
    fields: {
      requestsPerMin: num,
      tokensPerMin: num,
      tokenEstimate: { t: 'enum', of: TOKEN_ESTIMATES, label: 'token estimate' },
      burstSeconds: num,
      lowRemainingFraction: num,
      pauseAfter429Ms: dur,
      maxWaitMs: dur,
    },
    required: ['maxWaitMs'],
  },
  queue: {
    what: 'queue policy',
    fields: {
      workers: num,
      maxQueue: num,
      ratePerSec: num,
      whenFull: { t: 'enum', of: WHEN_FULL, label: 'whenFull' },
      maxWaitMs: dur,
    },
    required: ['workers', 'maxQueue', 'whenFull', 'maxWaitMs'],
  },
  fallback: {
    what: 'fallback policy',
    fields: {
      models: { t: 'list', of: str },
      routes: { t: 'map', keys: ROUTE_KEYS, label: 'fallback route', value: ROUTE },
      classify: CLASSIFY,
    },
    required: ['models'],
  },
};

export const POLICY_TYPES = Object.keys(POLICY_SCHEMAS) as PolicyType[];

const ADAPTER_SCHEMAS: Record<AdapterType, Schema> = {
  'openai-sdk': { what: 'openai-sdk adapter', fields: { maxRetries: num, timeoutMs: dur } },
  module: { what: 'module adapter', fields: { path: str, export: str }, required: ['path'] },
  cockatiel: { what: 'cockatiel adapter', fields: { path: str, export: str }, required: ['path'] },
  opossum: { what: 'opossum adapter', fields: { path: str, export: str }, required: ['path'] },
};

export const ADAPTER_TYPES = Object.keys(ADAPTER_SCHEMAS) as AdapterType[];

const STRATEGY: Schema = {
  what: 'strategy',
  fields: {
    name: str,
    description: str,
    preset: { t: 'enum', of: PRESET_NAMES, label: 'preset' },
    policies: { t: 'list', of: { t: 'union', on: 'type', label: 'policy', variants: POLICY_SCHEMAS } },
    adapter: { t: 'union', on: 'type', label: 'adapter', variants: ADAPTER_SCHEMAS },
    classify: CLASSIFY,
  },
  required: ['name'],
};

// ---------------------------------------------------------------------------------------------------

/**
 * Checks one strategy config and returns it normalised (durations in milliseconds), with every problem
 * found.
 */
export function checkStrategyConfig(raw: unknown): { config?: StrategyConfig; issues: StrategyIssue[] } {
  const issues: StrategyIssue[] = [];
  const value = checkObject(raw, STRATEGY, '', issues);
  if (value === undefined) return { issues };
  const modes = (['preset', 'policies', 'adapter'] as const).filter((k) => value[k] !== undefined);
  if (modes.length > 1) {
    issues.push({
      path: modes[1]!,
      message: `use one of preset, policies or adapter, not ${modes.join(' and ')}`,
      hint: 'a preset is a ready-made policy list; copy it into policies to change it',
    });
  }
  if (typeof value.name === 'string' && value.name.trim() === '') {
    issues.push({ path: 'name', message: 'must not be empty' });
  }
  return issues.length === 0 ? { config: value as unknown as StrategyConfig, issues } : { issues };
}

/** Checks one strategy config; throws ERR_SQUALL_STRATEGY listing every problem. `index` names a strategy
 *  that has no usable name (`strategies[2]`). */
export function parseStrategyConfig(raw: unknown, index?: number): StrategyConfig {
  const { config, issues } = checkStrategyConfig(raw);
  if (config) return config;
  throw issuesError(strategyLabel(raw, index), issues);
}

/** `strategy "name"`, or `strategies[i]` when the config has no name yet. */
export function strategyLabel(raw: unknown, index?: number): string {
  const name = raw !== null && typeof raw === 'object' ? (raw as { name?: unknown }).name : undefined;
  if (typeof name === 'string' && name.trim() !== '') return `strategy "${name}"`;
  return index === undefined ? 'strategy' : `strategies[${index}]`;
}

/** One SquallError for all the issues of a strategy: the first on the first line, the rest listed. */
export function issuesError(label: string, issues: readonly StrategyIssue[]): SquallError {
  const line = (i: StrategyIssue) => `${label}${i.path ? ` ${i.path}` : ''}: ${i.message}`;
  const first = issues[0]!;
  const message =
    issues.length === 1
      ? line(first)
      : `${line(first)}\n${issues
          .slice(1)
          .map((i) => `  and ${line(i)}${i.hint ? ` (${i.hint})` : ''}`)
          .join('\n')}`;
  return new SquallError('ERR_SQUALL_STRATEGY', message, first.hint ? { hint: first.hint } : {});
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `"${value}"`;
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : String(value);
}

function checkObject(
  raw: unknown,
  schema: Schema,
  path: string,
  issues: StrategyIssue[],
  skip?: string,
): Record<string, unknown> | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    issues.push({ path, message: `must be an object (a ${schema.what}), got ${describe(raw)}` });
    return undefined;
  }
  const out: Record<string, unknown> = {};
  const known = Object.keys(schema.fields);
  for (const [key, value] of Object.entries(raw)) {
    if (key === skip) {
      out[key] = value;
      continue;
    }
    const field = schema.fields[key];
    if (!field) {
      issues.push({
        path: join(path, key),
        message: `unknown field "${key}"`,
        hint: didYouMean(key, known, `fields of a ${schema.what}`),
      });
      continue;
    }
    if (value === undefined) continue;
    const checked = checkField(value, field, join(path, key), issues);
    if (checked !== undefined) out[key] = checked;
  }
  for (const key of schema.required ?? []) {
    if ((raw as Record<string, unknown>)[key] === undefined) {
      issues.push({ path: join(path, key), message: `is required for a ${schema.what}` });
    }
  }
  return out;
}

function checkField(value: unknown, field: Field, path: string, issues: StrategyIssue[]): unknown {
  switch (field.t) {
    case 'number':
      if (typeof value === 'number') return value;
      issues.push({ path, message: `must be a number, got ${describe(value)}` });
      return undefined;
    case 'duration':
      // Negative numbers pass through: the factory says "must be ≥ 0" with the field name.
      if (typeof value === 'number') return value;
      if (typeof value === 'string') {
        try {
          return parseDurationMs(value, path);
        } catch (e) {
          issues.push({ path, message: `"${value}" is not a duration`, hint: (e as SquallError).hint ?? '' });
          return undefined;
        }
      }
      issues.push({
        path,
        message: `must be milliseconds or a duration such as 30s, got ${describe(value)}`,
      });
      return undefined;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      issues.push({ path, message: `must be true or false, got ${describe(value)}` });
      return undefined;
    case 'string':
      if (typeof value === 'string') return value;
      issues.push({ path, message: `must be a string, got ${describe(value)}` });
      return undefined;
    case 'enum':
      if (typeof value === 'string' && field.of.includes(value)) return value;
      issues.push({
        path,
        message: `unknown ${field.label} ${describe(value)}`,
        hint: didYouMean(typeof value === 'string' ? value : String(value), field.of, 'expected one of'),
      });
      return undefined;
    case 'list': {
      if (!Array.isArray(value)) {
        issues.push({ path, message: `must be a list, got ${describe(value)}` });
        return undefined;
      }
      return value.map((item, i) => checkField(item, field.of, join(path, i), issues));
    }
    case 'object':
      return checkObject(value, field.schema, path, issues);
    case 'union': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        issues.push({ path, message: `must be an object with a ${field.on}, got ${describe(value)}` });
        return undefined;
      }
      const tag = (value as Record<string, unknown>)[field.on];
      const names = Object.keys(field.variants);
      const schema = typeof tag === 'string' ? field.variants[tag] : undefined;
      if (!schema) {
        issues.push({
          path: join(path, field.on),
          message:
            tag === undefined
              ? `is required (the ${field.label})`
              : `unknown ${field.label} ${describe(tag)}`,
          hint: didYouMean(typeof tag === 'string' ? tag : '', names, `known ${field.label} names`),
        });
        return undefined;
      }
      return checkObject(value, schema, path, issues, field.on);
    }
    case 'map': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        issues.push({ path, message: `must be a map of ${field.label}s, got ${describe(value)}` });
        return undefined;
      }
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        if (!field.keys.includes(key)) {
          issues.push({
            path: join(path, key),
            message: `unknown ${field.label} "${key}"`,
            hint: didYouMean(key, field.keys, 'expected one of'),
          });
          continue;
        }
        out[key] = checkField(item, field.value, join(path, key), issues);
      }
      return out;
    }
  }
}

/** `did you mean "x"? <intro><all options>`: the nearest option by edit distance, when one is close. */
export function didYouMean(input: string, options: readonly string[], intro: string): string {
  const list = `${intro}: ${options.join(', ')}`;
  const best = nearest(input, options);
  return best ? `did you mean "${best}"? ${list}` : list;
}

function nearest(input: string, options: readonly string[]): string | undefined {
  const lower = input.toLowerCase();
  const tolerance = Math.max(2, Math.floor(input.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const option of options) {
    const o = option.toLowerCase();
    let d = o === lower ? 0 : o.startsWith(lower) || lower.startsWith(o) ? 1 : editDistance(lower, o);
    // A long shared start ("openai-python" / "openai-sdk") is a better clue than the edit distance.
    if (sharedPrefix(lower, o) >= 6) d = Math.min(d, tolerance);
    if (d < bestDistance) {
      best = option;
      bestDistance = d;
    }
  }
  return input.length > 0 && bestDistance <= tolerance ? best : undefined;
}

function sharedPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
