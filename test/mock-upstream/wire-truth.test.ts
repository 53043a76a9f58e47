import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpFront, startHttpFront } from '../../mock-upstream/fronts/http.ts';
import { createInProcessFetch } from '../../mock-upstream/fronts/in-process.ts';
import { VIRTUAL_EPOCH_SEC } from '../../mock-upstream/wire/ids.ts';
import { VirtualClock } from '../../src/sim/clock.ts';
import { CHAT, testUpstream } from '../helpers/upstream.ts';

/**
 * Issue #14 §5: what the official openai SDK reads off the wire is true. Dates are today's (live) or the
 * simulation's calendar; embeddings are a function of their input; an error's message and its headers
 * tell the same story.
 */

let front: HttpFront;
let client: OpenAI;
beforeAll(async () => {
  front = await startHttpFront(
    testUpstream({ rate_limits: { requests_per_min: 3000, tokens_per_min: 200_000 } }),
    {
      port: 0,
    },
  );
  client = new OpenAI({ apiKey: 'sk-test', baseURL: front.baseURL, maxRetries: 0 });
});
afterAll(() => front.close());

function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}
const norm = (v: readonly number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('created / created_at', () => {
  it('are real epoch seconds in live mode', async () => {
    const before = Math.floor(Date.now() / 1000);
    const chat = await client.chat.completions.create(CHAT);
    const response = await client.responses.create({ model: 'gpt-4o-mini', input: 'hi' });
    const after = Math.ceil(Date.now() / 1000);
    for (const t of [chat.created, response.created_at]) {
      expect(t).toBeGreaterThanOrEqual(before);
      expect(t).toBeLessThanOrEqual(after);
    }
  });

  it('count from the virtual epoch (2026-01-01) in simulated time', async () => {
    const clock = new VirtualClock(0);
    const sim = new OpenAI({
      apiKey: 'sk-test',
      baseURL: 'http://squall.sim/v1',
      maxRetries: 0,
      fetch: createInProcessFetch(testUpstream({ latency: { fixed: 0 } }), clock),
    });
    expect(VIRTUAL_EPOCH_SEC).toBe(Date.UTC(2026, 0, 1) / 1000);
    const first = sim.chat.completions.create(CHAT);
    await clock.run({ untilMs: 1000 });
    expect((await first).created).toBe(VIRTUAL_EPOCH_SEC);
    await clock.run({ untilMs: 90_500 });
    const later = sim.chat.completions.create(CHAT);
    await clock.run({ untilMs: 95_000 });
    expect((await later).created).toBe(VIRTUAL_EPOCH_SEC + 90);
  });
});

describe('embeddings', () => {
  const embed = async (
    input: string | string[],
    extra: { dimensions?: number; encoding_format?: 'float' } = {},
  ) =>
    (await client.embeddings.create({ model: 'text-embedding-3-small', input, ...extra })).data.map(
      (d) => d.embedding,
    );

  it('the same text gives the same unit vector on every call; different texts do not', async () => {
    const [a1] = await embed('the quick brown fox');
    const [a2] = await embed('the quick brown fox');
    const [b] = await embed('a slow green turtle');
    expect(a1).toHaveLength(1536);
    expect(cosine(a1!, a2!)).toBeCloseTo(1, 12);
    expect(a2).toEqual(a1);
    expect(Math.abs(cosine(a1!, b!))).toBeLessThan(0.2);
    expect(norm(a1!)).toBeCloseTo(1, 5);
  });

  it('float and base64 (the SDK default) decode to the same numbers', async () => {
    const [viaBase64] = await embed('hello');
    const [viaFloat] = await embed('hello', { encoding_format: 'float' });
    expect(viaFloat).toEqual(viaBase64);
  });

  it('a vector depends on its own input only, not on its neighbours in the batch', async () => {
    const batch = await embed(['one', 'two', 'one']);
    const [alone] = await embed('two');
    expect(batch[0]).toEqual(batch[2]);
    expect(batch[1]).toEqual(alone);
  });

  it('a shortened vector is the full one cut and renormalised, as text-embedding-3 does', async () => {
    const [full] = await embed('shorten me');
    const [short] = await embed('shorten me', { dimensions: 256 });
    expect(short).toHaveLength(256);
    expect(norm(short!)).toBeCloseTo(1, 5);
    expect(cosine(short!, full!.slice(0, 256))).toBeCloseTo(1, 6);
  });

  it('another model embeds the same text differently', async () => {
    const [small] = await embed('same text', { dimensions: 512 });
    const large = (
      await client.embeddings.create({ model: 'text-embedding-3-large', input: 'same text', dimensions: 512 })
    ).data[0]!.embedding;
    expect(Math.abs(cosine(small!, large))).toBeLessThan(0.3);
  });
});

describe('an injected error says what its headers say', () => {
  async function forced(fault: string) {
    const r = await fetch(`${front.baseURL}/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer sk-test',
        'content-type': 'application/json',
        'x-squall-fault': fault,
      },
      body: JSON.stringify(CHAT),
    });
    return {
      status: r.status,
      headers: r.headers,
      message: ((await r.json()) as { error: { message: string } }).error.message,
    };
  }
  const numbers = (message: string) => ({
    limit: Number(/Limit (\d+)/.exec(message)?.[1]),
    used: Number(/Used (\d+)/.exec(message)?.[1]),
    requested: Number(/Requested (\d+)/.exec(message)?.[1]),
  });

  it('a rate-limit 429: Limit and Used in the message match x-ratelimit-limit / remaining', async () => {
    const r = await forced('429');
    expect(r.status).toBe(429);
    const n = numbers(r.message);
    expect(n.limit).toBe(3000);
    expect(n.limit).toBe(Number(r.headers.get('x-ratelimit-limit-requests')));
    expect(n.limit - n.used).toBe(Number(r.headers.get('x-ratelimit-remaining-requests')));
    // Spent until the wait it asks for.
    expect(r.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const retryAfterMs = Number(r.headers.get('retry-after-ms'));
    expect(r.message).toContain(
      `Please try again in ${retryAfterMs >= 1000 ? `${retryAfterMs / 1000}s` : `${retryAfterMs}ms`}`,
    );
  });

  it('request_too_large states a request above the limit it states, the limit the headers state', async () => {
    const r = await forced('request_too_large');
    expect(r.status).toBe(429);
    const n = numbers(r.message);
    expect(n.limit).toBe(Number(r.headers.get('x-ratelimit-limit-tokens')));
    expect(n.requested).toBeGreaterThan(n.limit);
  });

  it('a 429 from the real limiter is untouched: its numbers are the bucket’s', async () => {
    const small = await startHttpFront(
      testUpstream({ rate_limits: { requests_per_min: 2, tokens_per_min: 1_000_000 } }),
      { port: 0 },
    );
    try {
      const send = () =>
        fetch(`${small.baseURL}/chat/completions`, {
          method: 'POST',
          headers: { authorization: 'Bearer sk-test', 'content-type': 'application/json' },
          body: JSON.stringify(CHAT),
        });
      await (await send()).arrayBuffer();
      await (await send()).arrayBuffer();
      const r = await send();
      expect(r.status).toBe(429);
      const n = numbers(((await r.json()) as { error: { message: string } }).error.message);
      expect([n.limit, n.used]).toEqual([2, 2]);
      expect(r.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    } finally {
      await small.close();
    }
  });
});

describe('x-squall-fault: none', () => {
  it('forces a clean answer for one request on a server whose schedule fails everything', async () => {
    const down = await startHttpFront(
      testUpstream({
        rate_limits: { requests_per_min: 2, tokens_per_min: 1_000_000 },
        phases: [{ name: 'down', start: 0, end: '1h', faults: { '500': 0.5, reset: 0.5 } }],
      }),
      { port: 0 },
    );
    const send = (fault?: string) =>
      fetch(`${down.baseURL}/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer sk-test',
          'content-type': 'application/json',
          ...(fault ? { 'x-squall-fault': fault } : {}),
        },
        body: JSON.stringify(CHAT),
      }).then(
        async (r) => ({ status: r.status, text: await r.text() }),
        () => ({ status: 0, text: '' }),
      );
    try {
      // Injected faults only: the scheduled ones are skipped ...
      const clean = await send('none');
      expect(clean.status).toBe(200);
      expect(JSON.parse(clean.text).choices[0].message.content.length).toBeGreaterThan(0);
      // ... the rest of the schedule is untouched for requests without the header ...
      expect([0, 500]).toContain((await send()).status);
      // ... and what is not injected still applies: the rate limit (2 a minute, both spent) answers.
      expect((await send('none')).status).toBe(429);
    } finally {
      await down.close();
    }
  });

  it('is listed beside the fault kinds when an unknown value is sent', async () => {
    const r = await fetch(`${front.baseURL}/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer sk-test',
        'content-type': 'application/json',
        'x-squall-fault': 'nope',
      },
      body: JSON.stringify(CHAT),
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { message: string } }).error.message).toContain(
      'or none for no injected fault',
    );
  });
});
