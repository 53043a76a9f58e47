import OpenAI, {
  APIConnectionTimeoutError,
  APIError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
} from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpFront, startHttpFront } from '../../mock-upstream/fronts/http.ts';
import { CHAT, testUpstream } from '../helpers/upstream.ts';

/** Every fault kind, over real sockets, as the real SDK sees it. */
let front: HttpFront;
beforeAll(async () => {
  front = await startHttpFront(
    testUpstream({
      max_hang: 1500,
      stream_faults: { cut_after_chunks: 3, stall_after_chunks: 2, keep_alive_every: 100 },
      completion_tokens: { median: 20, p99: 30 },
    }),
    { port: 0 },
  );
});
afterAll(() => front.close());

const client = (fault: string, o: { timeout?: number } = {}) =>
  new OpenAI({
    apiKey: 'sk-faults',
    baseURL: front.baseURL,
    maxRetries: 0,
    timeout: o.timeout ?? 5000,
    defaultHeaders: { 'x-squall-fault': fault },
  });

describe('HTTP status faults through the SDK', () => {
  it.each([
    ['400', BadRequestError, 400],
    ['401', AuthenticationError, 401],
    ['404', NotFoundError, 404],
    ['502', InternalServerError, 502],
    ['503', InternalServerError, 503],
    ['504', InternalServerError, 504],
    ['request_too_large', APIError, 429],
  ] as const)('%s → %s', async (fault, cls, status) => {
    const e = await client(fault)
      .chat.completions.create(CHAT)
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(cls);
    expect((e as APIError).status).toBe(status);
  });

  it('request_too_large says so and carries no retry-after', async () => {
    const e = (await client('request_too_large')
      .chat.completions.create(CHAT)
      .catch((x: unknown) => x)) as APIError;
    expect(e.message).toMatch(/Request too large/);
    expect(e.headers?.get('retry-after')).toBeNull();
  });
});

async function readStream(
  fault: string,
  timeoutMs = 5000,
): Promise<{ text: string; error?: unknown; chunks: number }> {
  let text = '';
  let chunks = 0;
  try {
    const stream = await client(fault, { timeout: timeoutMs }).chat.completions.create({
      ...CHAT,
      stream: true,
    });
    for await (const c of stream) {
      chunks++;
      text += c.choices[0]?.delta.content ?? '';
    }
    return { text, chunks };
  } catch (error) {
    return { text, error, chunks };
  }
}

describe('stream faults through the SDK', () => {
  it('stream_cut: the stream ends after N chunks without [DONE]; the SDK ends quietly with partial text', async () => {
    const r = await readStream('stream_cut');
    expect(r.error).toBeUndefined();
    expect(r.chunks).toBe(1 + 3); // role chunk + 3 content chunks, no finish chunk
  });

  it('stream_malformed: a broken chunk makes the SDK throw instead of hanging', async () => {
    const r = await readStream('stream_malformed');
    expect(r.error).toBeInstanceOf(Error);
    expect(r.chunks).toBe(4);
  });

  it('stream_error: a mid-stream error event throws APIError with no status (not retried by the SDK)', async () => {
    const r = await readStream('stream_error');
    expect(r.error).toBeInstanceOf(APIError);
    expect((r.error as APIError).status).toBeUndefined();
  });

  it('stream_stall: the stream stops; the SDK timeout no longer applies after headers, the server gives up at max_hang', async () => {
    const started = Date.now();
    const r = await readStream('stream_stall', 300);
    const tookMs = Date.now() - started;
    expect(r.chunks).toBe(1 + 2);
    expect(r.error).toBeInstanceOf(Error);
    // The client's 300 ms timeout did not save it: only the server's bounded hang (1.5 s) ended the stall.
    // (A lower bound only: timers never fire early, but a loaded machine may run them late.)
    expect(r.error).not.toBeInstanceOf(APIConnectionTimeoutError);
    expect(tookMs).toBeGreaterThanOrEqual(1400);
  });

  it('stream_stall_keepalive: keep-alive comments arrive during the stall and are ignored by the parser', async () => {
    const res = await fetch(`${front.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-faults', 'x-squall-fault': 'stream_stall_keepalive' },
      body: JSON.stringify({ ...CHAT, stream: true }),
    });
    const reader = res.body!.getReader();
    let raw = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        raw += new TextDecoder().decode(value);
      }
    } catch {
      // the server destroys the connection at max_hang
    }
    expect(raw.match(/^: keep-alive$/gm)?.length ?? 0).toBeGreaterThanOrEqual(10);
    expect(raw).not.toContain('[DONE]');
    const r = await readStream('stream_stall_keepalive', 300);
    expect(r.chunks).toBe(3);
  });

  it('reset_mid_body on a stream: chunks, then the connection drops', async () => {
    const r = await readStream('reset_mid_body');
    expect(r.chunks).toBe(4);
    expect(r.error).toBeInstanceOf(Error);
  });
});

describe('other endpoints through the SDK', () => {
  const ok = () => new OpenAI({ apiKey: 'sk-ep', baseURL: front.baseURL, maxRetries: 0 });

  it('responses: create and stream', async () => {
    const r = await ok().responses.create({ model: 'gpt-4o-mini', input: 'Say hello' });
    expect(r.status).toBe('completed');
    expect(r.output_text.length).toBeGreaterThan(0);
    const s = ok().responses.stream({ model: 'gpt-4o-mini', input: 'Say hello' });
    let deltas = '';
    s.on('response.output_text.delta', (e) => {
      deltas += e.delta;
    });
    const final = await s.finalResponse();
    expect(deltas).toBe(final.output_text);
  });

  it('embeddings (the SDK asks for base64 and decodes it)', async () => {
    const r = await ok().embeddings.create({
      model: 'text-embedding-3-small',
      input: ['a', 'b'],
      dimensions: 8,
    });
    expect(r.data).toHaveLength(2);
    expect(r.data[0]!.embedding).toHaveLength(8);
    const norm = Math.hypot(...r.data[0]!.embedding);
    expect(norm).toBeCloseTo(1, 3);
  });

  it('models list and retrieve', async () => {
    const list = await ok().models.list();
    expect(list.data.map((m) => m.id)).toContain('gpt-4o-mini');
    const m = await ok().models.retrieve('gpt-4o');
    expect(m.id).toBe('gpt-4o');
    await expect(ok().models.retrieve('gpt-nope')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('schedules through the front', () => {
  it('a scoped phase fails one API key 100% and leaves another alone (Oct 2023 skew)', async () => {
    const f = await startHttpFront(
      testUpstream({
        phases: [
          {
            name: 'auth-cache',
            start: 0,
            end: '1h',
            faults: { '500': 1 },
            scope: { api_keys: ['sk-unlucky'] },
          },
        ],
      }),
      { port: 0 },
    );
    const status = (key: string) =>
      fetch(`${f.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}` },
        body: JSON.stringify(CHAT),
      }).then((r) => r.status);
    const unlucky = await Promise.all(Array.from({ length: 20 }, () => status('sk-unlucky')));
    const fine = await Promise.all(Array.from({ length: 20 }, () => status('sk-fine')));
    await f.close();
    expect(new Set(unlucky)).toEqual(new Set([500]));
    expect(new Set(fine)).toEqual(new Set([200]));
  });
});
