import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { isSquallError } from '../errors.ts';
import { durationMs, probability } from '../scenario/upstream-schema.ts';
import { parseRatePerSec } from '../util/duration.ts';
import { ARRIVAL_KINDS, validateArrivals } from './arrivals/index.ts';
import type { ArrivalSpec } from './arrivals/types.ts';
import { type Dist, validateDist } from './dist.ts';
import { TrafficConfigError } from './errors.ts';
import { DEFAULT_MIX, ENDPOINTS, type Endpoint, type RequestMix, validateMix } from './mix.ts';
import type { TrafficSpec } from './source.ts';

/**
 * The `traffic:` section of a scenario file (snake_case, as users write it) and its conversion to a
 * TrafficSpec. Shapes and units are checked by the schema; the meaning (overlapping spikes, all-zero ramps,
 * weights that add up to nothing) by the same validators createTraffic uses, reported as schema issues so
 * the loader shows them at file:line:col with a hint.
 *
 *   traffic:
 *     arrivals: { kind: ramping, start_rate: 10/s, stages: [{ duration: 5m, target: 100/s }] }
 *     mix: { models: { gpt-4o-mini: 3, gpt-4o: 1 }, prompt_tokens: { kind: lognormal, median: 500, p99: 4000 } }
 */

const RATE_HINT = 'write a count per unit, e.g. 2000/min, 30/s or 100/h';

/** `2000/min`, `30/s`, or a number per second; zero and negatives are refused. */
export const rate = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return parseRatePerSec(v);
  } catch (e) {
    const zero = isSquallError(e) && /greater than zero/.test(e.message);
    ctx.addIssue({
      code: 'custom',
      message: zero
        ? `a rate must be greater than zero, found ${JSON.stringify(v)}`
        : `expected a rate, found ${JSON.stringify(v)}`,
      params: { hint: zero ? 'use a positive rate such as 60/min' : RATE_HINT },
    });
    return z.NEVER;
  }
});

/** Like `rate`, but 0 is allowed (a ramp that starts from nothing, a quiet base under spikes). */
export const rateOrZero = z.union([z.string(), z.number()]).transform((v, ctx) => {
  if (v === 0 || (typeof v === 'string' && /^\s*0+(\.0+)?\s*(\/\s*[a-z]+)?\s*$/.test(v))) return 0;
  try {
    return parseRatePerSec(v);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: `expected a rate of zero or more, found ${JSON.stringify(v)}`,
      params: { hint: RATE_HINT },
    });
    return z.NEVER;
  }
});

const positiveInt = z
  .number({ error: 'expected a whole number ≥ 1' })
  .int({ error: 'expected a whole number ≥ 1' })
  .positive({ error: 'expected a whole number ≥ 1' });
const poisson = z.boolean().optional();

/** k6's executor names work too. */
const KIND_ALIASES: Record<string, string> = {
  'constant-arrival-rate': 'constant',
  'ramping-arrival-rate': 'ramping',
};

/**
 * A discriminated union whose unknown or missing discriminator is reported once, with the known values as a
 * hint (zod's own union error carries no hint). `rewrite` normalises shorthands first.
 */
function tagged<T extends z.ZodType>(
  key: string,
  known: readonly string[],
  what: string,
  hint: string,
  inner: T,
  options: { optional?: boolean; rewrite?: (v: unknown) => unknown } = {},
) {
  return z.preprocess((raw, ctx) => {
    const v = options.rewrite ? options.rewrite(raw) : raw;
    if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
    const tag = (v as Record<string, unknown>)[key];
    if (tag === undefined && options.optional) return v;
    if (typeof tag !== 'string' || !known.includes(tag)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message:
          tag === undefined ? `missing ${key} (which ${what})` : `unknown ${what} ${JSON.stringify(tag)}`,
        params: { hint },
      });
      return z.NEVER;
    }
    return v;
  }, inner);
}

const arrivalsYaml = tagged(
  'kind',
  ARRIVAL_KINDS,
  'arrival process',
  `known kinds: ${ARRIVAL_KINDS.join(', ')} (k6's constant-arrival-rate and ramping-arrival-rate work too)`,
  z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('constant'), rate, poisson }),
    z.strictObject({ kind: z.literal('poisson'), rate }),
    z.strictObject({
      kind: z.literal('ramping'),
      start_rate: rateOrZero.optional(),
      stages: z.array(z.strictObject({ duration: durationMs, target: rateOrZero })).min(1),
      poisson,
    }),
    z.strictObject({
      kind: z.literal('spike'),
      base_rate: rateOrZero,
      spikes: z.array(z.strictObject({ at: durationMs, duration: durationMs, rate: rateOrZero })).min(1),
      poisson,
    }),
    z.strictObject({
      kind: z.literal('daily'),
      mean_rate: rate,
      amplitude: probability,
      period: durationMs.optional(),
      peak_at: durationMs.optional(),
      poisson,
    }),
    z.strictObject({ kind: z.literal('burst'), count: positiveInt, at: durationMs.optional() }),
  ]),
  {
    rewrite: (v) => {
      const kind = (v as { kind?: unknown } | null)?.kind;
      return typeof kind === 'string' && KIND_ALIASES[kind]
        ? { ...(v as object), kind: KIND_ALIASES[kind] }
        : v;
    },
  },
);

/** `{ gpt-4o-mini: 3, gpt-4o: 1 }`, `[gpt-4o-mini, gpt-4o]` (equal weights) or `[{ name, weight }]`. */
function weighted(nameKey: 'name' | 'key', example: string) {
  return z.unknown().transform((v, ctx): Array<{ name: string; weight: number }> => {
    const fail = (message: string, path: Array<string | number> = []) => {
      ctx.addIssue({ code: 'custom', path, message, params: { hint: `e.g. ${example}` } });
      return z.NEVER;
    };
    if (Array.isArray(v)) {
      const out: Array<{ name: string; weight: number }> = [];
      for (const [i, item] of v.entries()) {
        if (typeof item === 'string' && item !== '') out.push({ name: item, weight: 1 });
        else if (item && typeof item === 'object' && !Array.isArray(item)) {
          const rec = item as Record<string, unknown>;
          const extra = Object.keys(rec).filter((k) => k !== nameKey && k !== 'weight');
          if (extra.length > 0)
            return fail(`unknown key "${extra[0]}" (expected ${nameKey} and weight)`, [i]);
          const name = rec[nameKey];
          const weight = rec.weight ?? 1;
          if (typeof name !== 'string' || name === '')
            return fail(`expected a non-empty ${nameKey}`, [i, nameKey]);
          if (typeof weight !== 'number' || !(weight >= 0))
            return fail('expected a weight of zero or more', [i, 'weight']);
          out.push({ name, weight });
        } else return fail(`expected a name or { ${nameKey}, weight }, found ${JSON.stringify(item)}`, [i]);
      }
      return out;
    }
    if (v && typeof v === 'object') {
      const out: Array<{ name: string; weight: number }> = [];
      for (const [name, weight] of Object.entries(v)) {
        if (typeof weight !== 'number' || !(weight >= 0))
          return fail(`expected a weight of zero or more for "${name}"`, [name]);
        out.push({ name, weight });
      }
      return out;
    }
    if (typeof v === 'string' && v !== '') return [{ name: v, weight: 1 }];
    return fail(`expected a list or a mapping of names to weights, found ${JSON.stringify(v)}`);
  });
}

const DIST_HINT = '500, { kind: uniform, min: 100, max: 900 } or { kind: lognormal, median: 500, p99: 4000 }';

function distOf<T extends z.ZodType<number, unknown>>(value: T, hint: string) {
  return tagged(
    'kind',
    ['fixed', 'uniform', 'lognormal'],
    'distribution',
    `fixed, uniform or lognormal, e.g. ${hint}`,
    z.discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('fixed'), value }),
      z.strictObject({ kind: z.literal('uniform'), min: value, max: value }),
      z.strictObject({ kind: z.literal('lognormal'), median: value, p99: value, max: value.optional() }),
    ]),
    { rewrite: (v) => (typeof v === 'number' || typeof v === 'string' ? { kind: 'fixed', value: v } : v) },
  );
}

const tokensDist = distOf(positiveInt, DIST_HINT);
const thinkTimeDist = distOf(
  durationMs,
  '1s, { kind: uniform, min: 1s, max: 3s } or { kind: lognormal, median: 1s, p99: 5s }',
);

const mixYaml = z.strictObject({
  models: weighted('name', 'models: { gpt-4o-mini: 3, gpt-4o: 1 }').optional(),
  prompt_tokens: tokensDist.optional(),
  max_tokens: tokensDist.optional(),
  stream_fraction: probability.optional(),
  api_keys: weighted('key', 'api_keys: [sk-team-a, sk-team-b]').optional(),
  users: z
    .union([
      z.strictObject({ count: positiveInt, zipf: z.number().min(0).optional() }),
      weighted('name', 'users: { count: 1000, zipf: 1.1 } or users: { alice: 3, bob: 1 }'),
    ])
    .optional(),
  features: weighted('name', 'features: { search: 3, summarise: 1 }').optional(),
  endpoints: weighted(
    'name',
    `endpoints: { chat.completions: 9, embeddings: 1 } (known: ${ENDPOINTS.join(', ')})`,
  ).optional(),
});

const sectionSchema = tagged(
  'model',
  ['open', 'closed', 'trace'],
  'load model',
  'open (arrivals, the default), closed (virtual users) or trace (replay a file)',
  z.discriminatedUnion('model', [
    z.strictObject({ model: z.literal('open').optional(), arrivals: arrivalsYaml, mix: mixYaml.optional() }),
    z.strictObject({
      model: z.literal('closed'),
      virtual_users: positiveInt,
      think_time: thinkTimeDist.optional(),
      mix: mixYaml.optional(),
    }),
    z.strictObject({
      model: z.literal('trace'),
      file: z.string().min(1),
      time_scale: z.number().positive().optional(),
    }),
  ]),
  { optional: true },
);

type Section = z.output<typeof sectionSchema>;

/** The `traffic:` section. Output is the snake_case section; `toTrafficSpec` turns it into a TrafficSpec. */
export const trafficSchema = sectionSchema.superRefine((section, ctx) => {
  // The meaning checks createTraffic would do, surfaced here so every problem shows with file:line.
  try {
    const spec = toTrafficSpec(section);
    if (spec.model === 'open') {
      validateArrivals(spec.arrivals);
      validateMix(spec.mix);
    } else if (spec.model === 'closed') {
      validateDist(spec.thinkTimeMs, 'think_time', 0, '{ kind: lognormal, median: 1s, p99: 5s }');
      validateMix(spec.mix);
    }
  } catch (e) {
    if (!(e instanceof TrafficConfigError)) throw e;
    ctx.addIssue({
      code: 'custom',
      path: e.field.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)),
      message: e.message.slice(`traffic.${e.field}: `.length),
      params: { hint: e.hint },
    });
  }
});

export type TrafficSection = z.output<typeof trafficSchema>;

/** Converts a parsed section; `baseDir` (the scenario file's folder) resolves a relative trace path. */
export function toTrafficSpec(section: Section, options: { baseDir?: string } = {}): TrafficSpec {
  switch (section.model) {
    case 'trace': {
      const file =
        options.baseDir && !isAbsolute(section.file) ? resolve(options.baseDir, section.file) : section.file;
      return {
        model: 'trace',
        file,
        ...(section.time_scale !== undefined ? { timeScale: section.time_scale } : {}),
      };
    }
    case 'closed':
      return {
        model: 'closed',
        virtualUsers: section.virtual_users,
        thinkTimeMs: (section.think_time as Dist | undefined) ?? { kind: 'fixed', value: 0 },
        mix: mixOf(section.mix),
      };
    default:
      return { model: 'open', arrivals: arrivalsOf(section.arrivals), mix: mixOf(section.mix) };
  }
}

function arrivalsOf(a: z.output<typeof arrivalsYaml>): ArrivalSpec {
  const p = (poisson: boolean | undefined) => (poisson !== undefined ? { poisson } : {});
  switch (a.kind) {
    case 'constant':
      return { kind: 'constant', ratePerSec: a.rate, ...p(a.poisson) };
    case 'poisson':
      return { kind: 'poisson', ratePerSec: a.rate };
    case 'ramping':
      return {
        kind: 'ramping',
        startRatePerSec: a.start_rate ?? 0,
        stages: a.stages.map((s) => ({ durationMs: s.duration, targetRatePerSec: s.target })),
        ...p(a.poisson),
      };
    case 'spike':
      return {
        kind: 'spike',
        baseRatePerSec: a.base_rate,
        spikes: a.spikes.map((s) => ({ atMs: s.at, durationMs: s.duration, ratePerSec: s.rate })),
        ...p(a.poisson),
      };
    case 'daily':
      return {
        kind: 'daily',
        meanRatePerSec: a.mean_rate,
        amplitude: a.amplitude,
        ...(a.period !== undefined ? { periodMs: a.period } : {}),
        ...(a.peak_at !== undefined ? { peakAtMs: a.peak_at } : {}),
        ...p(a.poisson),
      };
    case 'burst':
      return { kind: 'burst', count: a.count, atMs: a.at ?? 0 };
  }
}

function mixOf(m: z.output<typeof mixYaml> | undefined): RequestMix {
  const d = DEFAULT_MIX;
  if (!m) return d;
  return {
    models: m.models ?? d.models,
    promptTokens: (m.prompt_tokens as Dist | undefined) ?? d.promptTokens,
    maxTokens: (m.max_tokens as Dist | undefined) ?? d.maxTokens,
    streamFraction: m.stream_fraction ?? d.streamFraction,
    apiKeys: m.api_keys ? m.api_keys.map((k) => ({ key: k.name, weight: k.weight })) : d.apiKeys,
    ...(m.users ? { users: m.users } : {}),
    ...(m.features ? { features: m.features } : {}),
    ...(m.endpoints
      ? { endpoints: m.endpoints.map((e) => ({ name: e.name as Endpoint, weight: e.weight })) }
      : {}),
  };
}
