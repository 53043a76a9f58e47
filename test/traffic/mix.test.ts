import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/sim/rng.ts';
import type { LogicalRequest } from '../../src/strategies/types.ts';
import { quantile } from '../../src/traffic/dist.ts';
import { DEFAULT_MIX, type RequestMix, sampleRequest, validateMix } from '../../src/traffic/mix.ts';

const MIX: RequestMix = {
  models: [
    { name: 'gpt-4o-mini', weight: 3 },
    { name: 'gpt-4o', weight: 1 },
    { name: 'never', weight: 0 },
  ],
  promptTokens: { kind: 'lognormal', median: 500, p99: 4000 },
  maxTokens: { kind: 'uniform', min: 100, max: 300 },
  streamFraction: 0.3,
  apiKeys: [
    { key: 'sk-a', weight: 1 },
    { key: 'sk-b', weight: 1 },
  ],
  users: { count: 1000, zipf: 1 },
  features: [
    { name: 'search', weight: 1 },
    { name: 'support', weight: 4 },
  ],
  endpoints: [
    { name: 'chat.completions', weight: 9 },
    { name: 'embeddings', weight: 1 },
  ],
};

const rng = new Rng('mix-test').fork('mix');
const N = 20_000;
const sample = (mix: RequestMix, n = N, r = rng): LogicalRequest[] =>
  Array.from({ length: n }, (_, i) => sampleRequest(i, i * 10, mix, r));

function share<T>(items: T[], pred: (x: T) => boolean): number {
  return items.filter(pred).length / items.length;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(p * (sorted.length - 1))]!;
}

describe('sampleRequest: common random numbers', () => {
  it('request i is the same however many requests were drawn before it, and whatever its arrival time', () => {
    const stream = sample(MIX, 5001);
    const direct = sampleRequest(5000, 999, MIX, new Rng('mix-test').fork('mix'));
    expect({ ...stream[5000], arrivalMs: 999 }).toEqual(direct);
  });

  it('adding users or features leaves every other field of every request unchanged', () => {
    const { users: _u, features: _f, ...bare } = MIX;
    const strip = (r: LogicalRequest) => {
      const { user: _user, feature: _feature, ...rest } = r;
      return rest;
    };
    expect(sample(bare, 2000).map(strip)).toEqual(sample(MIX, 2000).map(strip));
  });

  it('changing the prompt-size distribution changes prompt sizes only', () => {
    const other: RequestMix = { ...MIX, promptTokens: { kind: 'fixed', value: 42 } };
    const a = sample(MIX, 2000);
    const b = sample(other, 2000);
    expect(b.every((r) => r.promptTokens === 42)).toBe(true);
    expect(b.map((r) => ({ ...r, promptTokens: 0 }))).toEqual(a.map((r) => ({ ...r, promptTokens: 0 })));
  });

  it('another seed gives other requests', () => {
    const a = sample(MIX, 200);
    const b = sample(MIX, 200, new Rng('other-seed').fork('mix'));
    expect(b.map((r) => r.promptTokens)).not.toEqual(a.map((r) => r.promptTokens));
  });

  it('ids are r<i> and the arrival time is the one given', () => {
    expect(sampleRequest(7, 1234.5, MIX, rng)).toMatchObject({ id: 'r7', arrivalMs: 1234.5 });
  });
});

describe('sampleRequest: the mix is realised', () => {
  const reqs = sample(MIX);

  it.each<[string, (r: LogicalRequest) => boolean, number]>([
    ['gpt-4o-mini at weight 3 of 4', (r) => r.model === 'gpt-4o-mini', 0.75],
    ['gpt-4o at weight 1 of 4', (r) => r.model === 'gpt-4o', 0.25],
    ['a zero-weight model never', (r) => r.model === 'never', 0],
    ['sk-a half the time', (r) => r.apiKey === 'sk-a', 0.5],
    ['the support feature 4 of 5', (r) => r.feature === 'support', 0.8],
    ['embeddings 1 of 10', (r) => r.endpoint === 'embeddings', 0.1],
  ])('%s', (_, pred, expected) => {
    expect(Math.abs(share(reqs, pred) - expected)).toBeLessThan(0.012);
  });

  it('fields are drawn independently: joint shares are the products of the marginals', () => {
    const pairs: Array<[(r: LogicalRequest) => boolean, (r: LogicalRequest) => boolean, number]> = [
      [(r) => r.model === 'gpt-4o-mini', (r) => r.endpoint === 'embeddings', 0.75 * 0.1],
      [(r) => r.model === 'gpt-4o', (r) => r.feature === 'search', 0.25 * 0.2],
      [(r) => r.apiKey === 'sk-a', (r) => r.stream, 0.5 * 0.3 * 0.9],
      [(r) => r.maxTokens > 200, (r) => r.promptTokens > 500, 0.5 * 0.5],
    ];
    for (const [a, b, expected] of pairs)
      expect(Math.abs(share(reqs, (r) => a(r) && b(r)) - expected)).toBeLessThan(0.012);
  });

  it('streams the stream fraction of streamable requests, and embeddings never', () => {
    const chat = reqs.filter((r) => r.endpoint !== 'embeddings');
    expect(Math.abs(share(chat, (r) => r.stream) - 0.3)).toBeLessThan(0.015);
    expect(reqs.filter((r) => r.endpoint === 'embeddings').some((r) => r.stream)).toBe(false);
  });

  it('prompt sizes have the lognormal median and p99 asked for', () => {
    const sizes = reqs.map((r) => r.promptTokens);
    expect(percentile(sizes, 0.5) / 500).toBeGreaterThan(0.96);
    expect(percentile(sizes, 0.5) / 500).toBeLessThan(1.04);
    expect(percentile(sizes, 0.99) / 4000).toBeGreaterThan(0.88);
    expect(percentile(sizes, 0.99) / 4000).toBeLessThan(1.12);
    expect(sizes.every((s) => Number.isInteger(s) && s >= 1)).toBe(true);
  });

  it('uniform max tokens cover [min, max] inclusive, whole numbers only', () => {
    const m = reqs.map((r) => r.maxTokens);
    expect(Math.min(...m)).toBe(100);
    expect(Math.max(...m)).toBe(300);
    expect(m.every(Number.isInteger)).toBe(true);
  });

  it('zipf users: user-1 is the busiest, about twice user-2 (exponent 1)', () => {
    const count = (name: string) => reqs.filter((r) => r.user === name).length;
    const ratio = count('user-1') / count('user-2');
    expect(ratio).toBeGreaterThan(1.7);
    expect(ratio).toBeLessThan(2.3);
    expect(new Set(reqs.map((r) => r.user)).size).toBeGreaterThan(500);
  });

  it('the default mix is plain chat.completions with no user or feature', () => {
    const r = sampleRequest(0, 0, DEFAULT_MIX, rng);
    expect(r).toMatchObject({
      endpoint: 'chat.completions',
      model: 'gpt-4o-mini',
      maxTokens: 256,
      stream: false,
    });
    expect(r.user).toBeUndefined();
    expect(r.feature).toBeUndefined();
  });
});

describe('distributions', () => {
  it.each([
    [{ kind: 'fixed', value: 7 } as const, 0.3, 7],
    [{ kind: 'uniform', min: 1, max: 4 } as const, 0, 1],
    [{ kind: 'uniform', min: 1, max: 4 } as const, 0.9999, 4],
    [{ kind: 'lognormal', median: 500, p99: 4000 } as const, 0.5, 500],
    [{ kind: 'lognormal', median: 500, p99: 4000 } as const, 0.99, 4000],
    [{ kind: 'lognormal', median: 500, p99: 4000, max: 1000 } as const, 0.99, 1000],
    [{ kind: 'lognormal', median: 2, p99: 4000 } as const, 0, 1],
  ])('%j at quantile %d is %d', (dist, u, value) => {
    expect(quantile(dist, u)).toBe(value);
  });
});

describe('validateMix', () => {
  it.each<[string, Partial<RequestMix>, RegExp]>([
    ['no models', { models: [] }, /mix\.models/],
    ['weights adding up to zero', { models: [{ name: 'a', weight: 0 }] }, /add up to zero/],
    ['a negative weight', { apiKeys: [{ key: 'k', weight: -1 }] }, /mix\.api_keys\.0\.weight/],
    ['a stream fraction above 1', { streamFraction: 1.5 }, /stream_fraction/],
    ['a prompt size below 1 token', { promptTokens: { kind: 'fixed', value: 0 } }, /prompt_tokens/],
    ['p99 below the median', { maxTokens: { kind: 'lognormal', median: 100, p99: 10 } }, /max_tokens/],
    [
      'an unknown endpoint',
      { endpoints: [{ name: 'images' as never, weight: 1 }] },
      /unknown endpoint "images"/,
    ],
    ['zero users', { users: { count: 0 } }, /users\.count/],
  ])('rejects %s', (_, change, message) => {
    expect(() => validateMix({ ...MIX, ...change })).toThrow(message);
  });
});
