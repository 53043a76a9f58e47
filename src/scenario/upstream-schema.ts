import { z } from 'zod';
import { DEFAULT_RTT } from '../../mock-upstream/model/causes/network-rtt.ts';
import {
  FAULT_KINDS,
  type FaultLatency,
  type LatencySpec,
  type PhaseConfig,
  type Scope,
  type UpstreamConfig,
} from '../../mock-upstream/types.ts';
import { parseDurationMs } from '../util/duration.ts';
import { parseText } from './load.ts';

/**
 * The `upstream:` section of a scenario file (snake_case, as users write it), and its conversion to the
 * model's UpstreamConfig. This schema is the single source of truth for that section.
 */

const DURATION_HINT = 'write a number with a unit, e.g. 500ms, 30s, 5m, 2h';

export const durationMs = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return parseDurationMs(v);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: `expected a duration, found ${JSON.stringify(v)}`,
      params: { hint: DURATION_HINT },
    });
    return z.NEVER;
  }
});

/** 0.3, or "30%". */
export const probability = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n =
    typeof v === 'number' ? v : /^\s*\d+(\.\d+)?\s*%\s*$/.test(v) ? Number.parseFloat(v) / 100 : Number.NaN;
  if (!(n >= 0 && n <= 1)) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a probability between 0 and 1 (or a percentage), found ${JSON.stringify(v)}`,
      params: { hint: 'e.g. 0.25 or "25%"' },
    });
    return z.NEVER;
  }
  return n;
});

const positiveInt = z.number().int().positive();

const faultKind = z.enum(FAULT_KINDS, {
  error: (iss) => `unknown fault kind ${JSON.stringify(iss.input)}; known: ${FAULT_KINDS.join(', ')}`,
});

/**
 * A map keyed by fault kind: every unknown kind is reported with the known ones. `when: () => true`: even
 * when a value beside it is also wrong (every problem at once).
 */
function byFaultKind<V extends z.ZodType>(value: V) {
  return z.record(z.string(), value).superRefine(
    (rec, ctx) => {
      if (typeof rec !== 'object' || rec === null) return;
      for (const k of Object.keys(rec)) {
        if (!faultKind.safeParse(k).success) {
          ctx.addIssue({
            code: 'custom',
            path: [k],
            message: `unknown fault kind "${k}"`,
            params: { hint: `known kinds: ${FAULT_KINDS.join(', ')}` },
          });
        }
      }
    },
    { when: () => true },
  );
}

const faults = byFaultKind(probability);

export const latencySchema = z.union([
  z.strictObject({ fixed: durationMs }),
  z.strictObject({ uniform: z.tuple([durationMs, durationMs]) }),
  z.strictObject({ median: durationMs, p99: durationMs, max: durationMs.optional() }),
]);

/** A duration (a fixed wait) or a latency distribution: `2s`, or `{ median: 2s, p99: 10s }`. */
const durationOrLatency = z.union([durationMs, latencySchema]);

/** Latency per fault kind (causes/fault-latency.ts): `{ "503": { median: 2s, p99: 10s }, "502": 60s }`. */
const faultLatencySchema = byFaultKind(durationOrLatency);

/** Quantum of a rate limit (causes/quantum.ts): a duration above 0 and at most a minute. */
const quantumMs = durationMs.superRefine((ms, ctx) => {
  if (!(ms > 0 && ms <= 60_000)) {
    ctx.addIssue({
      code: 'custom',
      message: `a quantum must be above 0 and at most 1m, found ${ms} ms`,
      params: { hint: 'OpenAI enforces some limits per second: quantum: 1s' },
    });
  }
});

const scopeSchema = z.strictObject({
  models: z.array(z.string()).optional(),
  endpoints: z
    .array(z.enum(['chat.completions', 'embeddings', 'responses', 'models.list', 'models.retrieve']))
    .optional(),
  api_keys: z.array(z.string()).optional(),
});

const rateLimitsSchema = z.strictObject({
  requests_per_min: positiveInt.optional(),
  tokens_per_min: positiveInt.optional(),
  quantum: quantumMs
    .optional()
    .describe(
      'enforce the limit per this period: a bucket holds limit × quantum / 1m (absent: the whole minute)',
    ),
});

const phaseSchema = z
  .strictObject({
    name: z.string().optional(),
    start: durationMs,
    end: durationMs,
    faults: faults.optional(),
    latency: latencySchema.optional(),
    rate_limits: rateLimitsSchema.optional(),
    max_concurrent: positiveInt.optional(),
    scope: scopeSchema.optional(),
    ramp_up: durationMs.optional(),
    ramp_down: durationMs.optional(),
    flap: z.strictObject({ on: durationMs, off: durationMs }).optional(),
    fault_latency: faultLatencySchema
      .optional()
      .describe('latency per fault kind while active, over the upstream one'),
    retry_after: durationOrLatency
      .optional()
      .describe("Retry-After on this phase's retryable errors (429, 409, 5xx); above 60s allowed"),
    expired_keys: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('API keys expired for the whole phase: every attempt with one is a 401'),
  })
  .superRefine(
    (p, ctx) => {
      // Runs even when the phase is not an object (`when`), so check before reading it.
      if (p && typeof p.start === 'number' && typeof p.end === 'number' && p.end <= p.start) {
        ctx.addIssue({
          code: 'custom',
          path: ['end'],
          message: `a phase must end after it starts (start ${p.start} ms, end ${p.end} ms)`,
          params: { hint: 'times are from the start of the run, e.g. start: 10m, end: 25m' },
        });
      }
    },
    { when: () => true },
  );

const incidentSchema = z.strictObject({
  name: z.string().optional(),
  mtbf: durationMs,
  mttr: durationMs,
  horizon: durationMs,
  faults,
  latency: latencySchema.optional(),
  scope: scopeSchema.optional(),
});

export const upstreamSchema = z
  .strictObject({
    models: z.array(z.string()).min(1).optional(),
    api_keys: z.array(z.string()).optional(),
    rate_limits: rateLimitsSchema.optional(),
    rate_limits_by_key: z.record(z.string(), rateLimitsSchema).optional(),
    default_max_tokens: positiveInt.optional(),
    token_counter: z.enum(['estimate', 'tokenizer']).optional(),
    latency: latencySchema.optional(),
    stream: z
      .strictObject({
        ttft: latencySchema.optional(),
        tokens_per_sec: z.number().positive().optional(),
        jitter: z.number().min(0).max(1).optional(),
      })
      .optional(),
    completion_tokens: z.strictObject({ median: positiveInt, p99: positiveInt }).optional(),
    capacity: z
      .strictObject({
        max_concurrent: positiveInt,
        max_queue: z.number().int().min(0),
        reject: z
          .strictObject({
            status: z.literal([503, 429, 409], {
              error: (iss) => `expected 503, 429 or 409, found ${JSON.stringify(iss.input)}`,
            }),
            retry_after: durationOrLatency.optional().describe('server-chosen Retry-After on the rejection'),
          })
          .optional()
          .describe('what an attempt refused for capacity gets (default: 503, no Retry-After)'),
      })
      .optional(),
    network: z
      .strictObject({
        rtt: durationOrLatency.describe(
          'round trip added to every answer (default median 5ms, p99 20ms; 0ms: none)',
        ),
      })
      .optional(),
    fault_latency: faultLatencySchema
      .optional()
      .describe(
        'how long the upstream takes to fail per kind, e.g. { "503": { median: 2s, p99: 10s }, "502": 60s }',
      ),
    max_hang: durationMs.optional(),
    stream_faults: z
      .strictObject({
        cut_after_chunks: z.number().int().min(0).optional(),
        stall_after_chunks: z.number().int().min(0).optional(),
        keep_alive_every: durationMs.optional(),
      })
      .optional(),
    max_body_bytes: positiveInt.optional(),
    journal_size: positiveInt.optional(),
    rate_limit_headers: z.boolean().optional(),
    phases: z.array(phaseSchema).optional(),
    incidents: z.array(incidentSchema).optional(),
  })
  .superRefine(
    (u, ctx) => {
      // An expired key that is not a key at all would be refused as unknown anyway: say so.
      if (!u || !Array.isArray(u.api_keys) || u.api_keys.length === 0 || !Array.isArray(u.phases)) return;
      const known = new Set(u.api_keys);
      u.phases.forEach((p, i) => {
        (p?.expired_keys ?? []).forEach((k, j) => {
          if (!known.has(k)) {
            ctx.addIssue({
              code: 'custom',
              path: ['phases', i, 'expired_keys', j],
              message: `expired key "${k}" is not one of api_keys`,
              params: { hint: 'list the key under upstream.api_keys too, or remove it here' },
            });
          }
        });
      });
    },
    { when: () => true },
  );

export type UpstreamSection = z.output<typeof upstreamSchema>;

export const DEFAULT_UPSTREAM: Omit<UpstreamConfig, 'seed'> = {
  models: [
    'gpt-4o-mini',
    'gpt-4o',
    'gpt-4.1-mini',
    'gpt-4.1',
    'o3-mini',
    'text-embedding-3-small',
    'text-embedding-3-large',
  ],
  apiKeys: [],
  rateLimits: { requestsPerMin: 500, tokensPerMin: 200_000 },
  defaultMaxTokens: 256,
  tokenCounter: 'estimate',
  latency: { kind: 'lognormal', medianMs: 400, p99Ms: 2_000 },
  stream: { ttft: { kind: 'lognormal', medianMs: 300, p99Ms: 1_200 }, tokensPerSec: 60, jitter: 0.2 },
  completionTokens: { medianTokens: 120, p99Tokens: 600 },
  capacity: { maxConcurrent: 256, maxQueue: 1024 },
  networkRtt: DEFAULT_RTT,
  phases: [],
  incidents: [],
  maxHangMs: 10 * 60_000,
  streamFaults: { cutAfterChunks: 5, stallAfterChunks: 3, keepAliveEveryMs: 15_000 },
  maxBodyBytes: 4 * 1024 * 1024,
  journalSize: 10_000,
  rateLimitHeaders: true,
};

export function latencyOf(l: z.output<typeof latencySchema>): LatencySpec {
  if ('fixed' in l) return { kind: 'fixed', ms: l.fixed };
  if ('uniform' in l) return { kind: 'uniform', minMs: l.uniform[0], maxMs: l.uniform[1] };
  return {
    kind: 'lognormal',
    medianMs: l.median,
    p99Ms: l.p99,
    ...(l.max !== undefined ? { maxMs: l.max } : {}),
  };
}

function durationOrLatencyOf(v: z.output<typeof durationOrLatency>): LatencySpec {
  return typeof v === 'number' ? { kind: 'fixed', ms: v } : latencyOf(v);
}

function faultLatencyOf(r: z.output<typeof faultLatencySchema>): FaultLatency {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, durationOrLatencyOf(v)]));
}

function scopeOf(s: z.output<typeof scopeSchema> | undefined): Scope | undefined {
  if (!s) return undefined;
  return {
    ...(s.models ? { models: s.models } : {}),
    ...(s.endpoints ? { endpoints: s.endpoints } : {}),
    ...(s.api_keys ? { apiKeys: s.api_keys } : {}),
  };
}

function limitsOf(r: z.output<typeof rateLimitsSchema> | undefined) {
  return {
    ...(r?.requests_per_min !== undefined ? { requestsPerMin: r.requests_per_min } : {}),
    ...(r?.tokens_per_min !== undefined ? { tokensPerMin: r.tokens_per_min } : {}),
    ...(r?.quantum !== undefined ? { quantumMs: r.quantum } : {}),
  };
}

/** Fills defaults and converts to the model's config. */
export function toUpstreamConfig(seed: string, u: UpstreamSection = {}): UpstreamConfig {
  const d = DEFAULT_UPSTREAM;
  const phases: PhaseConfig[] = (u.phases ?? []).map((p, i) => {
    const scope = scopeOf(p.scope);
    return {
      name: p.name ?? `phase-${i + 1}`,
      startMs: p.start,
      endMs: p.end,
      ...(p.faults ? { faults: p.faults } : {}),
      ...(p.latency ? { latency: latencyOf(p.latency) } : {}),
      ...(p.rate_limits ? { rateLimits: limitsOf(p.rate_limits) } : {}),
      ...(p.max_concurrent !== undefined ? { maxConcurrent: p.max_concurrent } : {}),
      ...(scope ? { scope } : {}),
      ...(p.ramp_up !== undefined ? { rampUpMs: p.ramp_up } : {}),
      ...(p.ramp_down !== undefined ? { rampDownMs: p.ramp_down } : {}),
      ...(p.flap ? { flap: { onMs: p.flap.on, offMs: p.flap.off } } : {}),
      ...(p.fault_latency ? { faultLatency: faultLatencyOf(p.fault_latency) } : {}),
      ...(p.retry_after !== undefined ? { retryAfter: durationOrLatencyOf(p.retry_after) } : {}),
      ...(p.expired_keys ? { expiredKeys: p.expired_keys } : {}),
    };
  });
  return {
    seed,
    models: u.models ?? d.models,
    apiKeys: u.api_keys ?? d.apiKeys,
    rateLimits: { ...d.rateLimits, ...limitsOf(u.rate_limits) },
    ...(u.rate_limits_by_key
      ? {
          rateLimitsByKey: Object.fromEntries(
            Object.entries(u.rate_limits_by_key).map(([k, v]) => [k, limitsOf(v)]),
          ),
        }
      : {}),
    defaultMaxTokens: u.default_max_tokens ?? d.defaultMaxTokens,
    tokenCounter: u.token_counter ?? d.tokenCounter,
    latency: u.latency ? latencyOf(u.latency) : d.latency,
    stream: {
      ttft: u.stream?.ttft ? latencyOf(u.stream.ttft) : d.stream.ttft,
      tokensPerSec: u.stream?.tokens_per_sec ?? d.stream.tokensPerSec,
      jitter: u.stream?.jitter ?? d.stream.jitter,
    },
    completionTokens: u.completion_tokens
      ? { medianTokens: u.completion_tokens.median, p99Tokens: u.completion_tokens.p99 }
      : d.completionTokens,
    capacity: u.capacity
      ? {
          maxConcurrent: u.capacity.max_concurrent,
          maxQueue: u.capacity.max_queue,
          ...(u.capacity.reject
            ? {
                reject: {
                  status: u.capacity.reject.status,
                  ...(u.capacity.reject.retry_after !== undefined
                    ? { retryAfter: durationOrLatencyOf(u.capacity.reject.retry_after) }
                    : {}),
                },
              }
            : {}),
        }
      : d.capacity,
    networkRtt: u.network ? durationOrLatencyOf(u.network.rtt) : d.networkRtt!,
    ...(u.fault_latency ? { faultLatency: faultLatencyOf(u.fault_latency) } : {}),
    phases,
    incidents: (u.incidents ?? []).map((x, i) => {
      const scope = scopeOf(x.scope);
      return {
        name: x.name ?? `incident-${i + 1}`,
        mtbfMs: x.mtbf,
        mttrMs: x.mttr,
        horizonMs: x.horizon,
        faults: x.faults,
        ...(x.latency ? { latency: latencyOf(x.latency) } : {}),
        ...(scope ? { scope } : {}),
      };
    }),
    maxHangMs: u.max_hang ?? d.maxHangMs,
    streamFaults: {
      cutAfterChunks: u.stream_faults?.cut_after_chunks ?? d.streamFaults.cutAfterChunks,
      stallAfterChunks: u.stream_faults?.stall_after_chunks ?? d.streamFaults.stallAfterChunks,
      keepAliveEveryMs: u.stream_faults?.keep_alive_every ?? d.streamFaults.keepAliveEveryMs,
    },
    maxBodyBytes: u.max_body_bytes ?? d.maxBodyBytes,
    journalSize: u.journal_size ?? d.journalSize,
    rateLimitHeaders: u.rate_limit_headers ?? d.rateLimitHeaders,
  };
}

/** What `squall serve --scenario FILE` needs from a scenario file; other sections are checked by `squall run`. */
export const serveFileSchema = z.looseObject({
  seed: z.union([z.number().int(), z.string()]).optional(),
  upstream: upstreamSchema.optional(),
});

export type UpstreamInput = z.input<typeof upstreamSchema>;

/** From the section as written (durations as strings) to the model's config; throws on invalid input. */
export function upstreamConfigFrom(seed: string, input: UpstreamInput = {}): UpstreamConfig {
  const parsed = upstreamSchema.safeParse(input);
  if (parsed.success) return toUpstreamConfig(seed, parsed.data);
  // Same messages and hints as a scenario file (positions refer to the section as JSON).
  return toUpstreamConfig(seed, parseText('upstream', JSON.stringify(input, null, 1), upstreamSchema));
}
