/**
 * The official openai SDK parses what the wire functions produce. A tiny fetch hands the SDK our bodies
 * and headers as a Response, so this exercises the SDK's real parsing (JSON, SSE, base64, errors) with no
 * server and no sockets. maxRetries: 0 keeps the SDK from sleeping between attempts.
 */
import OpenAI, {
  APIError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  RateLimitError,
} from 'openai';
import { describe, expect, it } from 'vitest';
import {
  chatCompletionBody,
  chatStreamChunks,
  type ErrorContext,
  embeddingsBody,
  errorResponse,
  JSON_CONTENT_TYPE,
  malformedChunk,
  modelBody,
  modelsListBody,
  parseChatRequest,
  parseEmbeddingsRequest,
  parseResponsesRequest,
  responseHeaders,
  responsesBody,
  responsesStreamErrorEvent,
  responsesStreamEvents,
  SSE_CONTENT_TYPE,
  SSE_DONE,
  streamErrorEvent,
  synthEmbedding,
  synthTokens,
} from '../../../mock-upstream/wire/index.ts';
import { Rng } from '../../../src/sim/rng.ts';

const REQUEST_ID = 'req_deaa3616cbd15d33b4db96b3ba74d2b4';

interface Sent {
  method: string;
  path: string;
  body: string;
}

function client(answer: (req: Sent) => Response): OpenAI {
  return new OpenAI({
    apiKey: 'sk-test',
    baseURL: 'http://mock.invalid/v1',
    maxRetries: 0,
    // The SDK logs malformed chunks before throwing; the assertion is on the throw.
    logLevel: 'off',
    fetch: async (url, init) => {
      const u = new URL(url instanceof Request ? url.url : String(url));
      return answer({ method: init?.method ?? 'GET', path: u.pathname, body: String(init?.body ?? '') });
    },
  });
}

function json(body: string, status = 200, extra: Record<string, string> = {}): Response {
  const headers = responseHeaders({
    requestId: REQUEST_ID,
    processingMs: 12,
    contentType: JSON_CONTENT_TYPE,
  });
  return new Response(body, { status, headers: { ...headers, ...extra } });
}

function sse(events: string[]): Response {
  const headers = responseHeaders({ requestId: REQUEST_ID, processingMs: 12, contentType: SSE_CONTENT_TYPE });
  return new Response(events.join(''), { status: 200, headers });
}

const chatBase = {
  id: 'chatcmpl-test',
  createdSec: 1_700_000_000,
  model: 'gpt-4o-mini',
  fingerprint: 'fp_0123456789',
  promptTokens: 8,
  finishReason: 'stop' as const,
};

describe('the openai SDK parses chat completions', () => {
  it('non-streaming: message, usage and request id', async () => {
    const c = client((req) => {
      const parsed = parseChatRequest(req.body);
      expect(parsed.ok).toBe(true);
      return json(chatCompletionBody({ ...chatBase, text: 'Hello there.', completionTokens: 3 }));
    });
    const { data, request_id } = await c.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello there.');
    expect(data.usage?.total_tokens).toBe(11);
    expect(request_id).toBe(REQUEST_ID);
  });

  it('streaming with include_usage: every piece, the finish reason and the usage chunk', async () => {
    const pieces = synthTokens(new Rng('sdk'), 25);
    let includeUsage = false;
    const c = client((req) => {
      const parsed = parseChatRequest(req.body);
      if (!parsed.ok) throw new Error('bad request');
      includeUsage = parsed.value.includeUsage;
      return sse(chatStreamChunks({ ...chatBase, pieces, completionTokens: pieces.length, includeUsage }));
    });
    const stream = await c.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(includeUsage).toBe(true);
    expect(text).toBe(pieces.join(''));
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: 8, completion_tokens: 25, total_tokens: 33 });
  });

  it('the stream helper assembles the final completion', async () => {
    const pieces = ['Hello', ' world', '.'];
    const c = client(() =>
      sse(chatStreamChunks({ ...chatBase, pieces, completionTokens: 3, includeUsage: true })),
    );
    const final = await c.chat.completions
      .stream({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
        stream_options: { include_usage: true },
      })
      .finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe('Hello world.');
    expect(final.choices[0]?.finish_reason).toBe('stop');
    expect(final.id).toBe('chatcmpl-test');
  });

  it('a mid-stream error event throws an APIError with no status (which the SDK never retries)', async () => {
    const events = chatStreamChunks({
      ...chatBase,
      pieces: ['a', 'b', 'c'],
      completionTokens: 3,
      includeUsage: false,
    });
    const cut = [
      ...events.slice(0, 2),
      streamErrorEvent('The server had an error while processing your request. Sorry about that!'),
    ];
    const c = client(() => sse(cut));
    const stream = await c.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).status).toBeUndefined();
    expect((err as APIError).type).toBe('server_error');
    expect((err as APIError).message).toMatch(/^The server had an error/);
    expect(seen).toEqual(['', 'a']);
  });

  it('a malformed chunk makes the SDK throw instead of hanging', async () => {
    const events = chatStreamChunks({ ...chatBase, pieces: ['a'], completionTokens: 1, includeUsage: false });
    const c = client(() => sse([events[0]!, malformedChunk(), SSE_DONE]));
    const stream = await c.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    await expect(
      (async () => {
        for await (const _ of stream) {
        }
      })(),
    ).rejects.toThrow(/malformed server-sent event JSON/);
  });
});

describe('the openai SDK parses the Responses API', () => {
  const respBase = {
    id: 'resp_abc',
    createdAtSec: 1_700_000_000,
    model: 'gpt-4o-mini',
    messageId: 'msg_def',
    inputTokens: 10,
    outputTokens: 3,
    finishReason: 'stop' as const,
  };

  it('non-streaming: output_text and usage', async () => {
    const c = client((req) => {
      expect(parseResponsesRequest(req.body).ok).toBe(true);
      return json(responsesBody({ ...respBase, text: 'Hi there.' }));
    });
    const r = await c.responses.create({ model: 'gpt-4o-mini', input: 'hi' });
    expect(r.output_text).toBe('Hi there.');
    expect(r.usage?.total_tokens).toBe(13);
    expect(r.status).toBe('completed');
  });

  it('create({stream: true}) yields every typed event in order', async () => {
    const pieces = ['Hi', ' there', '.'];
    const c = client(() => sse(responsesStreamEvents({ ...respBase, pieces })));
    const stream = await c.responses.create({ model: 'gpt-4o-mini', input: 'hi', stream: true });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(types.filter((t) => t === 'response.output_text.delta')).toHaveLength(3);
    expect(text).toBe('Hi there.');
  });

  it('responses.stream() accumulates a snapshot and resolves the final response', async () => {
    const pieces = synthTokens(new Rng('resp'), 12);
    const c = client(() => sse(responsesStreamEvents({ ...respBase, pieces, outputTokens: 12 })));
    const stream = c.responses.stream({ model: 'gpt-4o-mini', input: 'hi' });
    let deltas = '';
    stream.on('response.output_text.delta', (e) => {
      deltas += e.delta;
    });
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(pieces.join(''));
    expect(deltas).toBe(pieces.join(''));
    expect(final.usage?.output_tokens).toBe(12);
  });

  it('an in-band error event throws', async () => {
    const events = responsesStreamEvents({ ...respBase, pieces: ['a'] });
    const c = client(() =>
      sse([...events.slice(0, 4), responsesStreamErrorEvent(4, 'The server had an error.')]),
    );
    const stream = await c.responses.create({ model: 'm', input: 'x', stream: true });
    await expect(
      (async () => {
        for await (const _ of stream) {
        }
      })(),
    ).rejects.toBeInstanceOf(APIError);
  });
});

describe('the openai SDK parses embeddings and models', () => {
  it.each([
    ['the default (base64, decoded by the SDK)', undefined],
    ['explicit floats', 'float' as const],
  ])('embeddings with %s', async (_name, format) => {
    const vectors = [
      synthEmbedding(new Rng('emb').fork('0'), 16),
      synthEmbedding(new Rng('emb').fork('1'), 16),
    ];
    let askedFor = '';
    const c = client((req) => {
      const parsed = parseEmbeddingsRequest(req.body);
      if (!parsed.ok) throw new Error('bad request');
      askedFor = parsed.value.encodingFormat;
      return json(
        embeddingsBody({
          model: parsed.value.model,
          vectors,
          promptTokens: 4,
          encodingFormat: parsed.value.encodingFormat,
        }),
      );
    });
    const r = await c.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['a', 'b'],
      ...(format ? { encoding_format: format } : {}),
    });
    expect(askedFor).toBe(format ?? 'base64');
    expect(r.data.map((d) => d.embedding)).toEqual(vectors.map((v) => v.map(Math.fround)));
    expect(r.usage.prompt_tokens).toBe(4);
  });

  it('models.list() pages through the list and models.retrieve() reads one', async () => {
    const c = client((req) =>
      json(
        req.path === '/v1/models'
          ? modelsListBody(['gpt-4o', 'gpt-4o-mini'], 1)
          : modelBody(req.path.split('/').at(-1)!, 1),
      ),
    );
    const ids: string[] = [];
    for await (const m of c.models.list()) ids.push(m.id);
    expect(ids).toEqual(['gpt-4o', 'gpt-4o-mini']);
    expect((await c.models.retrieve('gpt-4o')).owned_by).toBe('system');
  });
});

describe('the openai SDK turns our error bodies into its typed errors', () => {
  const ctx: ErrorContext = {
    requestId: REQUEST_ID,
    model: 'gpt-4o-mini',
    apiKey: 'sk-wrong-key-0123456789',
    limit: 60,
    used: 60,
    requested: 1,
    retryAfterMs: 1500,
    param: 'messages',
  };

  // ctx carries a 1.5s wait: only the kinds that honour it send retry-after (rounded up to 2s).
  it.each([
    [
      'missing_field',
      400,
      'invalid_request_error',
      'missing_required_parameter',
      'messages',
      null,
      BadRequestError,
    ],
    ['invalid_json', 400, 'invalid_request_error', null, null, null, BadRequestError],
    ['invalid_api_key', 401, 'invalid_request_error', 'invalid_api_key', null, null, AuthenticationError],
    ['model_not_found', 404, 'invalid_request_error', 'model_not_found', null, null, NotFoundError],
    ['method_not_allowed', 405, 'invalid_request_error', null, null, null, APIError],
    ['payload_too_large', 413, 'invalid_request_error', null, null, null, APIError],
    ['rate_limit_requests', 429, 'requests', 'rate_limit_exceeded', null, '2', RateLimitError],
    ['rate_limit_tokens', 429, 'tokens', 'rate_limit_exceeded', null, '2', RateLimitError],
    ['request_too_large', 429, 'tokens', 'rate_limit_exceeded', null, null, RateLimitError],
    ['insufficient_quota', 429, 'insufficient_quota', 'insufficient_quota', null, null, RateLimitError],
    ['server_error', 500, 'server_error', null, null, '2', InternalServerError],
    ['overloaded', 503, 'server_error', null, null, '2', InternalServerError],
  ] as const)(
    '%s → %d (type %s, code %s, param %s, retry-after %s)',
    async (kind, status, type, code, param, retryAfter, cls) => {
      const e = errorResponse(kind, ctx);
      const c = client(() => json(e.body, e.status, { ...e.headers, 'content-type': e.contentType }));
      const err = await c.models.list().catch((x: unknown) => x);
      expect(err).toBeInstanceOf(cls);
      const apiErr = err as APIError;
      expect([apiErr.status, apiErr.type, apiErr.code, apiErr.param]).toEqual([status, type, code, param]);
      expect(apiErr.requestID).toBe(REQUEST_ID);
      expect(apiErr.message).toBe(`${status} ${JSON.parse(e.body).error.message}`);
      expect(apiErr.headers?.get('retry-after') ?? null).toBe(retryAfter);
    },
  );

  it.each([
    ['bad_gateway_html', 502, /502 Bad Gateway/],
    ['gateway_timeout_html', 504, /504 Gateway Time-out/],
  ] as const)(
    '%s: the HTML page becomes the message of an InternalServerError',
    async (kind, status, pattern) => {
      const e = errorResponse(kind, ctx);
      const c = client(
        () =>
          new Response(e.body, {
            status: e.status,
            headers: { ...e.headers, 'content-type': e.contentType },
          }),
      );
      const err = (await c.models.list().catch((x: unknown) => x)) as APIError;
      expect(err).toBeInstanceOf(InternalServerError);
      expect(err.status).toBe(status);
      expect(err.message).toMatch(pattern);
      expect([err.code, err.type, err.requestID]).toEqual([undefined, undefined, null]);
    },
  );

  it('the non-standard load-shedding 429 gives a RateLimitError with no code to branch on', async () => {
    const e = errorResponse('load_shed_429_nonstandard', ctx);
    const c = client(
      () =>
        new Response(e.body, { status: e.status, headers: { ...e.headers, 'content-type': e.contentType } }),
    );
    const err = (await c.models.list().catch((x: unknown) => x)) as APIError;
    expect(err).toBeInstanceOf(RateLimitError);
    expect([err.code, err.type, err.param]).toEqual([undefined, undefined, undefined]);
  });
});
