import { setupServer } from 'msw/node';
import OpenAI, { APIConnectionError, RateLimitError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpFront } from '../../mock-upstream/fronts/http.ts';
import { createInProcessFetch } from '../../mock-upstream/fronts/in-process.ts';
import { squallHandlers } from '../../mock-upstream/fronts/msw.ts';
import type { UpstreamInput } from '../../src/scenario/upstream-schema.ts';
import { VirtualClock } from '../../src/sim/clock.ts';
import { CHAT, testUpstream } from '../helpers/upstream.ts';

/** A schedule with every kind of answer that completes quickly (no hangs), 30% faults overall. */
const MIXED: UpstreamInput = {
  rate_limits: { requests_per_min: 100_000, tokens_per_min: 100_000_000 },
  phases: [
    {
      name: 'storm',
      start: 0,
      end: '1h',
      faults: { '429': 0.1, '500': 0.05, '503': 0.05, insufficient_quota: 0.03, '502': 0.03, reset: 0.04 },
    },
  ],
};

/** Sends the same 120 attempts, one after another, and returns what the journal recorded. */
async function drive(fetchFn: typeof fetch, baseURL: string, journal: () => unknown[]) {
  for (let i = 0; i < 120; i++) {
    await fetchFn(`${baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer sk-${i % 3}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...CHAT, max_tokens: 50 + i }),
    }).then(
      (r) => r.arrayBuffer(),
      () => undefined,
    );
  }
  return journal();
}

const decisions = (entries: unknown[]) =>
  (entries as Array<{ outcome: string; reason: string; apiKey: string; maxTokens: number }>).map((e) => [
    e.outcome,
    e.reason,
    e.apiKey,
    e.maxTokens,
  ]);

describe('three fronts over one model', () => {
  const mswServer = setupServer();
  beforeAll(() => mswServer.listen({ onUnhandledFrame: 'bypass' }));
  afterAll(() => mswServer.close());

  it('same seed and attempt sequence give the same decisions through in-process, msw and HTTP', async () => {
    // in-process, on a virtual clock
    const a = testUpstream(MIXED, 'cross-front');
    const clock = new VirtualClock(1_000_000);
    const inProc = createInProcessFetch(a, clock);
    const done = drive(inProc, 'http://squall.local/v1', () => a.journal.list({ limit: 1000 }));
    await clock.run();
    const viaInProcess = decisions(await done);

    // msw
    const b = testUpstream(MIXED, 'cross-front');
    mswServer.use(...squallHandlers(b, { origin: 'http://squall.msw' }));
    const viaMsw = decisions(
      await drive(fetch, 'http://squall.msw/v1', () => b.journal.list({ limit: 1000 })),
    );

    // HTTP on loopback
    const c = testUpstream(MIXED, 'cross-front');
    const front = await startHttpFront(c, { port: 0 });
    const viaHttp = decisions(await drive(fetch, front.baseURL, () => c.journal.list({ limit: 1000 })));
    await front.close();

    expect(viaInProcess).toHaveLength(120);
    expect(new Set(viaInProcess.map((d) => d[0])).size).toBeGreaterThan(3);
    expect(viaMsw).toEqual(viaInProcess);
    expect(viaHttp).toEqual(viaInProcess);

    // and another seed decides differently
    const d = testUpstream(MIXED, 'another-seed');
    const clock2 = new VirtualClock(1_000_000);
    const p = drive(createInProcessFetch(d, clock2), 'http://squall.local/v1', () =>
      d.journal.list({ limit: 1000 }),
    );
    await clock2.run();
    expect(decisions(await p)).not.toEqual(viaInProcess);
  });

  it('msw handlers: the SDK retries a 429 by itself and surfaces RateLimitError when retries run out', async () => {
    const up = testUpstream({}, 'msw-retry');
    mswServer.use(...squallHandlers(up, { origin: 'http://squall.msw2' }));
    const client = new OpenAI({
      apiKey: 'sk-test',
      baseURL: 'http://squall.msw2/v1',
      maxRetries: 2,
      defaultHeaders: { 'x-squall-fault': '429' },
    });
    const e = await client.chat.completions.create(CHAT).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RateLimitError);
    expect(up.journal.list({ limit: 10 }).map((j) => j.retryCount)).toEqual([0, 1, 2]);
  });

  it('msw handlers: reset is a network error for the SDK, streams parse', async () => {
    const up = testUpstream({}, 'msw-net');
    mswServer.use(...squallHandlers(up, { origin: 'http://squall.msw3' }));
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: 'http://squall.msw3/v1', maxRetries: 0 });
    const e = await client.chat.completions
      .create(CHAT, { headers: { 'x-squall-fault': 'reset' } })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(APIConnectionError);
    const stream = await client.chat.completions.create({ ...CHAT, stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
  });

  it('in-process front: the SDK runs in virtual time (a hang and its timeout take no wall time)', async () => {
    const up = testUpstream({ max_hang: '10m' }, 'vt');
    const clock = new VirtualClock(0);
    const started = Date.now();
    const client = new OpenAI({
      apiKey: 'sk-test',
      baseURL: 'http://squall.local/v1',
      maxRetries: 0,
      fetch: createInProcessFetch(up, clock),
      defaultHeaders: { 'x-squall-fault': 'timeout' },
    });
    // The SDK's own timeout uses global timers; here we abort through the signal on the virtual clock.
    const ac = new AbortController();
    clock.setTimeout(() => ac.abort(new Error('client gave up')), 60_000);
    const p = client.chat.completions.create(CHAT, { signal: ac.signal }).catch((x: unknown) => x);
    await clock.run();
    expect(await p).toBeInstanceOf(Error);
    expect(clock.now()).toBe(60_000);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('control API overrides revert by themselves', () => {
  it('a 30 s override of 503s applies, then reverts when its TTL runs out (virtual time)', async () => {
    const up = testUpstream({}, 'ttl');
    const clock = new VirtualClock(0);
    const f = createInProcessFetch(up, clock);
    const status = async () => {
      const p = f('http://squall.local/v1/chat/completions', {
        method: 'POST',
        headers: { authorization: 'Bearer sk-a' },
        body: JSON.stringify(CHAT),
      }).then((r) => r.status);
      await clock.run();
      return p;
    };
    expect(await status()).toBe(200);
    const o = up.override({ faults: { '503': 1 }, ttlMs: 30_000 }, clock.now());
    expect(o.expiresAtMs).toBe(clock.now() + 30_000);
    expect(await status()).toBe(503);
    await clock.advance(30_001);
    expect(await status()).toBe(200);
  });
});
