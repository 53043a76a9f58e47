import { z } from 'zod';
import { SquallError } from '../errors.ts';
import { OBJECTIVE_NAMES, type Objective } from '../metrics/objective.ts';
import {
  namedStrategies,
  parseThreshold,
  type ThresholdSpec,
  ThresholdSyntaxError,
} from '../metrics/thresholds.ts';
import { checkStrategySync } from '../strategies/build.ts';
import { checkStrategyConfig, type StrategyConfig } from '../strategies/config.ts';
import { trafficSchema } from '../traffic/index.ts';
import { checkClaimStrategies, claimsSchema } from './claims-schema.ts';
import { clientSchema } from './client-schema.ts';
import { checkTargetSection, targetKeys } from './target-schema.ts';
import { durationMs, probability, upstreamSchema } from './upstream-schema.ts';

/**
 * The whole scenario file: the single source of truth for what a scenario may say. Everything is
 * snake_case as users write it; `scenarios/schema.json` is generated from this (scripts/gen-schema.ts).
 *
 *   name: singles-day-429-storm
 *   seed: 42
 *   duration: 2m
 *   traffic:   { arrivals: { kind: constant, rate: 2000/min } }
 *   upstream:  { rate_limits: { requests_per_min: 1200 }, phases: [...] }
 *   strategies:
 *     - { name: fixed-2s, preset: naive-fixed }
 *     - name: expo-jitter
 *       policies: [{ type: retry, max_attempts: 4, backoff: { kind: exponential, base_ms: 1s, cap_ms: 30s, jitter: full } }]
 *   thresholds:
 *     all: [success_rate >= 0.9]
 *     expo-jitter: [p(99) < 10s]
 *     compare: ['"expo-jitter".success_rate > "fixed-2s".success_rate']
 */

export const MAX_SEEDS = 100;
/** The per-second series is capped at a week; a scenario longer than that is a mistake. */
export const MAX_DURATION_MS = 7 * 24 * 3_600_000;

const SLUG = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

// ---------------------------------------------------------------------------------------------------
// strategies: snake_case in the file, camelCase in StrategyConfig. Keys are converted, values are not.

export function snakeToCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function camelToSnake(text: string): string {
  return text.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** camelCase words in a message or hint, written the way the file writes them. */
function snakeWords(text: string, keep: string): string {
  return text.replace(/\b[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+\b/g, (w) => (w === keep ? w : camelToSnake(w)));
}

function convertKeys(
  value: unknown,
  path: Array<string | number>,
  camelKeys: Array<Array<string | number>>,
): unknown {
  if (Array.isArray(value)) return value.map((v, i) => convertKeys(v, [...path, i], camelKeys));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (/[a-z][A-Z]/.test(k)) camelKeys.push([...path, k]);
    out[snakeToCamel(k)] = convertKeys(v, [...path, k], camelKeys);
  }
  return out;
}

/** `policies[1].backoff.jitter` → ['policies', 1, 'backoff', 'jitter'], keys in snake_case. */
function issuePath(path: string): Array<string | number> {
  if (!path) return [];
  const out: Array<string | number> = [];
  for (const part of path.split('.')) {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) {
      out.push(camelToSnake(part));
      continue;
    }
    if (m[1]) out.push(/^[a-z]/.test(m[1]) ? camelToSnake(m[1]) : m[1]);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

/** One entry of `strategies:`: checked by the strategy checker, issues mapped back to the file's keys. */
const strategyEntry = z.unknown().transform((raw, ctx): StrategyConfig => {
  const camelKeys: Array<Array<string | number>> = [];
  const converted = convertKeys(raw, [], camelKeys);
  for (const p of camelKeys) {
    const key = String(p[p.length - 1]);
    ctx.addIssue({
      code: 'custom',
      path: p,
      message: `keys are snake_case in a scenario file, found "${key}"`,
      params: { hint: `did you mean \`${camelToSnake(key)}\`?`, atKey: true },
    });
  }
  const name = (raw as { name?: unknown } | null)?.name;
  const keep = typeof name === 'string' ? name : '';
  const { config, issues } = checkStrategyConfig(converted);
  for (const issue of issues) {
    ctx.addIssue({
      code: 'custom',
      path: issuePath(issue.path),
      message: snakeWords(issue.message, keep),
      params: {
        ...(issue.hint ? { hint: snakeWords(issue.hint, keep).replace(/"([a-z0-9_]+)"\?/, '`$1`?') } : {}),
        atKey: /^unknown (field|fallback route) /.test(issue.message),
      },
    });
  }
  // Keep the name of an invalid strategy, so thresholds naming it are not reported as well.
  if (!config) return { name: keep } as StrategyConfig;
  // The numeric rules live in the policy factories and adapter option checks: run them (nothing loaded).
  try {
    checkStrategySync(config);
  } catch (e) {
    if (!(e instanceof SquallError)) throw e;
    const m = /^(?:strategy "[^"]*"|strategies\[\d+\]|strategy)\s*([^:\s]*):\s*([\s\S]*)$/.exec(e.message);
    ctx.addIssue({
      code: 'custom',
      path: m ? issuePath(m[1]!) : [],
      message: snakeWords(m ? m[2]! : e.message, keep),
      ...(e.hint ? { params: { hint: snakeWords(e.hint, keep) } } : {}),
    });
    return { name: keep } as StrategyConfig;
  }
  return config;
});

// ---------------------------------------------------------------------------------------------------
// thresholds: a list (for every strategy) or a mapping from `all`, a strategy name or `compare` to a list.

export const THRESHOLD_ALL_KEYS = ['all', 'compare'];

const thresholdsSection = z.unknown().transform((raw, ctx): ThresholdSpec[] => {
  const out: ThresholdSpec[] = [];
  const addList = (list: unknown, scope: string | null, path: Array<string | number>) => {
    const items = typeof list === 'string' ? [list] : list;
    if (!Array.isArray(items)) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `expected a list of threshold expressions, found ${describe(list)}`,
        params: { hint: 'e.g. [success_rate >= 0.95, p(99) < 10s]' },
      });
      return;
    }
    items.forEach((item, i) => {
      const at = typeof list === 'string' ? path : [...path, i];
      if (typeof item !== 'string') {
        ctx.addIssue({
          code: 'custom',
          path: at,
          message: `expected a threshold expression (a string), found ${describe(item)}`,
          params: {
            hint: 'quote expressions that start with a quote: \'"a".success_rate > "b".success_rate\'',
          },
        });
        return;
      }
      try {
        out.push({ scope, expr: parseThreshold(item), at: ['thresholds', ...at] });
      } catch (e) {
        if (!(e instanceof ThresholdSyntaxError)) throw e;
        ctx.addIssue({ code: 'custom', path: at, message: e.message, params: { hint: e.hint } });
      }
    });
  };
  if (Array.isArray(raw)) addList(raw, null, []);
  else if (raw && typeof raw === 'object') {
    for (const [key, list] of Object.entries(raw))
      addList(list, THRESHOLD_ALL_KEYS.includes(key) ? null : key, [key]);
  } else {
    ctx.addIssue({
      code: 'custom',
      message: `expected a list of expressions or a mapping of strategy names to lists, found ${describe(raw)}`,
      params: { hint: 'thresholds: { all: [success_rate >= 0.95], expo-jitter: [p(99) < 10s] }' },
    });
  }
  return out;
});

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

const alertRule = z.strictObject({
  name: z.string().min(1),
  window: durationMs,
  above: probability,
  severity: z.enum(['warn', 'page']),
});

// ---------------------------------------------------------------------------------------------------

export const scenarioSchema = z
  .strictObject({
    /** Editors' JSON Schema pointer in JSON scenario files. */
    $schema: z.string().optional(),
    name: z
      .string()
      .regex(SLUG, {
        error: 'a scenario name is letters, digits, ".", "_" and "-" (it names the report folder)',
      })
      .optional(),
    description: z.string().optional(),
    seed: z
      .union([z.number().int(), z.string().min(1)], { error: 'expected a whole number or a string' })
      .optional(),
    seeds: z.number().int().min(1).max(MAX_SEEDS).optional(),
    duration: durationMs,
    /** After the duration, how long open requests may still finish; what is open after it is unfinished. Default 30s. */
    drain: durationMs.optional(),
    /** The primary objective the verdict table ranks strategies by. Default success_rate. */
    objective: z
      .enum(OBJECTIVE_NAMES as [Objective, ...Objective[]], {
        error: `expected one of ${OBJECTIVE_NAMES.join(', ')}`,
      })
      .optional(),
    request_deadline: durationMs.optional(),
    mode: z.enum(['sim', 'live']).optional(),
    price_per_1k_tokens: z.number().min(0).optional(),
    traffic: trafficSchema,
    upstream: upstreamSchema.optional(),
    client: clientSchema.optional(),
    // May be left out beside a target; checkTargetSection asks for one or the other.
    strategies: z
      .array(strategyEntry)
      .optional()
      .transform((v) => v ?? []),
    ...targetKeys,
    thresholds: thresholdsSection.optional(),
    alerts: z.array(alertRule).optional(),
    claims: claimsSchema.optional(),
  })
  .superRefine(
    (s, ctx) => {
      // Runs even when fields are invalid (every problem at once), so nothing here trusts a field's type.
      if (!s || typeof s !== 'object') return;
      if (typeof s.duration === 'number' && (s.duration <= 0 || s.duration > MAX_DURATION_MS)) {
        ctx.addIssue({
          code: 'custom',
          path: ['duration'],
          message: `a run lasts more than 0 and at most 7 days, found ${s.duration} ms`,
          params: { hint: 'e.g. duration: 2m' },
        });
      }
      if (typeof s.request_deadline === 'number' && s.request_deadline <= 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['request_deadline'],
          message: 'the request deadline must be more than 0',
          params: { hint: 'e.g. request_deadline: 5m' },
        });
      }
      checkTargetSection(s, ctx);
      // A target's variants are named like strategies, and thresholds refer to both alike.
      const strategies = [
        ...(Array.isArray(s.strategies) ? s.strategies : []).map((st, i) => ({ st, key: 'strategies', i })),
        ...(Array.isArray(s.variants) ? s.variants : []).map((st, i) => ({ st, key: 'variants', i })),
      ];
      const names = new Map<string, string>();
      strategies.forEach(({ st, key, i }) => {
        const name = (st as StrategyConfig | undefined)?.name;
        if (typeof name !== 'string') return;
        if (names.has(name)) {
          ctx.addIssue({
            code: 'custom',
            path: [key, i, 'name'],
            message: `"${name}" is already the name of ${names.get(name)}`,
            params: {
              hint: 'every strategy needs its own name; reports and thresholds refer to them by name',
            },
          });
        } else names.set(name, `${key}[${i}]`);
        if (!SLUG.test(name)) {
          ctx.addIssue({
            code: 'custom',
            path: [key, i, 'name'],
            message: `"${name}": a strategy name is letters, digits, ".", "_" and "-"`,
            params: { hint: 'thresholds refer to it as "name".metric' },
          });
        }
      });
      const specs = Array.isArray(s.thresholds) ? s.thresholds : [];
      if (names.size === 0) return;
      checkClaimStrategies(s.claims, new Set(names.keys()), ({ path, message, hint }) =>
        ctx.addIssue({ code: 'custom', path, message, params: { hint } }),
      );
      const known = [...names.keys()];
      const unknownRef = (name: string) =>
        `no strategy is named "${name}" (strategies: ${known.map((n) => `"${n}"`).join(', ')})`;
      for (const spec of specs) {
        if (spec.scope !== null && !names.has(spec.scope)) {
          ctx.addIssue({
            code: 'custom',
            path: ['thresholds', spec.scope],
            message: `thresholds are listed under "${spec.scope}", which is not a strategy (nor all or compare); ${unknownRef(spec.scope)}`,
            params: { hint: hintName(spec.scope, known), atKey: true },
          });
          continue;
        }
        for (const ref of namedStrategies(spec.expr)) {
          if (!names.has(ref)) {
            ctx.addIssue({
              code: 'custom',
              path: spec.at ?? ['thresholds'],
              message: `\`${spec.expr.source}\`: ${unknownRef(ref)}`,
              params: { hint: hintName(ref, known) },
            });
          }
        }
      }
    },
    { when: () => true },
  );

function hintName(name: string, known: string[]): string {
  const lower = name.toLowerCase();
  const close = known.find((k) => k.toLowerCase() === lower || k.includes(name) || name.includes(k));
  return close ? `did you mean "${close}"?` : `strategies in this file: ${known.join(', ')}`;
}

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
