import { fieldUniforms, type Rng } from '../sim/rng.ts';
import type { LogicalRequest } from '../strategies/types.ts';
import { type Dist, quantile, validateDist } from './dist.ts';
import { invalidTraffic, isNonNegativeFinite, isPositiveFinite } from './errors.ts';

export type Endpoint = LogicalRequest['endpoint'];
export const ENDPOINTS: readonly Endpoint[] = ['chat.completions', 'embeddings', 'responses'];

/** What requests look like: models, sizes, streaming, and who sends them (for business-impact breakdowns). */
export interface RequestMix {
  models: Array<{ name: string; weight: number }>;
  promptTokens: Dist;
  maxTokens: Dist;
  /** Share of chat/responses requests that stream (embeddings never do). */
  streamFraction: number;
  apiKeys: Array<{ key: string; weight: number }>;
  /** `{ count, zipf }` makes users `user-1` … `user-N`, rank k weighted 1/k^zipf (uniform without zipf). */
  users?: { count: number; zipf?: number } | Array<{ name: string; weight: number }>;
  features?: Array<{ name: string; weight: number }>;
  /** Default: all chat.completions. */
  endpoints?: Array<{ name: Endpoint; weight: number }>;
}

export const DEFAULT_API_KEY = 'sk-squall-test';
export const MAX_USERS = 1_000_000;
export const MAX_WEIGHTED_ITEMS = 100_000;

export const DEFAULT_MIX: RequestMix = {
  models: [{ name: 'gpt-4o-mini', weight: 1 }],
  promptTokens: { kind: 'lognormal', median: 500, p99: 4000 },
  maxTokens: { kind: 'fixed', value: 256 },
  streamFraction: 0,
  apiKeys: [{ key: DEFAULT_API_KEY, weight: 1 }],
};

/**
 * Request `i` of an open trace, identical for every strategy. Each field is a counter-based draw keyed by
 * (seed, i, field), so request i does not depend on how many requests came before it, and adding a field or
 * changing one distribution leaves every other field of every request unchanged. Pass `rng.fork('mix')`.
 */
export function sampleRequest(i: number, atMs: number, mix: RequestMix, rng: Rng): LogicalRequest {
  return sampleRequestKeyed(String(i), `r${i}`, atMs, mix, rng.seed);
}

/** The same draw under any key: closed-model requests are keyed by virtual user and iteration. */
export function sampleRequestKeyed(
  key: string,
  id: string,
  atMs: number,
  mix: RequestMix,
  seed: string,
): LogicalRequest {
  const m = compileMix(mix);
  // One hash of (seed, request) per request, then one per field: this runs for every request of every run.
  const u = fieldUniforms(seed, `mix/${key}/`);
  const endpoint = m.endpoint ? (m.endpoint(u('endpoint')) as Endpoint) : 'chat.completions';
  const streamable = endpoint !== 'embeddings';
  const req: LogicalRequest = {
    id,
    arrivalMs: atMs,
    endpoint,
    model: m.model(u('model')),
    promptTokens: quantile(mix.promptTokens, u('prompt_tokens')),
    maxTokens: quantile(mix.maxTokens, u('max_tokens')),
    stream: streamable && u('stream') < mix.streamFraction,
    apiKey: m.apiKey(u('api_key')),
  };
  if (m.user) req.user = m.user(u('user'));
  if (m.feature) req.feature = m.feature(u('feature'));
  return req;
}

/** Throws ERR_SQUALL_INVALID_CONFIG naming the field; createTraffic calls it before anything runs. */
export function validateMix(mix: RequestMix): void {
  compileMix(mix);
}

type Pick = (u: number) => string;

interface CompiledMix {
  model: Pick;
  apiKey: Pick;
  endpoint?: Pick;
  user?: Pick;
  feature?: Pick;
}

// Compiled once per mix object (a mix is treated as immutable once used).
const compiled = new WeakMap<RequestMix, CompiledMix>();

function compileMix(mix: RequestMix): CompiledMix {
  const hit = compiled.get(mix);
  if (hit) return hit;
  validateDist(mix.promptTokens, 'mix.prompt_tokens', 1, '{ kind: lognormal, median: 500, p99: 4000 }');
  validateDist(mix.maxTokens, 'mix.max_tokens', 1, '{ kind: fixed, value: 256 }');
  if (!(mix.streamFraction >= 0 && mix.streamFraction <= 1)) {
    throw invalidTraffic(
      'mix.stream_fraction',
      `expected a fraction between 0 and 1, got ${mix.streamFraction}`,
      'e.g. 0.3 or "30%"',
    );
  }
  const c: CompiledMix = {
    model: weightedPick(mix.models, 'mix.models', 'models: [{ name: gpt-4o-mini, weight: 3 }]'),
    apiKey: weightedPick(
      (mix.apiKeys ?? []).map((k) => ({ name: k.key, weight: k.weight })),
      'mix.api_keys',
      'api_keys: [sk-team-a, sk-team-b]',
    ),
  };
  if (mix.endpoints) {
    mix.endpoints.forEach((e, i) => {
      if (!ENDPOINTS.includes(e.name)) {
        throw invalidTraffic(
          `mix.endpoints.${i}.name`,
          `unknown endpoint ${JSON.stringify(e.name)}`,
          `known endpoints: ${ENDPOINTS.join(', ')}`,
        );
      }
    });
    c.endpoint = weightedPick(
      mix.endpoints,
      'mix.endpoints',
      'endpoints: { chat.completions: 9, embeddings: 1 }',
    );
  }
  if (mix.users) c.user = usersPick(mix.users);
  if (mix.features)
    c.feature = weightedPick(mix.features, 'mix.features', 'features: { search: 3, chat: 1 }');
  compiled.set(mix, c);
  return c;
}

function weightedPick(items: Array<{ name: string; weight: number }>, field: string, example: string): Pick {
  if (!Array.isArray(items) || items.length === 0 || items.length > MAX_WEIGHTED_ITEMS) {
    throw invalidTraffic(field, `expected 1 to ${MAX_WEIGHTED_ITEMS} entries`, `e.g. ${example}`);
  }
  items.forEach((it, i) => {
    if (typeof it.name !== 'string' || it.name.length === 0) {
      throw invalidTraffic(`${field}.${i}`, 'a name cannot be empty', `e.g. ${example}`);
    }
    if (!isNonNegativeFinite(it.weight)) {
      throw invalidTraffic(
        `${field}.${i}.weight`,
        `a weight must be zero or more, got ${it.weight}`,
        `e.g. ${example}`,
      );
    }
  });
  const names = items.map((it) => it.name);
  return cumulativePick(
    items.map((it) => it.weight),
    (k) => names[k]!,
    field,
  );
}

function usersPick(users: NonNullable<RequestMix['users']>): Pick {
  if (Array.isArray(users)) return weightedPick(users, 'mix.users', 'users: { count: 1000, zipf: 1.1 }');
  const { count, zipf } = users;
  if (!(Number.isInteger(count) && count > 0 && count <= MAX_USERS)) {
    throw invalidTraffic(
      'mix.users.count',
      `expected a whole number of users from 1 to ${MAX_USERS}, got ${count}`,
      'e.g. users: { count: 1000, zipf: 1.1 }',
    );
  }
  if (zipf !== undefined && !isNonNegativeFinite(zipf)) {
    throw invalidTraffic(
      'mix.users.zipf',
      `expected an exponent of zero or more, got ${zipf}`,
      'e.g. zipf: 1.1',
    );
  }
  const name = (k: number) => `user-${k + 1}`;
  if (!zipf) return (u) => name(Math.min(count - 1, Math.floor(u * count)));
  const weights = new Float64Array(count);
  for (let k = 0; k < count; k++) weights[k] = 1 / (k + 1) ** zipf;
  return cumulativePick(weights, name, 'mix.users');
}

function cumulativePick(weights: ArrayLike<number>, nameOf: (k: number) => string, field: string): Pick {
  const cumulative = new Float64Array(weights.length);
  let total = 0;
  for (let k = 0; k < weights.length; k++) {
    total += weights[k]!;
    cumulative[k] = total;
  }
  if (!isPositiveFinite(total)) {
    throw invalidTraffic(field, 'the weights add up to zero', 'give at least one entry a positive weight');
  }
  return (u) => {
    // The first entry whose cumulative weight exceeds u·total; zero-weight entries are never chosen.
    const target = u * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    return nameOf(lo);
  };
}
