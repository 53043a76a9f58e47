import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/sim/clock.ts';
import { installVirtualGlobals } from '../../../src/sim/globals.ts';
import { Rng } from '../../../src/sim/rng.ts';
import { CALL_HEADER, FetchRouter } from '../../../src/strategies/adapters/common.ts';
import { openaiSdkStrategy } from '../../../src/strategies/adapters/openai-sdk.ts';
import type { LogicalOutcome, StrategyContext, StrategyEvent } from '../../../src/strategies/types.ts';
import { request } from './harness.ts';

/**
 * The SDK adapter keeps one client per base URL and API key across calls; each HTTP exchange must still
 * reach the transport of the call it belongs to, be counted there, and carry no routing tag upstream.
 */
interface Seen {
  url: string;
  headers: Record<string, string>;
  atMs: number;
}

const ok = (model: string) =>
  new Response(
    JSON.stringify({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
    }),
    { status: 200, headers: { 'content-type': 'application/json' } },
  );
const serverError = () =>
  new Response(
    JSON.stringify({ error: { message: 'boom', type: 'server_error', param: null, code: null } }),
    {
      status: 500,
      headers: { 'content-type': 'application/json' },
    },
  );

/** A context like the runner's: one per logical request, with its own fetch and its own record. */
function contextFor(
  clock: VirtualClock,
  reply: (n: number) => Response,
  o: { baseURL?: string; latencyMs?: number } = {},
) {
  const seen: Seen[] = [];
  const events: StrategyEvent[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => {
      headers[k] = v;
    });
    seen.push({ url: String(input), headers, atMs: clock.now() });
    const n = seen.length - 1;
    await clock.sleep(o.latencyMs ?? 10, init?.signal ?? undefined);
    return reply(n);
  }) as typeof globalThis.fetch;
  const ctx: StrategyContext = {
    clock,
    rng: new Rng('shared'),
    emit: (e) => events.push(e),
    send: () => Promise.reject(new Error('the SDK strategy must use fetch')),
    fetch,
    baseURL: o.baseURL ?? 'http://squall.test/v1',
    log: () => {},
  };
  return { ctx, seen, events };
}

async function inVirtualTime<T>(clock: VirtualClock, body: () => Promise<T>): Promise<T> {
  const globals = installVirtualGlobals(clock, { rng: new Rng('shared-globals') });
  try {
    const pending = body();
    await clock.run();
    return await pending;
  } finally {
    globals.restore();
  }
}

describe('openai SDK strategy with one client across calls', () => {
  it("routes overlapping calls to their own context's fetch and counts each one's attempts there", async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const strategy = openaiSdkStrategy();
    const failingTwice = contextFor(clock, (n) => (n < 2 ? serverError() : ok('gpt-4o-mini')), {
      latencyMs: 50,
    });
    const fine = contextFor(clock, () => ok('gpt-4o-mini'), { latencyMs: 5 });
    const [a, b] = await inVirtualTime(clock, () =>
      Promise.all([
        strategy.call(request({ id: 'a', model: 'gpt-4o-mini' }), failingTwice.ctx),
        strategy.call(request({ id: 'b', model: 'gpt-4o-mini' }), fine.ctx),
      ]),
    );
    expect(a).toMatchObject({ ok: true, attempts: 3 });
    expect(b).toMatchObject({ ok: true, attempts: 1 });
    expect(failingTwice.seen).toHaveLength(3);
    expect(fine.seen).toHaveLength(1);
    expect(failingTwice.events.every((e) => e.type !== 'attempt' || e.requestId === 'a')).toBe(true);
    expect(fine.events.filter((e) => e.type === 'attempt').map((e) => e.requestId)).toEqual(['b']);
    // The SDK's own retry count still reaches the transport, per call.
    expect(failingTwice.seen.map((s) => s.headers['x-stainless-retry-count'])).toEqual(['0', '1', '2']);
  });

  it('never lets the routing tag reach the transport', async () => {
    const clock = new VirtualClock();
    const strategy = openaiSdkStrategy();
    const c = contextFor(clock, (n) => (n === 0 ? serverError() : ok('gpt-4o-mini')));
    await inVirtualTime(clock, () => strategy.call(request({ id: 'r' }), c.ctx));
    expect(c.seen).toHaveLength(2);
    for (const s of c.seen) expect(Object.keys(s.headers)).not.toContain(CALL_HEADER);
  });

  it("sends each request with its own API key and to its own context's base URL", async () => {
    const clock = new VirtualClock();
    const strategy = openaiSdkStrategy();
    const one = contextFor(clock, () => ok('gpt-4o-mini'), { baseURL: 'http://one.test/v1' });
    const two = contextFor(clock, () => ok('gpt-4o-mini'), { baseURL: 'http://two.test/v1' });
    const calls: Array<[string, StrategyContext]> = [
      ['sk-team-a', one.ctx],
      ['sk-team-b', one.ctx],
      ['sk-team-a', two.ctx],
      ['sk-team-a', one.ctx],
    ];
    const outcomes: LogicalOutcome[] = await inVirtualTime(clock, () =>
      Promise.all(calls.map(([apiKey, ctx], i) => strategy.call(request({ id: `k${i}`, apiKey }), ctx))),
    );
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(one.seen.map((s) => [s.url, s.headers.authorization])).toEqual([
      ['http://one.test/v1/chat/completions', 'Bearer sk-team-a'],
      ['http://one.test/v1/chat/completions', 'Bearer sk-team-b'],
      ['http://one.test/v1/chat/completions', 'Bearer sk-team-a'],
    ]);
    expect(two.seen.map((s) => [s.url, s.headers.authorization])).toEqual([
      ['http://two.test/v1/chat/completions', 'Bearer sk-team-a'],
    ]);
  });

  it('gives the same delays as a fresh strategy for the same seed (shared client, same randomness)', async () => {
    const gapsOf = async (strategy: ReturnType<typeof openaiSdkStrategy>) => {
      const clock = new VirtualClock();
      const c = contextFor(clock, () => serverError());
      await inVirtualTime(clock, () => strategy.call(request({ id: 'g' }), c.ctx));
      return c.seen.slice(1).map((s, i) => s.atMs - c.seen[i]!.atMs);
    };
    const reused = openaiSdkStrategy();
    const first = await gapsOf(reused);
    const again = await gapsOf(reused);
    const fresh = await gapsOf(openaiSdkStrategy());
    expect(first).toHaveLength(2);
    expect(again).toEqual(first);
    expect(fresh).toEqual(first);
  });
});

describe('FetchRouter', () => {
  const tagged = (id: string, extra: Record<string, string> = {}) => ({
    method: 'POST',
    headers: new Headers({ [CALL_HEADER]: id, ...extra }),
  });

  it('hands an exchange to the fetch of the call named by the tag, without the tag', async () => {
    const router = new FetchRouter();
    const got: Array<[string, string | null, string | null]> = [];
    const callFetch = (name: string) =>
      (async (_input: string | URL | Request, init?: RequestInit) => {
        const h = new Headers(init?.headers);
        got.push([name, h.get(CALL_HEADER), h.get('x-other')]);
        return new Response('ok');
      }) as typeof fetch;
    const a = router.open(callFetch('a'));
    const b = router.open(callFetch('b'));
    await router.fetch('http://x.test/', tagged(b, { 'x-other': '1' }));
    await router.fetch('http://x.test/', { headers: { [CALL_HEADER]: a } });
    expect(got).toEqual([
      ['b', null, '1'],
      ['a', null, null],
    ]);
  });

  it('refuses an exchange with no tag or a closed call, and forgets closed calls', async () => {
    const router = new FetchRouter();
    const id = router.open((async () => new Response('ok')) as typeof fetch);
    expect(router.openCalls).toBe(1);
    await expect(router.fetch('http://x.test/', {})).rejects.toThrow(/not routed/);
    router.close(id);
    expect(router.openCalls).toBe(0);
    await expect(router.fetch('http://x.test/', tagged(id))).rejects.toThrow(/not routed/);
  });
});
