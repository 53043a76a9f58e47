import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/sim/clock.ts';
import { installVirtualGlobals } from '../../../src/sim/globals.ts';
import { Rng } from '../../../src/sim/rng.ts';
import { openaiSdkStrategy } from '../../../src/strategies/adapters/openai-sdk.ts';
import type {
  LogicalOutcome,
  LogicalRequest,
  StrategyContext,
  StrategyEvent,
} from '../../../src/strategies/types.ts';
import { request } from './harness.ts';

/**
 * The real openai SDK, unmodified, as a strategy. The upstream is a tiny inline fetch (a stand-in: it
 * answers from a script and records the virtual time of every call).
 */
type Reply = { status: number; body?: unknown; raw?: string; headers?: Record<string, string> };

const serverError: Reply = {
  status: 500,
  body: { error: { message: 'boom', type: 'server_error', param: null, code: null } },
};
const success: Reply = {
  status: 200,
  body: {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4o-mini',
    choices: [
      { index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop', logprobs: null },
    ],
    usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
  },
};

interface Run {
  outcome: LogicalOutcome;
  times: number[];
  bodies: Array<Record<string, unknown>>;
  events: StrategyEvent[];
  wallMs: number;
}

async function runSdk(
  script: (n: number) => Reply,
  o: { seed?: string; maxRetries?: number; timeoutMs?: number; req?: Partial<LogicalRequest> } = {},
): Promise<Run> {
  const clock = new VirtualClock(1_700_000_000_000);
  const times: number[] = [];
  const bodies: Array<Record<string, unknown>> = [];
  const events: StrategyEvent[] = [];
  const fetch = (async (_input: string | URL | Request, init?: RequestInit) => {
    times.push(clock.now());
    bodies.push(JSON.parse(String(init?.body)));
    const reply = script(times.length - 1);
    const contentType = reply.raw !== undefined ? 'text/event-stream' : 'application/json';
    return new Response(reply.raw ?? JSON.stringify(reply.body ?? {}), {
      status: reply.status,
      headers: { 'content-type': contentType, ...reply.headers },
    });
  }) as typeof globalThis.fetch;
  const rng = new Rng(o.seed ?? 'sdk-seed');
  const ctx: StrategyContext = {
    clock,
    rng,
    emit: (e) => events.push(e),
    send: () => Promise.reject(new Error('the SDK strategy must use fetch')),
    fetch,
    baseURL: 'http://squall.test/v1',
    log: () => {},
  };
  const wallStart = performance.now();
  const globals = installVirtualGlobals(clock, { rng: rng.fork('strategy:openai-sdk') });
  let outcome: LogicalOutcome;
  try {
    const strategy = openaiSdkStrategy({
      ...(o.maxRetries !== undefined ? { maxRetries: o.maxRetries } : {}),
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    });
    const pending = strategy.call(
      request({ model: 'gpt-4o-mini', promptTokens: 25, maxTokens: 40, ...o.req }),
      ctx,
    );
    await clock.run();
    outcome = await pending;
  } finally {
    globals.restore();
  }
  return { outcome, times, bodies, events, wallMs: performance.now() - wallStart };
}

const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

describe('openai SDK strategy in virtual time', () => {
  it("makes exactly 3 attempts against persistent 500s, with the SDK's own delays, in no wall time", async () => {
    const run = await runSdk(() => serverError);
    expect(run.times).toHaveLength(3);
    const [first, second] = gaps(run.times);
    // openai-node: 0.5 s · 2^n · (1 − 0.25·u)
    expect(first).toBeGreaterThan(375);
    expect(first).toBeLessThanOrEqual(500);
    expect(second).toBeGreaterThan(750);
    expect(second).toBeLessThanOrEqual(1000);
    expect(run.wallMs).toBeLessThan(1000);
    expect(run.outcome).toMatchObject({ ok: false, result: 'failed_transient', attempts: 3 });
    expect(run.outcome.last).toMatchObject({
      kind: 'response',
      status: 500,
      errorType: 'server_error',
      errorMessage: 'boom',
    });
  });

  it('reports each attempt, and each wait the SDK chose, as events', async () => {
    const run = await runSdk(() => serverError);
    const attempts = run.events.filter((e) => e.type === 'attempt');
    expect(attempts.map((e) => (e.type === 'attempt' ? e.attemptNumber : -1))).toEqual([0, 1, 2]);
    const retries = run.events.filter((e) => e.type === 'retry');
    expect(retries.map((e) => (e.type === 'retry' ? e.delayMs : -1))).toEqual(gaps(run.times));
    expect(retries.every((e) => e.type === 'retry' && e.reason === '500')).toBe(true);
  });

  it('same seed, same delays; another seed, other delays', async () => {
    const a = await runSdk(() => serverError, { seed: 'one' });
    const b = await runSdk(() => serverError, { seed: 'one' });
    const c = await runSdk(() => serverError, { seed: 'two' });
    expect(gaps(a.times)).toEqual(gaps(b.times));
    expect(gaps(c.times)).not.toEqual(gaps(a.times));
  });

  it('honours retry-after-ms (2000) and ignores a retry-after over 60 s', async () => {
    const honoured = await runSdk((n) =>
      n === 0 ? { ...serverError, status: 429, headers: { 'retry-after-ms': '2000' } } : success,
    );
    expect(gaps(honoured.times)).toEqual([2000]);
    expect(honoured.outcome).toMatchObject({
      ok: true,
      result: 'success',
      attempts: 2,
      model: 'gpt-4o-mini',
    });
    const ignored = await runSdk((n) =>
      n === 0 ? { ...serverError, status: 429, headers: { 'retry-after': '120' } } : success,
    );
    expect(gaps(ignored.times)[0]).toBeGreaterThan(375);
    expect(gaps(ignored.times)[0]).toBeLessThanOrEqual(500);
  });

  it('retries insufficient_quota like the real SDK does (it retries every 429)', async () => {
    const quota: Reply = {
      status: 429,
      body: {
        error: {
          message: 'You exceeded your current quota',
          type: 'insufficient_quota',
          param: null,
          code: 'insufficient_quota',
        },
      },
    };
    const run = await runSdk(() => quota);
    expect(run.times).toHaveLength(3);
    // Reported as what it is: a client error no retry could fix.
    expect(run.outcome).toMatchObject({ result: 'failed_client', attempts: 3 });
    expect(run.outcome.last).toMatchObject({ errorCode: 'insufficient_quota' });
  });

  it('does not retry a 400, and obeys x-should-retry: false', async () => {
    const bad = await runSdk(() => ({
      status: 400,
      body: { error: { message: 'bad', type: 'invalid_request_error', param: null, code: null } },
    }));
    expect(bad.times).toHaveLength(1);
    expect(bad.outcome.result).toBe('failed_client');
    const told = await runSdk(() => ({ ...serverError, headers: { 'x-should-retry': 'false' } }));
    expect(told.times).toHaveLength(1);
  });

  it('sends a prompt sized to promptTokens and max_tokens from the logical request', async () => {
    const run = await runSdk(() => success);
    const body = run.bodies[0]!;
    expect(body.model).toBe('gpt-4o-mini');
    expect(body.max_tokens).toBe(40);
    const messages = body.messages as Array<{ content: string }>;
    expect(messages[0]!.content.length).toBe(25 * 4 - 1);
    expect(run.outcome).toMatchObject({ ok: true, attempts: 1 });
    expect(run.outcome.last).toMatchObject({ usageTokens: 12 });
  });

  it("times out an attempt with the SDK's own timer, in virtual time, and retries it", async () => {
    const clockTimes: number[] = [];
    const run = await runSdkHanging(clockTimes);
    expect(clockTimes).toHaveLength(2);
    expect(run.outcome).toMatchObject({ ok: false, result: 'failed_network', attempts: 2 });
    expect(run.outcome.last).toMatchObject({ kind: 'network', error: 'timeout' });
    expect(run.wallMs).toBeLessThan(1000);
  });

  it('reads a streamed answer to the end and takes usage from the last chunk', async () => {
    const chunk = (extra: Record<string, unknown>) =>
      `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', ...extra })}\n\n`;
    const raw =
      chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null }] }) +
      chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }) +
      chunk({ choices: [], usage: { prompt_tokens: 25, completion_tokens: 1, total_tokens: 26 } }) +
      'data: [DONE]\n\n';
    const run = await runSdk(() => ({ status: 200, raw }), { req: { stream: true } });
    expect(run.bodies[0]).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(run.outcome).toMatchObject({
      ok: true,
      result: 'success',
      attempts: 1,
      last: { usageTokens: 26 },
    });
  });

  it('reports an error inside the stream as a broken stream (the SDK does not retry it)', async () => {
    const raw =
      `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }] })}\n\n` +
      `data: ${JSON.stringify({ error: { message: 'overloaded mid-stream', type: 'server_error', param: null, code: null } })}\n\n`;
    const run = await runSdk(() => ({ status: 200, raw }), { req: { stream: true } });
    expect(run.times).toHaveLength(1);
    expect(run.outcome).toMatchObject({
      ok: false,
      result: 'failed_network',
      last: { kind: 'network', error: 'stream' },
    });
  });

  it('calls the embeddings endpoint for embeddings requests', async () => {
    const run = await runSdk(
      () => ({
        status: 200,
        body: {
          object: 'list',
          data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }],
          model: 'text-embedding-3-small',
          usage: { prompt_tokens: 25, total_tokens: 25 },
        },
      }),
      { req: { endpoint: 'embeddings', model: 'text-embedding-3-small' } },
    );
    expect(run.bodies[0]).toMatchObject({ model: 'text-embedding-3-small' });
    expect(typeof run.bodies[0]!.input).toBe('string');
    expect(run.outcome).toMatchObject({
      ok: true,
      model: 'text-embedding-3-small',
      last: { usageTokens: 25 },
    });
  });

  it('rejects a negative maxRetries naming the field', () => {
    expect(() => openaiSdkStrategy({ maxRetries: -1 }, 'strategy "sdk" adapter')).toThrow(
      /strategy "sdk" adapter\.maxRetries/,
    );
  });
});

/** An upstream that never answers until the request is aborted (the SDK's timeout aborts it). */
async function runSdkHanging(times: number[]): Promise<{ outcome: LogicalOutcome; wallMs: number }> {
  const clock = new VirtualClock();
  const fetch = ((_input: string | URL | Request, init?: RequestInit) => {
    times.push(clock.now());
    return new Promise<Response>((_resolve, reject) => {
      init?.signal?.addEventListener('abort', () => reject(init.signal?.reason ?? new Error('aborted')), {
        once: true,
      });
    });
  }) as typeof globalThis.fetch;
  const rng = new Rng('hang');
  const ctx: StrategyContext = {
    clock,
    rng,
    emit: () => {},
    send: () => Promise.reject(new Error('unused')),
    fetch,
    baseURL: 'http://squall.test/v1',
    log: () => {},
  };
  const wallStart = performance.now();
  const globals = installVirtualGlobals(clock, { rng });
  let outcome: LogicalOutcome;
  try {
    const pending = openaiSdkStrategy({ maxRetries: 1, timeoutMs: 30_000 }).call(request(), ctx);
    await clock.run();
    outcome = await pending;
  } finally {
    globals.restore();
  }
  // The second attempt starts once the first has timed out (30 s) and the SDK's backoff has passed.
  expect(times[1]! - times[0]!).toBeGreaterThan(30_375);
  expect(times[1]! - times[0]!).toBeLessThanOrEqual(30_500);
  return { outcome, wallMs: performance.now() - wallStart };
}
