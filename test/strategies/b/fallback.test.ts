import { describe, expect, it } from 'vitest';
import { isSquallError } from '../../../src/errors.ts';
import { fallbackChain } from '../../../src/strategies/policies/fallback.ts';
import { type Policy, type PolicyResult, wrap } from '../../../src/strategies/policy.ts';
import type { AttemptOutcome } from '../../../src/strategies/types.ts';
import { bench, fail, network, ok, request, runAt } from './harness.ts';

/** The upstream stand-in answers each model from its own script; the last entry repeats. */
function scripted(script: Record<string, Array<(model: string) => AttemptOutcome>>) {
  const seen = new Map<string, number>();
  return bench({
    respond: (_req, o) => {
      const steps = script[o.model] ?? [(m: string) => fail(404, m, { code: 'model_not_found' })];
      const n = seen.get(o.model) ?? 0;
      seen.set(o.model, n + 1);
      return steps[Math.min(n, steps.length - 1)]!(o.model);
    },
  });
}

const s503 = (m: string) => fail(503, m);
const s500 = (m: string) => fail(500, m);
const s429 = (m: string) => fail(429, m, { code: 'rate_limit_exceeded', type: 'requests' });
const s200 = (m: string) => ok(m);
const CHAIN = ['claude-sonnet-4', 'gpt-5.4', 'deepseek-r1', 'qwen3'];

async function once(b: ReturnType<typeof bench>, policy = fallbackChain({ models: CHAIN }), extra = {}) {
  const run = wrap(policy);
  const [result] = await runAt(b.clock, [0], () => run(b.exec(request(), extra)));
  return result as PolicyResult;
}

const trail = (b: ReturnType<typeof bench>) => b.sent.map((s) => `${s.model}@${s.atMs}`);

describe("fallbackChain: the second seed article's routing table", () => {
  it('503 → falls back to the next model immediately', async () => {
    const b = scripted({ 'claude-sonnet-4': [s503], 'gpt-5.4': [s200] });
    const r = await once(b);
    expect(r.kind === 'response' && r.model).toBe('gpt-5.4');
    expect(trail(b)).toEqual(['claude-sonnet-4@0', 'gpt-5.4@0']);
    const fb = b.events.filter((e) => e.type === 'fallback');
    expect(fb).toEqual([
      {
        type: 'fallback',
        requestId: expect.any(String),
        from: 'claude-sonnet-4',
        to: 'gpt-5.4',
        reason: 'claude-sonnet-4 (503)',
        atMs: 0,
      },
    ]);
  });

  it('500 → retries twice (1 s, 2 s) on the same model, then falls back', async () => {
    const b = scripted({ 'claude-sonnet-4': [s500], 'gpt-5.4': [s200] });
    const r = await once(b);
    expect(r.kind === 'response' && r.status).toBe(200);
    expect(trail(b)).toEqual([
      'claude-sonnet-4@0',
      'claude-sonnet-4@1000',
      'claude-sonnet-4@3000',
      'gpt-5.4@3000',
    ]);
  });

  it('500 then success → stays on the primary', async () => {
    const b = scripted({ 'claude-sonnet-4': [s500, s200] });
    await once(b);
    expect(trail(b)).toEqual(['claude-sonnet-4@0', 'claude-sonnet-4@1000']);
  });

  it('429 → backoff retry of 2^n s + up to 1 s of jitter, on the same model', async () => {
    const b = scripted({ 'claude-sonnet-4': [s429, s429, s200] });
    const r = await once(b);
    expect(r.kind === 'response' && r.model).toBe('claude-sonnet-4');
    const [t0, t1, t2] = b.sent.map((s) => s.atMs);
    expect(t0).toBe(0);
    expect(t1! - t0!).toBeGreaterThanOrEqual(1000);
    expect(t1! - t0!).toBeLessThan(2000);
    expect(t2! - t1!).toBeGreaterThanOrEqual(2000);
    expect(t2! - t1!).toBeLessThan(3000);
    const retries = b.events.filter((e) => e.type === 'retry');
    expect(retries.map((e) => e.type === 'retry' && e.reason)).toEqual([
      '429 rate_limit_exceeded on claude-sonnet-4 (fallback route 429: backoff_retry)',
      '429 rate_limit_exceeded on claude-sonnet-4 (fallback route 429: backoff_retry)',
    ]);
  });

  it.each([
    [401, 'invalid_api_key'],
    [400, 'context_length_exceeded'],
    [403, 'unsupported_country_region_territory'],
  ])('%i → fails at once: no retry, no fallback', async (status, code) => {
    const b = scripted({ 'claude-sonnet-4': [(m) => fail(status, m, { code })], 'gpt-5.4': [s200] });
    const r = await once(b);
    expect(r.kind === 'response' && r.status).toBe(status);
    expect(trail(b)).toEqual(['claude-sonnet-4@0']);
  });

  it('a quota 429 is a client error: it fails rather than backing off', async () => {
    const b = scripted({
      'claude-sonnet-4': [(m) => fail(429, m, { code: 'insufficient_quota', type: 'insufficient_quota' })],
    });
    const r = await once(b);
    expect(r.kind === 'response' && r.errorCode).toBe('insufficient_quota');
    expect(b.sent).toHaveLength(1);
  });

  it('timeout → one immediate retry, then the next model', async () => {
    const b = scripted({ 'claude-sonnet-4': [(m) => network('timeout', m)], 'gpt-5.4': [s200] });
    await once(b);
    expect(trail(b)).toEqual(['claude-sonnet-4@0', 'claude-sonnet-4@0', 'gpt-5.4@0']);
  });

  it('a connection reset → backoff retry 1 s, 2 s, 4 s, then the next model', async () => {
    const b = scripted({ 'claude-sonnet-4': [(m) => network('reset', m)], 'gpt-5.4': [s200] });
    await once(b);
    expect(trail(b)).toEqual([
      'claude-sonnet-4@0',
      'claude-sonnet-4@1000',
      'claude-sonnet-4@3000',
      'claude-sonnet-4@7000',
      'gpt-5.4@7000',
    ]);
  });

  it('ends in a clear fallback_exhausted rejection naming every model when the chain runs out', async () => {
    const b = scripted({
      'claude-sonnet-4': [s503],
      'gpt-5.4': [s500],
      'deepseek-r1': [s503],
      qwen3: [s503],
    });
    const r = await once(b);
    expect(r.kind).toBe('rejected');
    if (r.kind !== 'rejected') return;
    expect(r.reason).toBe('fallback_exhausted');
    expect(r.by).toBe('fallback');
    expect(r.message).toBe(
      'fallback chain exhausted: all 4 models failed: claude-sonnet-4 (503), gpt-5.4 (500 after 2 retries), deepseek-r1 (503), qwen3 (503)',
    );
    expect(r.last).toMatchObject({ kind: 'response', status: 503, model: 'qwen3' });
    expect(b.events.filter((e) => e.type === 'fallback').map((e) => e.type === 'fallback' && e.to)).toEqual([
      'gpt-5.4',
      'deepseek-r1',
      'qwen3',
    ]);
  });
});

describe('fallbackChain: configuration', () => {
  it('routes can be overridden per error, the rest keep the article defaults', async () => {
    const b = scripted({ a: [s503, s200] });
    const policy = fallbackChain({
      models: ['a', 'b'],
      routes: { '503': { action: 'retry_then_fallback', retries: 1 } },
    });
    const r = await once(b, policy);
    expect(r.kind === 'response' && r.model).toBe('a');
    expect(trail(b)).toEqual(['a@0', 'a@0']);
  });

  it('retry counts start afresh on each model', async () => {
    const b = scripted({ a: [s500], b: [s500] });
    const policy = fallbackChain({
      models: ['a', 'b'],
      routes: { '500': { action: 'retry_then_fallback', retries: 1 } },
    });
    const r = await once(b, policy);
    expect(r.kind === 'rejected' && r.reason).toBe('fallback_exhausted');
    expect(trail(b)).toEqual(['a@0', 'a@0', 'b@0', 'b@0']);
  });

  it('a breaker-open rejection from inside moves on to the next model', async () => {
    const b = scripted({ b: [s200] });
    const breakerOpenOnA: Policy = {
      name: 'stand-in-breaker',
      execute: async (exec, next) =>
        exec.model === 'a'
          ? { kind: 'rejected', by: 'breaker', reason: 'breaker_open', message: 'open' }
          : next(exec),
    };
    const run = wrap(fallbackChain({ models: ['a', 'b'] }), breakerOpenOnA);
    const [r] = await runAt(b.clock, [0], () => run(b.exec(request())));
    expect(r!.kind === 'response' && r!.model).toBe('b');
    expect(trail(b)).toEqual(['b@0']);
  });

  it('does not start a wait that would end past the deadline', async () => {
    const b = scripted({ a: [s500] });
    const r = await once(b, fallbackChain({ models: ['a', 'b'] }), { deadlineAtMs: 500 });
    expect(r.kind === 'rejected' && r.reason).toBe('deadline_exceeded');
    expect(r.kind === 'rejected' && r.last).toMatchObject({ status: 500 });
    expect(trail(b)).toEqual(['a@0']);
  });

  it('same seed, same jittered delays', async () => {
    const delays = async () => {
      const b = scripted({ a: [s429, s429, s429, s200] });
      const run = wrap(fallbackChain({ models: ['a'] }));
      await runAt(b.clock, [0], () => run(b.exec(request({ id: 'same-id' }))));
      return b.sent.map((s) => s.atMs);
    };
    const first = await delays();
    expect(await delays()).toEqual(first);
    expect(first[1]! % 1000).not.toBe(0);
  });

  it.each([
    [{ models: [] }, 'models'],
    [{ models: ['a', ''] }, 'models[1]'],
    [{ models: ['a'], routes: { '502': { action: 'fallback' } } }, 'routes'],
    [{ models: ['a'], routes: { '500': { action: 'retry_forever' } } }, 'routes.500.action'],
    [{ models: ['a'], routes: { '500': { action: 'backoff_retry', retries: -1 } } }, 'routes.500.retries'],
    [
      {
        models: ['a'],
        routes: {
          '429': {
            action: 'backoff_retry',
            backoff: { kind: 'exponential', baseMs: 100, capMs: 1000, jitter: 'fulll' },
          },
        },
      },
      'routes.429.backoff.jitter',
    ],
    [
      {
        models: ['a'],
        routes: { '429': { action: 'backoff_retry', backoff: { kind: 'fixed', delayMs: -2 } } },
      },
      'routes.429.backoff.delayMs',
    ],
  ])('rejects %j naming %s', (options, field) => {
    try {
      fallbackChain(options as never, 'strategy "fb" policies[0]');
      expect.unreachable();
    } catch (e) {
      expect(isSquallError(e, 'ERR_SQUALL_STRATEGY')).toBe(true);
      expect((e as Error).message).toContain(`strategy "fb" policies[0].${field}`);
    }
  });
});
