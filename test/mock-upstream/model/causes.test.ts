import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RateLimits } from '../../../mock-upstream/model/buckets.ts';
import { UPSTREAM_CAUSES } from '../../../mock-upstream/model/causes/index.ts';
import { burstOf } from '../../../mock-upstream/model/causes/quantum.ts';
import { FAULT_KINDS, faultKindRow } from '../../../mock-upstream/model/fault-kinds.ts';
import { UpstreamModel } from '../../../mock-upstream/model/index.ts';
import { replyForDecision } from '../../../mock-upstream/reply.ts';
import type { PhaseConfig } from '../../../mock-upstream/types.ts';
import { createUpstream } from '../../../mock-upstream/upstream.ts';
import { parseText, ScenarioValidationError } from '../../../src/scenario/load.ts';
import { upstreamConfigFrom, upstreamSchema } from '../../../src/scenario/upstream-schema.ts';
import { chatAttempt, upstreamConfig } from './fixtures.ts';

const fixedMs = (ms: number) => ({ kind: 'fixed', ms }) as const;

function phase(p: Partial<PhaseConfig>): PhaseConfig {
  return { name: 'p', startMs: 0, endMs: 60_000, ...p };
}

describe('the causes registry', () => {
  it('names each cause once, with the scenario key that sets it and a public source', () => {
    const names = UPSTREAM_CAUSES.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of UPSTREAM_CAUSES) {
      expect(c.key, c.name).toMatch(/upstream\.|phases\[\]/);
      expect(c.source.length, c.name).toBeGreaterThan(10);
    }
  });
});

describe('network round trip (upstream.network.rtt)', () => {
  const withRtt = (patch = {}) => upstreamConfig({ networkRtt: fixedMs(7), ...patch });

  it('is added to every answer: successes, errors, rate-limit 429s, capacity 503s, resets and refusals', () => {
    const kinds = ['500', '503', '502', '429', 'reset', 'refuse', 'timeout'] as const;
    for (const kind of kinds) {
      const m = new UpstreamModel(withRtt({ phases: [phase({ faults: { [kind]: 1 } })] }), { startMs: 0 });
      const d = m.decide(chatAttempt(), 10);
      expect(d.networkMs, kind).toBe(7);
    }
    const limited = new UpstreamModel(withRtt({ rateLimits: { requestsPerMin: 1, tokensPerMin: 1e9 } }), {
      startMs: 0,
    });
    limited.decide(chatAttempt(), 0);
    expect(limited.decide(chatAttempt(), 0)).toMatchObject({ outcome: '429', networkMs: 7 });
    const full = new UpstreamModel(withRtt({ capacity: { maxConcurrent: 1, maxQueue: 0 } }), { startMs: 0 });
    full.decide(chatAttempt(), 0);
    expect(full.decide(chatAttempt(), 0)).toMatchObject({ outcome: '503', networkMs: 7 });
  });

  it('goes in front of the headers, the reset and the refusal on the wire', () => {
    const config = withRtt();
    const ctx = { requestId: 'req', nowMs: 0, createdSec: 0, config, lite: true };
    const base = { latencyMs: 100, queueMs: 0, completionTokens: 5, reason: '', phases: [], networkMs: 7 };
    const rateLimit = new RateLimits(config.rateLimits).snapshot('k', 0);
    const ok = replyForDecision(ctx, chatAttempt(), { ...base, outcome: 'ok', rateLimit });
    expect(ok).toMatchObject({ kind: 'response', headerDelayMs: 107 });
    expect(ok.kind === 'response' && ok.headers['openai-processing-ms']).toBe('100');
    expect(replyForDecision(ctx, chatAttempt(), { ...base, outcome: 'reset', rateLimit })).toEqual({
      kind: 'reset',
      delayMs: 107,
    });
    expect(
      replyForDecision(ctx, chatAttempt(), { ...base, latencyMs: 0, outcome: 'refuse', rateLimit }),
    ).toEqual({
      kind: 'refuse',
      delayMs: 7,
    });
  });

  it('is drawn per attempt key, the same whichever front asks, and absent when not configured', () => {
    const spec = { kind: 'lognormal', medianMs: 5, p99Ms: 20, maxMs: 100 } as const;
    const a = new UpstreamModel(upstreamConfig({ networkRtt: spec }), { startMs: 0 });
    const b = new UpstreamModel(upstreamConfig({ networkRtt: spec }), { startMs: 0 });
    const drawn = ['k1', 'k2', 'k3'].map((k) => a.decide(chatAttempt({ attemptKey: k }), 0).networkMs);
    const again = ['k3', 'k2', 'k1'].map((k) => b.decide(chatAttempt({ attemptKey: k }), 50).networkMs);
    expect(drawn).toEqual(again.reverse());
    for (const ms of drawn) expect(ms).toBeGreaterThan(0);
    expect(new UpstreamModel(upstreamConfig(), { startMs: 0 }).decide(chatAttempt(), 0).networkMs).toBe(
      undefined,
    );
  });

  it('has a default of a few milliseconds for scenario files, and rtt 0ms turns it off', () => {
    expect(upstreamConfigFrom('s').networkRtt).toEqual({
      kind: 'lognormal',
      medianMs: 5,
      p99Ms: 20,
      maxMs: 100,
    });
    expect(upstreamConfigFrom('s', { network: { rtt: '0ms' } }).networkRtt).toEqual(fixedMs(0));
  });

  it('also delays the answers the front gives itself (an unknown model)', () => {
    const u = createUpstream({ seed: 1, upstream: { network: { rtt: '9ms' } } }, { startMs: 0 });
    const reply = u.handleParsed(chatAttempt({ model: 'no-such-model' }), 0);
    expect(reply).toMatchObject({ kind: 'response', status: 404, headerDelayMs: 9 });
  });
});

describe('latency per fault kind (upstream.fault_latency)', () => {
  it('applies the kind latency to that outcome, a phase entry over the upstream one', () => {
    const m = new UpstreamModel(
      upstreamConfig({
        faultLatency: { '503': fixedMs(2000), '502': fixedMs(60_000) },
        phases: [
          phase({ name: 'a', endMs: 1000, faults: { '503': 1 } }),
          phase({ name: 'b', startMs: 1000, endMs: 2000, faults: { '502': 1 } }),
          phase({
            name: 'c',
            startMs: 2000,
            endMs: 3000,
            faults: { '503': 1 },
            faultLatency: { '503': fixedMs(5000) },
          }),
          phase({ name: 'd', startMs: 3000, endMs: 4000, faults: { '500': 1 } }),
        ],
      }),
      { startMs: 0 },
    );
    expect(m.decide(chatAttempt(), 0)).toMatchObject({ outcome: '503', latencyMs: 2000 });
    expect(m.decide(chatAttempt(), 1000)).toMatchObject({ outcome: '502', latencyMs: 60_000 });
    expect(m.decide(chatAttempt(), 2000)).toMatchObject({ outcome: '503', latencyMs: 5000 });
    // No entry: the kind's default (a 500 takes the processing latency, 100 ms here).
    expect(m.decide(chatAttempt(), 3000)).toMatchObject({ outcome: '500', latencyMs: 100 });
  });

  it('property: every kind with an entry takes exactly that latency (a hang: that hold, capped)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FAULT_KINDS), fc.integer({ min: 0, max: 120_000 }), (kind, ms) => {
        const m = new UpstreamModel(
          upstreamConfig({
            faultLatency: { [kind]: fixedMs(ms) },
            phases: [phase({ faults: { [kind]: 1 } })],
          }),
          { startMs: 0 },
        );
        const d = m.decide(chatAttempt({ stream: true }), 0);
        expect(d.outcome).toBe(kind);
        if (faultKindRow(kind).hangs) expect(d.hangMs).toBe(Math.min(ms, 30_000));
        else expect(d.latencyMs).toBe(ms);
      }),
      { seed: 5, numRuns: 200 },
    );
  });

  it('slows a capacity 503 too, and caps a hang at maxHangMs', () => {
    const m = new UpstreamModel(
      upstreamConfig({
        capacity: { maxConcurrent: 1, maxQueue: 0 },
        faultLatency: { '503': fixedMs(3000), timeout: fixedMs(10 * 60_000) },
        phases: [phase({ startMs: 10_000, endMs: 20_000, faults: { timeout: 1 } })],
      }),
      { startMs: 0 },
    );
    m.decide(chatAttempt(), 0);
    expect(m.decide(chatAttempt(), 0)).toMatchObject({ outcome: '503', latencyMs: 3000 });
    expect(m.decide(chatAttempt(), 10_000)).toMatchObject({ outcome: 'timeout', hangMs: 30_000 });
  });

  it('accepts durations and distributions in a scenario file', () => {
    const c = upstreamConfigFrom('s', {
      fault_latency: { '503': { median: '2s', p99: '10s' }, '502': '60s' },
      phases: [{ start: 0, end: '1m', fault_latency: { '500': '1s' } }],
    });
    expect(c.faultLatency).toEqual({
      '503': { kind: 'lognormal', medianMs: 2000, p99Ms: 10_000 },
      '502': fixedMs(60_000),
    });
    expect(c.phases[0]!.faultLatency).toEqual({ '500': fixedMs(1000) });
  });
});

describe('quantized rate limits (upstream.rate_limits.quantum)', () => {
  it('rejects a synchronized wave that the same load spread over the minute passes', () => {
    const limits = { requestsPerMin: 600, tokensPerMin: 1e9, quantumMs: 1000 };
    const wave = new RateLimits(limits);
    const admittedWave = Array.from({ length: 60 }, () => wave.check('k', 10, 0)).filter(
      (c) => c.outcome === 'ok',
    ).length;
    expect(admittedWave).toBe(10);
    const spread = new RateLimits(limits);
    const admittedSpread = Array.from({ length: 60 }, (_, i) => spread.check('k', 10, i * 1000)).filter(
      (c) => c.outcome === 'ok',
    ).length;
    expect(admittedSpread).toBe(60);
    // Without a quantum the wave passes whole (the default: existing scenarios keep their meaning).
    const minute = new RateLimits({ requestsPerMin: 600, tokensPerMin: 1e9 });
    expect(Array.from({ length: 60 }, () => minute.check('k', 10, 0).outcome).every((o) => o === 'ok')).toBe(
      true,
    );
  });

  it('publishes the per-minute limit in the headers while the bucket holds one quantum', () => {
    const l = new RateLimits({ requestsPerMin: 600, tokensPerMin: 60_000, quantumMs: 1000 });
    const s = l.check('k', 100, 0).snapshot;
    expect(s).toMatchObject({
      limitRequests: 600,
      remainingRequests: 9,
      limitTokens: 60_000,
      remainingTokens: 900,
    });
  });

  it('admits a request larger than a quantum of tokens (within the minute) when the bucket is full', () => {
    const l = new RateLimits({ requestsPerMin: 600, tokensPerMin: 60_000, quantumMs: 1000 });
    expect(l.check('k', 5000, 0).outcome).toBe('ok');
    expect(l.check('k', 5000, 0).outcome).toBe('tokens');
    expect(l.check('k', 70_000, 0).outcome).toBe('too_large');
  });

  it('property: a quantized bucket never admits more than its burst plus what refills meanwhile', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.array(fc.integer({ min: 0, max: 60_000 }), { minLength: 1, maxLength: 300 }),
        (requestsPerMin, quantumMs, offsets) => {
          const l = new RateLimits({ requestsPerMin, tokensPerMin: 1e12, quantumMs });
          const times = offsets.map((o) => (o * quantumMs) / 60_000).sort((a, b) => a - b);
          const admitted = times.filter((t) => l.check('k', 1, t).outcome === 'ok').length;
          // All arrivals fall within one quantum: at most the burst, plus the refill over their span.
          const spanMs = times[times.length - 1]! - times[0]!;
          const bound = burstOf(requestsPerMin, quantumMs, 1) + (spanMs * requestsPerMin) / 60_000;
          return admitted <= Math.floor(bound + 1e-9);
        },
      ),
      { seed: 12, numRuns: 300 },
    );
  });

  it('is read from a scenario file, per key and per phase too, and must be at most a minute', () => {
    const c = upstreamConfigFrom('s', {
      rate_limits: { requests_per_min: 600, quantum: '1s' },
      rate_limits_by_key: { 'sk-a': { quantum: '100ms' } },
      phases: [{ start: 0, end: '1m', rate_limits: { quantum: '10s' } }],
    });
    expect(c.rateLimits.quantumMs).toBe(1000);
    expect(c.rateLimitsByKey?.['sk-a']?.quantumMs).toBe(100);
    expect(c.phases[0]!.rateLimits?.quantumMs).toBe(10_000);
    expect(() => upstreamConfigFrom('s', { rate_limits: { quantum: '2m' } })).toThrow(/at most 1m/);
  });
});

describe('capacity rejections (upstream.capacity.reject) and server-chosen Retry-After', () => {
  const busy = (reject: { status: 503 | 429 | 409; retry_after?: string }) => {
    const u = createUpstream(
      {
        seed: 1,
        upstream: { network: { rtt: '0ms' }, capacity: { max_concurrent: 1, max_queue: 0, reject } },
      },
      { startMs: 0 },
    );
    u.handleParsed(chatAttempt(), 0);
    return u.handleParsed(chatAttempt(), 0);
  };

  it.each([503, 429, 409] as const)('answers %s with the configured Retry-After', (status) => {
    const reply = busy({ status, retry_after: '20s' });
    expect(reply).toMatchObject({ kind: 'response', status });
    expect(reply.kind === 'response' && reply.headers['retry-after']).toBe('20');
  });

  it('keeps the old answer by default: a 503 without Retry-After', () => {
    const reply = createUpstream({ seed: 1, upstream: { capacity: { max_concurrent: 1, max_queue: 0 } } });
    reply.handleParsed(chatAttempt(), 0);
    const r = reply.handleParsed(chatAttempt(), 0);
    expect(r).toMatchObject({ kind: 'response', status: 503 });
    expect(r.kind === 'response' && r.headers['retry-after']).toBe(undefined);
  });

  it('lets a phase choose Retry-After for its retryable errors, above 60 s too, not for a 401', () => {
    const u = createUpstream(
      {
        seed: 1,
        upstream: {
          phases: [
            { start: 0, end: '1m', faults: { '500': 1 }, retry_after: '120s' },
            { start: '1m', end: '2m', faults: { '401': 1 }, retry_after: '120s' },
            { start: '2m', end: '3m', faults: { '429': 1 }, retry_after: { uniform: ['10s', '20s'] } },
          ],
        },
      },
      { startMs: 0 },
    );
    const r500 = u.handleParsed(chatAttempt(), 0);
    expect(r500.kind === 'response' && r500.headers['retry-after']).toBe('120');
    const r401 = u.handleParsed(chatAttempt(), 60_000);
    expect(r401.kind === 'response' && r401.headers['retry-after']).toBe(undefined);
    const r429 = u.handleParsed(chatAttempt(), 120_000);
    const after = Number(r429.kind === 'response' && r429.headers['retry-after']);
    expect(after).toBeGreaterThanOrEqual(10);
    expect(after).toBeLessThanOrEqual(20);
  });
});

describe('an expired API key (phases[].expired_keys)', () => {
  it('fails every attempt of that key for the whole phase, and only that key', () => {
    const m = new UpstreamModel(
      upstreamConfig({
        phases: [phase({ name: 'renewal', startMs: 1000, endMs: 5000, expiredKeys: ['sk-old'] })],
      }),
      { startMs: 0 },
    );
    const old = chatAttempt({ apiKey: 'sk-old' });
    expect(m.decide(old, 999).outcome).toBe('ok');
    for (let t = 1000; t < 5000; t += 37) {
      expect(m.decide({ ...old, attemptKey: `a${t}` }, t)).toMatchObject({
        outcome: '401',
        reason: 'api key expired (phase "renewal")',
      });
      expect(m.decide(chatAttempt({ apiKey: 'sk-new' }), t).outcome).toBe('ok');
    }
    expect(m.decide(old, 5000).outcome).toBe('ok');
  });

  it('is a validation error with file, line and field when the key is not one of api_keys', () => {
    const text = 'api_keys: [sk-a]\nphases:\n  - { start: 0, end: 1m, expired_keys: [sk-b] }\n';
    try {
      parseText('upstream.yaml', text, upstreamSchema);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ScenarioValidationError);
      const p = (e as ScenarioValidationError).problems[0]!;
      expect(p).toMatchObject({ line: 3, path: 'phases.0.expired_keys.0' });
      expect(p.message).toMatch(/not one of api_keys/);
    }
  });
});

describe('the causes in a scenario file: every mistake at once, with its line and field', () => {
  it('reports an unknown kind in fault_latency, a bad reject status, a quantum over a minute and a bad rtt', () => {
    const text = [
      'network: { rtt: fast }',
      'fault_latency: { "503": 2s, "599": 1s }',
      'rate_limits: { quantum: 2m }',
      'capacity: { max_concurrent: 4, max_queue: 0, reject: { status: 500 } }',
      'phases:',
      '  - { start: 0, end: 1m, retry_after: soon }',
      '',
    ].join('\n');
    let problems: Array<{ line: number; path: string; message: string }> = [];
    try {
      parseText('upstream.yaml', text, upstreamSchema);
    } catch (e) {
      expect(e).toBeInstanceOf(ScenarioValidationError);
      problems = (e as ScenarioValidationError).problems;
    }
    const at = (path: string) => problems.find((p) => p.path === path);
    expect(at('fault_latency.599')).toMatchObject({ line: 2, message: 'unknown fault kind "599"' });
    expect(at('rate_limits.quantum')?.line).toBe(3);
    expect(at('rate_limits.quantum')?.message).toMatch(/at most 1m/);
    expect(at('capacity.reject.status')).toMatchObject({ line: 4 });
    expect(at('capacity.reject.status')?.message).toMatch(/503, 429 or 409/);
    expect(at('network.rtt')?.line).toBe(1);
    expect(at('phases.0.retry_after')?.line).toBe(6);
  });
});
