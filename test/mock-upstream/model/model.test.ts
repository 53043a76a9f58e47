import { describe, expect, it } from 'vitest';
import { renderPrometheus } from '../../../mock-upstream/model/metrics.ts';
import { UpstreamModel } from '../../../mock-upstream/model/model.ts';
import type { Decision, ParsedAttempt, UpstreamConfig } from '../../../mock-upstream/types.ts';
import { chatAttempt, upstreamConfig } from './fixtures.ts';

const FOREVER = 1e12;

function model(patch: Partial<UpstreamConfig> = {}, startMs = 0): UpstreamModel {
  return new UpstreamModel(upstreamConfig(patch), { startMs });
}

function tally(decisions: Decision[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of decisions) out[d.outcome] = (out[d.outcome] ?? 0) + 1;
  return out;
}

/** Within `sigmas` standard deviations of a binomial(n, p) count. */
function expectBinomial(count: number, n: number, p: number, sigmas = 4): void {
  const sd = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(count - n * p)).toBeLessThanOrEqual(sigmas * sd + 1e-9);
}

describe('UpstreamModel: fault draws', () => {
  const mix = { '500': 0.1, '503': 0.05, timeout: 0.02, stream_cut: 0.3 };

  it.each([
    { stream: false, expected: { '500': 0.1, '503': 0.05, timeout: 0.02, stream_cut: 0 } },
    { stream: true, expected: { '500': 0.1, '503': 0.05, timeout: 0.02, stream_cut: 0.3 } },
  ])(
    'realised rates match the configured probabilities over 20k attempts (stream=$stream)',
    ({ stream, expected }) => {
      const m = model({ phases: [{ startMs: 0, endMs: FOREVER, faults: mix }] });
      const n = 20_000;
      const seen = tally(Array.from({ length: n }, (_, i) => m.decide(chatAttempt({ stream }), i)));
      for (const [kind, p] of Object.entries(expected)) expectBinomial(seen[kind] ?? 0, n, p);
      const pOk = 1 - Object.values(expected).reduce((s, p) => s + p, 0);
      expectBinomial(seen.ok ?? 0, n, pOk);
    },
  );

  it('caps the sum of probabilities at 1, earlier kinds first', () => {
    const m = model({ phases: [{ startMs: 0, endMs: FOREVER, faults: { '500': 0.8, '503': 0.8 } }] });
    const n = 10_000;
    const seen = tally(Array.from({ length: n }, (_, i) => m.decide(chatAttempt(), i)));
    expectBinomial(seen['500'] ?? 0, n, 0.8);
    expectBinomial(seen['503'] ?? 0, n, 0.2);
    expect(seen.ok).toBeUndefined();
  });

  it('names the phase that caused a fault, with the combined probability', () => {
    const m = model({ phases: [{ name: 'outage', startMs: 0, endMs: FOREVER, faults: { '502': 1 } }] });
    expect(m.decide(chatAttempt(), 0)).toMatchObject({
      outcome: '502',
      reason: 'fault 502 (p=1) from "outage"',
      phases: ['outage'],
      latencyMs: 0,
    });
  });
});

describe('UpstreamModel: determinism', () => {
  const config: Partial<UpstreamConfig> = {
    latency: { kind: 'lognormal', medianMs: 800, p99Ms: 4000 },
    stream: { ttft: { kind: 'lognormal', medianMs: 300, p99Ms: 2000 }, tokensPerSec: 60, jitter: 0.3 },
    rateLimits: { requestsPerMin: 120, tokensPerMin: 200_000 },
    capacity: { maxConcurrent: 4, maxQueue: 4 },
    phases: [
      { name: 'wobble', startMs: 0, endMs: 30_000, faults: { '500': 0.1, '429': 0.05, stream_stall: 0.1 } },
      { name: 'outage', startMs: 20_000, endMs: 25_000, rampUpMs: 2000, faults: { '503': 0.8 } },
    ],
    incidents: [{ name: 'blip', mtbfMs: 5000, mttrMs: 1000, horizonMs: 30_000, faults: { reset: 0.5 } }],
  };
  const attempts: Array<{ attempt: ParsedAttempt; atMs: number }> = Array.from({ length: 400 }, (_, i) => ({
    attempt: chatAttempt({
      stream: i % 3 === 0,
      apiKey: i % 2 === 0 ? 'sk-even-key-0000' : 'sk-odd-key-11111',
      promptTokens: 50 + (i % 7) * 100,
      maxTokens: 64 + (i % 5) * 100,
    }),
    atMs: i * 75,
  }));
  const run = (seed: string) => {
    const m = new UpstreamModel(upstreamConfig({ ...config, seed }), { startMs: 0 });
    return attempts.map(({ attempt, atMs }) => m.decide(attempt, atMs));
  };

  it('the same seed and attempt sequence give identical decisions', () => {
    const a = run('seed-A');
    expect(run('seed-A')).toEqual(a);
    // The run exercises every stage, so the equality means something.
    expect(Object.keys(tally(a)).sort()).toEqual(
      expect.arrayContaining(['429', '500', '503', 'ok', 'stream_stall']),
    );
    expect(a.some((d) => d.queueMs > 0)).toBe(true);
  });

  it('a different seed gives different decisions', () => {
    const a = run('seed-A');
    const b = run('seed-B');
    expect(b).not.toEqual(a);
    expect(b.filter((d, i) => d.latencyMs !== a[i]!.latencyMs).length).toBeGreaterThan(200);
    expect(b.map((d) => d.outcome)).not.toEqual(a.map((d) => d.outcome));
  });

  it('an attempt key makes a decision independent of how many attempts came before', () => {
    // Ample limits and capacity: only the draws could make the two decisions differ.
    const keyConfig = upstreamConfig({
      seed: 'k',
      latency: config.latency!,
      stream: config.stream!,
      phases: [{ startMs: 0, endMs: FOREVER, faults: { '500': 0.2, stream_cut: 0.2 } }],
    });
    const fresh = new UpstreamModel(keyConfig, { startMs: 0 });
    const busy = new UpstreamModel(keyConfig, { startMs: 0 });
    for (let i = 0; i < 57; i++) busy.decide(chatAttempt({ apiKey: 'sk-someone-else-1' }), 0);
    const keyed = chatAttempt({ stream: true, attemptKey: 'req-42/attempt-1' });
    const pick = (d: Decision) => [d.outcome, d.latencyMs, d.completionTokens, d.tokenGapsMs, d.reason];
    expect(pick(busy.decide(keyed, 0))).toEqual(pick(fresh.decide(keyed, 0)));
    // Without a key the position in the sequence names the attempt, so the draws differ.
    const unkeyed = chatAttempt({ stream: true });
    expect(pick(busy.decide(unkeyed, 0))).not.toEqual(pick(fresh.decide(unkeyed, 0)));
  });
});

describe('UpstreamModel: order of evaluation', () => {
  it('a fault forced by the x-squall-fault header wins over the schedule', () => {
    const m = model({ phases: [{ startMs: 0, endMs: FOREVER, faults: { '500': 1 } }] });
    expect(m.decide(chatAttempt({ forcedFault: '503' }), 0)).toMatchObject({
      outcome: '503',
      reason: 'header x-squall-fault',
    });
  });

  it('a stream fault forced on a non-streaming request does nothing', () => {
    const m = model();
    expect(m.decide(chatAttempt({ forcedFault: 'stream_cut' }), 0).outcome).toBe('ok');
    expect(m.decide(chatAttempt({ forcedFault: 'stream_cut', stream: true }), 0).outcome).toBe('stream_cut');
  });

  it.each([
    { kind: 'timeout' as const, hangMs: 30_000, latencyMs: 0, gaps: false },
    { kind: 'stream_stall' as const, hangMs: 30_000, latencyMs: 50, gaps: true },
    { kind: 'stream_stall_keepalive' as const, hangMs: 30_000, latencyMs: 50, gaps: true },
    { kind: '500' as const, hangMs: undefined, latencyMs: 50, gaps: false },
    { kind: '502' as const, hangMs: undefined, latencyMs: 0, gaps: false },
  ])('fault $kind: hangMs $hangMs, latency $latencyMs', ({ kind, hangMs, latencyMs, gaps }) => {
    const d = model().decide(chatAttempt({ forcedFault: kind, stream: true }), 0);
    expect(d.hangMs).toBe(hangMs);
    expect(d.latencyMs).toBe(latencyMs);
    expect(d.tokenGapsMs !== undefined).toBe(gaps);
    if (gaps) expect(d.tokenGapsMs).toHaveLength(d.completionTokens);
  });

  it('unknown keys get 401 and unknown models 404 when the lists are set', () => {
    const m = model({ models: ['gpt-4o-mini'], apiKeys: ['sk-good-key-123'] });
    expect(m.decide(chatAttempt({ apiKey: 'sk-good-key-123' }), 0).outcome).toBe('ok');
    expect(m.decide(chatAttempt({ apiKey: 'sk-bad-key-4567' }), 0)).toMatchObject({ outcome: '401' });
    expect(m.decide(chatAttempt({ apiKey: 'sk-good-key-123', model: 'gpt-9' }), 0)).toMatchObject({
      outcome: '404',
      reason: 'unknown model "gpt-9"',
    });
  });

  it('rate limits: a burst of 61 at 60 RPM gets one 429 with the wait until a request fits', () => {
    const m = model({ rateLimits: { requestsPerMin: 60, tokensPerMin: 1_000_000 } });
    const ds = Array.from({ length: 61 }, (_, i) => m.decide(chatAttempt(), i));
    expect(ds.slice(0, 60).map((d) => d.rateLimit.remainingRequests)).toEqual(
      Array.from({ length: 60 }, (_, i) => 59 - i),
    );
    expect(ds[60]).toMatchObject({ outcome: '429', limitedBy: 'requests', limit: { limit: 60, used: 60 } });
    expect(ds[60]!.retryAfterMs).toBeCloseTo(1000 - 60, 6);
  });

  it('rate limits: more than the TPM limit in one request is request_too_large', () => {
    const m = model({ rateLimits: { requestsPerMin: 60, tokensPerMin: 1000 } });
    expect(m.decide(chatAttempt({ promptTokens: 100, maxTokens: 2000 }), 0)).toMatchObject({
      outcome: 'request_too_large',
      limitedBy: 'tokens',
      limit: { limit: 1000, requested: 2100 },
    });
  });

  it('faulted attempts still charge RPM (but not TPM); refused connections charge nothing', () => {
    const m = model({
      rateLimits: { requestsPerMin: 60, tokensPerMin: 100_000 },
      phases: [{ startMs: 0, endMs: FOREVER, faults: { '500': 1 } }],
    });
    const ds = [1, 2, 3].map(() => m.decide(chatAttempt(), 0));
    expect(ds.map((d) => [d.outcome, d.rateLimit.remainingRequests, d.rateLimit.remainingTokens])).toEqual([
      ['500', 59, 100_000],
      ['500', 58, 100_000],
      ['500', 57, 100_000],
    ]);
    expect(m.decide(chatAttempt({ forcedFault: 'refuse' }), 0).rateLimit.remainingRequests).toBe(57);
  });

  it('capacity: queues beyond maxConcurrent, then answers 503 overloaded', () => {
    const m = model({ latency: { kind: 'fixed', ms: 1000 }, capacity: { maxConcurrent: 1, maxQueue: 1 } });
    const ds = [1, 2, 3].map(() => m.decide(chatAttempt(), 0));
    expect(ds.map((d) => [d.outcome, d.queueMs, d.latencyMs, d.reason])).toEqual([
      ['ok', 0, 1000, 'ok'],
      ['ok', 1000, 2000, 'ok (queued 1000ms)'],
      ['503', 0, 0, 'capacity: 2 in flight'],
    ]);
    expect(m.inFlight(0)).toBe(2);
    expect(m.decide(chatAttempt(), 1000).outcome).toBe('ok');
  });

  it('a phase capacity override (partial capacity loss) applies while active', () => {
    const m = model({
      latency: { kind: 'fixed', ms: 1000 },
      capacity: { maxConcurrent: 10, maxQueue: 0 },
      phases: [{ name: 'half', startMs: 0, endMs: 100, maxConcurrent: 1 }],
    });
    expect([m.decide(chatAttempt(), 0).outcome, m.decide(chatAttempt(), 0).outcome]).toEqual(['ok', '503']);
    expect(m.decide(chatAttempt(), 100).outcome).toBe('ok');
  });
});

describe('UpstreamModel: successful answers', () => {
  it('a stream carries ttft latency, a clipped completion length and one delay per token', () => {
    const m = model({ completionTokens: { medianTokens: 40, p99Tokens: 200 } });
    for (let i = 0; i < 200; i++) {
      const d = m.decide(chatAttempt({ stream: true, maxTokens: 30 }), i);
      expect(d.outcome).toBe('ok');
      expect(d.latencyMs).toBe(50);
      expect(d.completionTokens).toBeGreaterThanOrEqual(1);
      expect(d.completionTokens).toBeLessThanOrEqual(30);
      expect(d.tokenGapsMs).toHaveLength(d.completionTokens);
    }
  });

  it('non-streaming answers use the whole-answer latency; embeddings have no completion', () => {
    const m = model();
    const chat = m.decide(chatAttempt(), 0);
    expect([chat.latencyMs, chat.tokenGapsMs]).toEqual([100, undefined]);
    const emb = m.decide(
      chatAttempt({ endpoint: 'embeddings', model: 'text-embedding-3-small', maxTokens: 0 }),
      0,
    );
    expect([emb.outcome, emb.completionTokens, emb.tokenGapsMs]).toEqual(['ok', 0, undefined]);
  });

  it('a phase latency override applies to attempts in its window', () => {
    const m = model({
      phases: [{ name: 'slow', startMs: 1000, endMs: 2000, latency: { kind: 'fixed', ms: 7000 } }],
    });
    expect([0, 1500, 2000].map((t) => m.decide(chatAttempt(), t).latencyMs)).toEqual([100, 7000, 100]);
  });
});

describe('UpstreamModel: time and control', () => {
  it('schedule times count from startMs', () => {
    const m = new UpstreamModel(
      upstreamConfig({ phases: [{ startMs: 0, endMs: 1000, faults: { '500': 1 } }] }),
      {
        startMs: 10_000,
      },
    );
    expect([10_500, 11_000].map((t) => m.decide(chatAttempt(), t).outcome)).toEqual(['500', 'ok']);
  });

  it('without startMs the first time seen is the start', () => {
    const m = new UpstreamModel(
      upstreamConfig({ phases: [{ startMs: 0, endMs: 1000, faults: { '500': 1 } }] }),
    );
    expect(m.startMs).toBeUndefined();
    expect(m.decide(chatAttempt(), 50_000).outcome).toBe('500');
    expect(m.startMs).toBe(50_000);
    expect(m.decide(chatAttempt(), 51_000).outcome).toBe('ok');
  });

  it('an override applies for its TTL, to its scope, then reverts by itself', () => {
    const m = model();
    const { id, expiresAtMs } = m.override(
      { faults: { '503': 1 }, ttlMs: 500, scope: { apiKeys: ['sk-test-key-aaaa'] } },
      1000,
    );
    expect([id, expiresAtMs]).toEqual(['o1', 1500]);
    expect(m.decide(chatAttempt(), 1200)).toMatchObject({
      outcome: '503',
      reason: 'fault 503 (p=1) from "override o1"',
    });
    expect(m.decide(chatAttempt({ apiKey: 'sk-other-key-bbbb' }), 1200).outcome).toBe('ok');
    expect(m.state(1200).overrides).toEqual([
      {
        id: 'o1',
        faults: { '503': 1 },
        scope: { apiKeys: ['sk-test-key-aaaa'] },
        expiresAtMs: 1500,
        remainingMs: 300,
      },
    ]);
    expect(m.decide(chatAttempt(), 1500).outcome).toBe('ok');
    expect(m.state(1500).overrides).toEqual([]);
  });

  it('an override latency wins over a phase latency; clearOverrides() drops it', () => {
    const m = model({ phases: [{ startMs: 0, endMs: FOREVER, latency: { kind: 'fixed', ms: 3000 } }] });
    m.override({ faults: {}, ttlMs: 10_000, latency: { kind: 'fixed', ms: 9000 } }, 0);
    expect(m.decide(chatAttempt(), 1).latencyMs).toBe(9000);
    m.clearOverrides();
    expect(m.decide(chatAttempt(), 2).latencyMs).toBe(3000);
  });

  it('rejects an invalid override with a hint', () => {
    expect(() => model().override({ faults: { '500': 2 }, ttlMs: 1000 }, 0)).toThrow(
      /override o1: faults\.500/,
    );
    expect(() => model().override({ faults: {}, ttlMs: 0 }, 0)).toThrow(/ttlMs/);
  });

  it('reset() restarts the schedule, refills buckets and empties capacity and journal', () => {
    const m = model({
      rateLimits: { requestsPerMin: 10, tokensPerMin: 100_000 },
      phases: [{ startMs: 0, endMs: 1000, faults: { '500': 1 } }],
    });
    expect(m.decide(chatAttempt(), 5000)).toMatchObject({
      outcome: 'ok',
      rateLimit: { remainingRequests: 9 },
    });
    m.override({ faults: { '502': 1 }, ttlMs: 1e9 }, 5000);
    m.reset(5000);
    expect(m.journal.list()).toEqual([]);
    expect(m.decide(chatAttempt(), 5000)).toMatchObject({
      outcome: '500',
      rateLimit: { remainingRequests: 9 },
    });
    expect(m.state(5000).overrides).toEqual([]);
  });

  it('reset() restarts the attempt sequence, so a replay gives the same decisions', () => {
    const m = model({
      latency: { kind: 'lognormal', medianMs: 500, p99Ms: 3000 },
      phases: [{ startMs: 0, endMs: FOREVER, faults: { '500': 0.3 } }],
    });
    const first = [0, 1, 2, 3, 4].map((t) => m.decide(chatAttempt(), t));
    m.reset(0);
    expect([0, 1, 2, 3, 4].map((t) => m.decide(chatAttempt(), t))).toEqual(first);
  });
});

describe('UpstreamModel: journal, state and metrics', () => {
  it('journals each attempt in a bounded ring, with retry count, masked key and request id', () => {
    const m = model({ journalSize: 5 });
    for (let i = 0; i < 12; i++) m.decide(chatAttempt({ retryCount: i % 3 }), i * 10, `req_${i}`);
    const entries = m.journal.list();
    expect(entries.map((e) => [e.seq, e.requestId, e.retryCount])).toEqual([
      [8, 'req_7', 1],
      [9, 'req_8', 2],
      [10, 'req_9', 0],
      [11, 'req_10', 1],
      [12, 'req_11', 2],
    ]);
    expect(entries[0]).toMatchObject({
      atMs: 70,
      apiKey: 'sk-…2cc74170',
      outcome: 'ok',
      status: 200,
      reason: 'ok',
      latencyMs: 100,
      endpoint: 'chat.completions',
    });
  });

  it('journals network faults without a status', () => {
    const m = model();
    m.decide(chatAttempt({ forcedFault: 'reset' }), 0, 'req_x');
    const [e] = m.journal.list();
    expect(e).toMatchObject({ outcome: 'reset', reason: 'header x-squall-fault' });
    expect(e!.status).toBeUndefined();
  });

  it('state() is plain data describing the upstream now', () => {
    const m = model({
      capacity: { maxConcurrent: 5, maxQueue: 0 },
      phases: [{ name: 'later', startMs: 1000, endMs: 2000, faults: { '500': 0.5 } }],
    });
    m.decide(chatAttempt(), 1500);
    const s = m.state(1500);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(s).toMatchObject({
      seed: 'model-test',
      startMs: 0,
      elapsedMs: 1500,
      activePhases: [{ name: 'later', factor: 1 }],
      attempts: 1,
      journalTotal: 1,
    });
    expect(s.rateLimits.map((l) => l.apiKey)).toEqual(['sk-…2cc74170']);
  });

  it('renders Prometheus text that parses line by line', () => {
    const m = model({
      rateLimits: { requestsPerMin: 100, tokensPerMin: 100_000 },
      phases: [{ name: 'p', startMs: 0, endMs: FOREVER, faults: { '503': 0.3 } }],
    });
    for (let i = 0; i < 50; i++) {
      m.decide(chatAttempt({ apiKey: i % 2 ? 'sk-key-one-1111' : 'sk-key-two-2222' }), i);
    }
    m.decide(chatAttempt({ endpoint: 'embeddings', maxTokens: 0 }), 60);
    const text = renderPrometheus(m, 100);
    const sample =
      /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? -?\d+(\.\d+)?(e[+-]?\d+)?$/;
    const lines = text.trimEnd().split('\n');
    for (const line of lines) {
      if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
      expect(line).toMatch(sample);
    }
    const ok = m.counters.outcome('ok');
    const errors = m.counters.outcome('503');
    expect(ok + errors).toBe(51);
    expect(text).toContain(`squall_attempts_total{outcome="ok",endpoint="chat.completions"} ${ok - 1}`);
    expect(text).toContain('squall_attempts_total{outcome="ok",endpoint="embeddings"} 1');
    expect(text).toContain('# TYPE squall_attempts_total counter');
    expect(text).toContain('# TYPE squall_in_flight gauge');
    expect(text).toContain('squall_active_phases 1');
    expect(text).toMatch(/squall_ratelimit_remaining_requests\{api_key="sk-…ee635c3b"\} \d+/);
    // Every series is unique.
    const series = lines.filter((l) => !l.startsWith('#')).map((l) => l.slice(0, l.lastIndexOf(' ')));
    expect(new Set(series).size).toBe(series.length);
  });
});
