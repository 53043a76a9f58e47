import { once } from 'node:events';
import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  InternalServerError,
  RateLimitError,
} from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { type HttpFront, startHttpFront } from '../../mock-upstream/fronts/http.ts';
import { createInProcessFetch } from '../../mock-upstream/fronts/in-process.ts';
import type { Upstream } from '../../mock-upstream/upstream.ts';
import { type Clock, RealClock, VirtualClock } from '../../src/sim/clock.ts';
import { CHAT, testUpstream } from '../helpers/upstream.ts';

/** The real openai SDK over real loopback sockets against `squall serve`'s HTTP front. */
const fronts: HttpFront[] = [];
afterEach(async () => {
  await Promise.all(fronts.splice(0).map((f) => f.close()));
});

async function serve(
  upstream: Upstream = testUpstream(),
  clock?: Clock,
): Promise<{ front: HttpFront; upstream: Upstream }> {
  const front = await startHttpFront(upstream, { port: 0, ...(clock ? { clock } : {}) });
  fronts.push(front);
  return { front, upstream };
}

/**
 * Real timers (sockets, the SDK's sleeps) with a time of day the test sets: the upstream's buckets and
 * schedule read `now()`, so what they decide no longer depends on how fast a loaded machine sends.
 */
class SetTimeClock extends RealClock {
  nowMs = 1_700_000_000_000;
  override now(): number {
    return this.nowMs;
  }
}

function sdk(
  front: HttpFront,
  o: { maxRetries?: number; timeout?: number; faultHeader?: string } = {},
): OpenAI {
  return new OpenAI({
    apiKey: 'sk-test-1234567890',
    baseURL: front.baseURL,
    maxRetries: o.maxRetries ?? 0,
    timeout: o.timeout ?? 5_000,
    ...(o.faultHeader ? { defaultHeaders: { 'x-squall-fault': o.faultHeader } } : {}),
  });
}

describe('HTTP front with the real openai SDK', () => {
  it('binds to 127.0.0.1 by default and prints an OpenAI base URL', async () => {
    const { front } = await serve();
    expect(front.host).toBe('127.0.0.1');
    expect(front.baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  });

  it('answers a chat completion with usage and the full header set', async () => {
    const { front } = await serve();
    const { data, response } = await sdk(front).chat.completions.create(CHAT).withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(data.usage!.total_tokens).toBe(data.usage!.prompt_tokens + data.usage!.completion_tokens);
    const h = response.headers;
    expect(h.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    expect(h.get('openai-version')).toBe('2020-10-01');
    expect(Number(h.get('openai-processing-ms'))).toBeGreaterThanOrEqual(0);
    for (const k of ['requests', 'tokens']) {
      expect(Number(h.get(`x-ratelimit-limit-${k}`))).toBeGreaterThan(0);
      expect(Number(h.get(`x-ratelimit-remaining-${k}`))).toBeGreaterThanOrEqual(0);
      expect(h.get(`x-ratelimit-reset-${k}`)).toMatch(/^(\d+h)?(\d+m)?(\d+(\.\d+)?(ms|s|µs))$/);
    }
  });

  it('a forced 429 surfaces as RateLimitError with readable headers and the OpenAI envelope', async () => {
    const { front } = await serve();
    const err = await sdk(front, { faultHeader: '429' })
      .chat.completions.create(CHAT)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    const e = err as RateLimitError;
    expect(e.status).toBe(429);
    expect(e.code).toBe('rate_limit_exceeded');
    expect(e.requestID).toMatch(/^req_/);
    expect(Number(e.headers?.get('retry-after-ms'))).toBeGreaterThan(0);
    expect(Number(e.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(e.headers?.get('x-ratelimit-remaining-requests')).not.toBeNull();
  });

  it('insufficient_quota 429 carries no retry-after', async () => {
    const { front } = await serve();
    const e = (await sdk(front, { faultHeader: 'insufficient_quota' })
      .chat.completions.create(CHAT)
      .catch((x: unknown) => x)) as RateLimitError;
    expect(e).toBeInstanceOf(RateLimitError);
    expect(e.code).toBe('insufficient_quota');
    expect(e.type).toBe('insufficient_quota');
    expect(e.headers?.get('retry-after')).toBeNull();
    expect(e.headers?.get('retry-after-ms')).toBeNull();
  });

  it('500 surfaces as InternalServerError', async () => {
    const { front } = await serve();
    const e = await sdk(front, { faultHeader: '500' })
      .chat.completions.create(CHAT)
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InternalServerError);
    expect((e as InternalServerError).type).toBe('server_error');
  });

  it.each(['reset', 'refuse'])('%s surfaces as APIConnectionError', async (kind) => {
    const { front } = await serve();
    const e = await sdk(front, { faultHeader: kind })
      .chat.completions.create(CHAT)
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(APIConnectionError);
  });

  it('reset_mid_body: the SDK surfaces the raw body error (TypeError: terminated), which it does not retry', async () => {
    // A real finding, not a wish: openai-node reads the body after its retry loop, so a connection dropped
    // mid-body escapes as undici's TypeError instead of APIConnectionError, and is never retried.
    const { front, upstream } = await serve();
    const e = await sdk(front, { faultHeader: 'reset_mid_body', maxRetries: 2 })
      .chat.completions.create(CHAT)
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TypeError);
    expect((e as Error).message).toBe('terminated');
    expect(e).not.toBeInstanceOf(APIConnectionError);
    expect(upstream.journal.total).toBe(1);
  });

  it('timeout: the server hangs and the client timeout fires (APIConnectionTimeoutError)', async () => {
    const { front, upstream } = await serve();
    const e = await sdk(front, { faultHeader: 'timeout', timeout: 300 })
      .chat.completions.create(CHAT)
      .catch((x: unknown) => x);
    // The client's timeout, not the server's bounded hang (3 s) or anything else, ended the call.
    expect(e).toBeInstanceOf(APIConnectionTimeoutError);
    expect(upstream.journal.list({ limit: 10 }).map((j) => j.outcome)).toEqual(['timeout']);
  });

  it('streams chat completions that the SDK parses into the same text as the non-streaming answer', async () => {
    const { front } = await serve();
    const client = new OpenAI({
      apiKey: 'sk-test',
      baseURL: front.baseURL,
      maxRetries: 0,
      defaultHeaders: { 'x-squall-attempt-key': 'same-content' },
    });
    const whole = await client.chat.completions.create(CHAT);
    const stream = await client.chat.completions.create({
      ...CHAT,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const ids = new Set<string>();
    let usage: OpenAI.CompletionUsage | undefined | null;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      ids.add(chunk.id);
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(ids.size).toBe(1);
    expect(text).toBe(whole.choices[0]!.message.content);
    expect(finish).toBe('stop');
    expect(usage!.completion_tokens).toBe(whole.usage!.completion_tokens);
  });

  it("the SDK's own retries show in the journal with x-stainless-retry-count, and retry-after-ms is honoured", async () => {
    // The upstream's time moves only when the test moves it: the drain below is never refilled however
    // slowly it runs, and the retry finds the bucket refilled because the 429's wait has passed.
    const clock = new SetTimeClock();
    const { front, upstream } = await serve(
      testUpstream({ rate_limits: { requests_per_min: 60, tokens_per_min: 1_000_000 } }),
      clock,
    );
    // Drain the request bucket (60 RPM) until it answers 429, then let the SDK meet the 429 and wait it out.
    for (let i = 0; i < 200; i++) {
      const r = await fetch(`${front.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-test-1234567890' },
        body: JSON.stringify(CHAT),
      });
      await r.arrayBuffer();
      if (r.status === 429) break;
    }
    const seen: Array<{ status: number; retryAfterMs: number; atMs: number }> = [];
    const client = new OpenAI({
      apiKey: 'sk-test-1234567890',
      baseURL: front.baseURL,
      maxRetries: 2,
      fetch: async (url, init) => {
        const res = await fetch(url, init);
        const retryAfterMs = Number(res.headers.get('retry-after-ms'));
        seen.push({ status: res.status, retryAfterMs, atMs: performance.now() });
        // The upstream's clock passes the wait the 429 asked for.
        if (res.status === 429) clock.nowMs += retryAfterMs;
        return res;
      },
    });
    const res = await client.chat.completions.create({ ...CHAT, model: 'gpt-4o' });
    expect(res.object).toBe('chat.completion');
    const entries = upstream.journal.list({ limit: 1000 }).filter((e) => e.model === 'gpt-4o');
    expect(entries.map((e) => [e.outcome, e.retryCount])).toEqual([
      ['429', 0],
      ['ok', 1],
    ]);
    expect(seen.map((s) => s.status)).toEqual([429, 200]);
    // The SDK waited (in real time) at least what retry-after-ms said, not its own 0.5 s default backoff:
    // a lower bound, which a slow machine only makes longer.
    expect(seen[0]!.retryAfterMs).toBeGreaterThan(500);
    expect(seen[1]!.atMs - seen[0]!.atMs).toBeGreaterThanOrEqual(seen[0]!.retryAfterMs - 5);
  });

  it('at 60 RPM a burst of 61 gets exactly one 429 and remaining-requests falls one by one', async () => {
    // The burst happens at one instant of the upstream's time, however long the sockets take.
    const { front } = await serve(
      testUpstream({ rate_limits: { requests_per_min: 60, tokens_per_min: 10_000_000 } }),
      new SetTimeClock(),
    );
    const statuses: number[] = [];
    const remaining: number[] = [];
    for (let i = 0; i < 61; i++) {
      const r = await fetch(`${front.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-burst', 'content-type': 'application/json' },
        body: JSON.stringify(CHAT),
      });
      await r.arrayBuffer();
      statuses.push(r.status);
      remaining.push(Number(r.headers.get('x-ratelimit-remaining-requests')));
    }
    expect(statuses).toEqual([...Array.from({ length: 60 }, () => 200), 429]);
    expect(remaining.slice(0, 60)).toEqual(Array.from({ length: 60 }, (_, i) => 59 - i));
  });

  it('in virtual time (no wall clock to race), a burst of 61 at 60 RPM gets exactly one 429', async () => {
    const up = testUpstream({ rate_limits: { requests_per_min: 60, tokens_per_min: 10_000_000 } });
    const clock = new VirtualClock(0);
    const f = createInProcessFetch(up, clock);
    const results: Array<{ status: number; remaining: number }> = [];
    const burst = (async () => {
      for (let i = 0; i < 61; i++) {
        const r = await f('http://squall.local/v1/chat/completions', {
          method: 'POST',
          headers: { authorization: 'Bearer sk-burst' },
          body: JSON.stringify(CHAT),
        });
        results.push({
          status: r.status,
          remaining: Number(r.headers.get('x-ratelimit-remaining-requests')),
        });
      }
    })();
    await clock.run();
    await burst;
    expect(results.map((r) => r.status)).toEqual([...Array.from({ length: 60 }, () => 200), 429]);
    expect(results.slice(0, 60).map((r) => r.remaining)).toEqual(
      Array.from({ length: 60 }, (_, i) => 59 - i),
    );
  });

  it('a scheduled full refuse outage closes the port (ECONNREFUSED) and reopens it afterwards', async () => {
    // The outage's start and end are timers on a virtual clock that the test moves: "during" and "after"
    // are exact, whatever the machine's load (no round trip, so answers need no timer).
    const clock = new VirtualClock(0);
    const { front } = await serve(
      testUpstream({
        network: { rtt: '0ms' },
        phases: [{ name: 'outage', start: 300, end: 900, faults: { refuse: 1 } }],
      }),
      clock,
    );
    const call = () =>
      fetch(`${front.baseURL}/models`, { headers: { authorization: 'Bearer sk-x' } }).then(
        (r) => r.status,
        (e: Error & { cause?: { code?: string } }) => e.cause?.code ?? 'error',
      );
    expect(await call()).toBe(200);
    await clock.advance(450);
    expect(front.server.listening).toBe(false);
    expect(await call()).toBe('ECONNREFUSED');
    await clock.advance(700);
    if (!front.server.listening) await once(front.server, 'listening');
    expect(await call()).toBe(200);
  });
});
