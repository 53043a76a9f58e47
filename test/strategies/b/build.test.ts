import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildStrategy, buildStrategySync, pipelineStrategy } from '../../../src/strategies/build.ts';
import { parseStrategyConfig } from '../../../src/strategies/config.ts';
import type { Policy } from '../../../src/strategies/policy.ts';
import type { AttemptOutcome, LogicalOutcome } from '../../../src/strategies/types.ts';
import { bench, fail, network, ok, type Respond, request, runAt } from './harness.ts';

async function run(raw: unknown, respond: Respond, arrivals: number[] = [0]) {
  const b = bench({ respond });
  const strategy = await buildStrategy(raw);
  const outcomes: LogicalOutcome[] = await runAt(b.clock, arrivals, () =>
    strategy.call(request({ model: 'a' }), b.ctx),
  );
  return { b, outcomes, trail: b.sent.map((s) => `${s.model}@${s.atMs}`) };
}

const always =
  (f: (model: string) => AttemptOutcome): Respond =>
  (_r, o) =>
    f(o.model);

describe('buildStrategy: composition', () => {
  it('composes policies outermost first: a fallback around a retry retries each model', async () => {
    const { trail } = await run(
      {
        name: 'fb-outside',
        policies: [
          { type: 'fallback', models: ['a', 'b'], routes: { '503': { action: 'fallback' } } },
          { type: 'retry', maxAttempts: 2, backoff: { kind: 'fixed', delayMs: '1s' } },
        ],
      },
      always((m) => (m === 'a' ? fail(503, m) : ok(m))),
    );
    expect(trail).toEqual(['a@0', 'a@1000', 'b@1000']);
  });

  it('and a retry around a fallback retries the whole chain', async () => {
    const { trail, outcomes } = await run(
      {
        name: 'retry-outside',
        policies: [
          {
            type: 'retry',
            maxAttempts: 2,
            backoff: { kind: 'fixed', delayMs: 1000 },
            retryOn: ['transient'],
          },
          { type: 'fallback', models: ['a', 'b'], routes: { '503': { action: 'fallback' } } },
        ],
      },
      always((m) => fail(503, m)),
    );
    // A fallback_exhausted rejection is not an upstream failure, so the outer retry does not retry it.
    expect(trail).toEqual(['a@0', 'b@0']);
    expect(outcomes[0]).toMatchObject({
      result: 'fallback_exhausted',
      attempts: 2,
      last: { status: 503, model: 'b' },
    });
  });

  it('with no policies makes a single attempt (the baseline)', async () => {
    const { trail, outcomes } = await run(
      { name: 'baseline' },
      always((m) => fail(500, m)),
    );
    expect(trail).toEqual(['a@0']);
    expect(outcomes[0]).toMatchObject({ ok: false, result: 'failed_transient', attempts: 1 });
  });

  it('builds fresh policy state for every build (a breaker does not carry over between runs)', async () => {
    const raw = { name: 'br', policies: [{ type: 'breaker', threshold: 1, openMs: '1m' }] };
    const first = await run(
      raw,
      always((m) => fail(500, m)),
      [0, 10],
    );
    expect(first.outcomes.map((o) => o.result)).toEqual(['failed_transient', 'breaker_open']);
    const second = await run(
      raw,
      always((m) => ok(m)),
    );
    expect(second.outcomes[0]!.result).toBe('success');
  });
});

describe('buildStrategy: the final result becomes the logical outcome', () => {
  it.each([
    ['success', always((m) => ok(m)), { ok: true, result: 'success', attempts: 1, model: 'a' }],
    [
      'a client error',
      always((m) => fail(401, m, { code: 'invalid_api_key' })),
      { ok: false, result: 'failed_client', attempts: 1 },
    ],
    [
      'a transient error after retries',
      always((m) => fail(500, m)),
      { ok: false, result: 'failed_transient', attempts: 3 },
    ],
    [
      'a network failure',
      always((m) => network('reset', m)),
      { ok: false, result: 'failed_network', attempts: 3 },
    ],
  ])('%s', async (_what, respond, expected) => {
    const { outcomes } = await run(
      { name: 'r', policies: [{ type: 'retry', maxAttempts: 3, backoff: { kind: 'none' } }] },
      respond as Respond,
    );
    expect(outcomes[0]).toMatchObject(expected);
    expect(outcomes[0]!.last).toBeDefined();
  });

  it('a rejection keeps its reason: breaker_open with no attempt', async () => {
    const { outcomes } = await run(
      { name: 'b', policies: [{ type: 'breaker', threshold: 1, openMs: 60_000 }] },
      always((m) => fail(503, m)),
      [0, 1],
    );
    expect(outcomes[1]).toEqual({ ok: false, result: 'breaker_open', attempts: 0 });
  });

  it('a full queue gives shed', async () => {
    const b = bench({ latencyMs: 100 });
    const s = buildStrategySync(
      parseStrategyConfig({
        name: 'q',
        policies: [{ type: 'queue', workers: 1, maxQueue: 1, whenFull: 'reject', maxWaitMs: '1s' }],
      }),
    );
    const outcomes = await runAt(b.clock, [0, 0, 0], () => s.call(request(), b.ctx));
    expect(outcomes.map((o) => o.result)).toEqual(['success', 'success', 'shed']);
  });

  it('the strategy-level classify applies to its policies and to the final outcome', async () => {
    const { trail, outcomes } = await run(
      {
        name: 'c',
        classify: { clientStatuses: [500] },
        policies: [{ type: 'retry', maxAttempts: 3, backoff: { kind: 'none' } }],
      },
      always((m) => fail(500, m)),
    );
    expect(trail).toEqual(['a@0']);
    expect(outcomes[0]!.result).toBe('failed_client');
  });

  it('a policy that throws gives strategy_error, logged, not a crashed run', async () => {
    const b = bench();
    const logs: string[] = [];
    b.ctx.log = (m) => logs.push(m);
    const buggy: Policy = {
      name: 'buggy',
      execute: async (exec, next) => {
        await next(exec);
        throw new Error('bug in a policy');
      },
    };
    const outcomes = await runAt(b.clock, [0], () =>
      pipelineStrategy('buggy', [buggy]).call(request(), b.ctx),
    );
    expect(outcomes[0]).toEqual({ ok: false, result: 'strategy_error', attempts: 1 });
    expect(logs[0]).toMatch(/strategy "buggy" threw on r\d+: Error: bug in a policy/);
  });

  it('passes the abort signal down to the attempts', async () => {
    const b = bench();
    const ac = new AbortController();
    let seen: AbortSignal | undefined;
    b.ctx.send = async (_req, o) => {
      seen = o.signal;
      return ok(o.model);
    };
    const s = buildStrategySync(parseStrategyConfig({ name: 'sig' }));
    await runAt(b.clock, [0], () => s.call(request(), b.ctx, ac.signal));
    expect(seen).toBe(ac.signal);
  });
});

describe('adapters load their packages only when built', () => {
  it('checking a scenario, and everything a worker thread loads, never loads openai, cockatiel or opossum', () => {
    // A fresh process with a resolve hook that notes every bare package asked for.
    const script = `
      import { registerHooks } from 'node:module';
      const asked = new Set();
      registerHooks({ resolve(spec, ctx, next) { if (/^[a-z@]/.test(spec) && !spec.startsWith('node:')) asked.add(spec.split('/')[0]); return next(spec, ctx); } });
      const { checkStrategies } = await import(${JSON.stringify(new URL('../../../src/strategies/build.ts', import.meta.url).href)});
      await import(${JSON.stringify(new URL('../../../src/runner/run-strategy.ts', import.meta.url).href)});
      const errors = checkStrategies([
        { name: 'sdk', adapter: { type: 'openai-sdk', maxRetries: -1 } },
        { name: 'plain', preset: 'aws-standard' },
      ]);
      console.log(JSON.stringify({ asked: [...asked].sort(), errors: errors.map((e) => e.message) }));
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.stderr).toBe('');
    const { asked, errors } = JSON.parse(child.stdout) as { asked: string[]; errors: string[] };
    expect(asked).not.toContain('openai');
    expect(asked).not.toContain('cockatiel');
    expect(asked).not.toContain('opossum');
    // The SDK adapter's options are still checked, without the SDK.
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/strategy "sdk" adapter\.?maxRetries/);
  });

  it('buildStrategySync refuses an adapter and says to use buildStrategy; buildStrategy builds it', async () => {
    const config = parseStrategyConfig({ name: 'sdk', adapter: { type: 'openai-sdk' } });
    expect(() => buildStrategySync(config)).toThrow(
      /adapter\.type: "openai-sdk" loads the openai package; use buildStrategy \(async\)/,
    );
    const built = await buildStrategy({ name: 'sdk', adapter: { type: 'openai-sdk' } });
    expect(built.name).toBe('sdk');
  });
});
