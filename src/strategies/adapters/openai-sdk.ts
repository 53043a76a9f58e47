import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ClassifyOptions } from '../classify.ts';
import { fromAttempt, strategyErrorOutcome } from '../outcome.ts';
import { syntheticPrompt } from '../prompt.ts';
import type { AttemptOutcome, LogicalOutcome, LogicalRequest, Strategy, StrategyContext } from '../types.ts';
import { AttemptTracker, CALL_HEADER, FetchRouter, headersToRecord, trackedFetch } from './common.ts';
import { checkOpenAiSdkOptions, type OpenAiSdkStrategyOptions } from './openai-sdk-options.ts';

/**
 * The official `openai` SDK as a strategy: the SDK is the client and makes every decision (its own retry
 * loop, backoff, jitter, `retry-after` handling, timeouts); squall only counts. One client
 * `{ apiKey, baseURL: ctx.baseURL, fetch, maxRetries, timeout }` per base URL and API key, built on first
 * use, as an application would hold it (building one per request was most of the adapter's cost). Each
 * call tags its request with {@link CALL_HEADER}; the client's `fetch` routes it to that call's `ctx.fetch`,
 * wrapped to count attempts, and drops the tag, so every HTTP exchange the SDK makes is one `attempt`
 * event and the gap before it one `retry` event.
 *
 * In simulated time install virtual globals (`src/sim/globals.ts`) for the run: the SDK sleeps and times
 * out with global `setTimeout`, reads `Date.now`, and jitters with `Math.random`.
 *
 * The request is built from the logical request: a prompt of `promptTokens` (about 4 characters a token)
 * and `max_tokens`; streaming requests read the stream to the end, as a real caller would.
 */
export function openaiSdkStrategy(o: OpenAiSdkStrategyOptions = {}, where = 'openai-sdk'): Strategy {
  const { maxRetries, timeoutMs } = checkOpenAiSdkOptions(o, where);
  const router = new FetchRouter();
  const clients = new Map<string, OpenAI>();
  // Most traces use one key: the last client answers without building the map key.
  let last: { baseURL: string; apiKey: string; client: OpenAI } | undefined;
  const clientFor = (baseURL: string, apiKey: string): OpenAI => {
    if (last && last.apiKey === apiKey && last.baseURL === baseURL) return last.client;
    const key = `${baseURL}\n${apiKey}`;
    let client = clients.get(key);
    if (!client) {
      // A trace can name many keys; a bound keeps a long run from holding a client for each forever.
      if (clients.size >= MAX_CLIENTS) clients.clear();
      client = new OpenAI({ apiKey, baseURL, fetch: router.fetch, maxRetries, timeout: timeoutMs });
      clients.set(key, client);
    }
    last = { baseURL, apiKey, client };
    return client;
  };
  return {
    name: o.name ?? 'openai-sdk',
    async call(req, ctx, signal) {
      const tracker = new AttemptTracker(ctx, req);
      const callId = router.open(trackedFetch(ctx, tracker, req.model));
      const options = signal
        ? { headers: { [CALL_HEADER]: callId }, signal }
        : { headers: { [CALL_HEADER]: callId } };
      try {
        const last = await callEndpoint(clientFor(ctx.baseURL, req.apiKey), req, options);
        return fromAttempt(last, tracker.attempts, o.classify);
      } catch (e) {
        return fromSdkError(e, req, ctx, tracker.attempts, o.classify);
      } finally {
        router.close(callId);
      }
    },
  };
}

const MAX_CLIENTS = 256;

/** Per-call request options: the routing tag, and the caller's signal. */
interface CallOptions {
  headers: Record<string, string>;
  signal?: AbortSignal;
}

async function callEndpoint(
  client: OpenAI,
  req: LogicalRequest,
  options: CallOptions,
): Promise<AttemptOutcome> {
  const prompt = syntheticPrompt(req.promptTokens);
  const user = req.user ? { user: req.user } : {};
  if (req.endpoint === 'embeddings') {
    const { data, response } = await client.embeddings
      .create({ model: req.model, input: prompt, ...user }, options)
      .withResponse();
    return answered(response, data.model ?? req.model, data.usage?.total_tokens);
  }
  if (req.endpoint === 'responses') {
    const body = { model: req.model, input: prompt, max_output_tokens: req.maxTokens, ...user };
    if (req.stream) {
      const { data: stream, response } = await client.responses
        .create({ ...body, stream: true }, options)
        .withResponse();
      let usage: number | undefined;
      let model = req.model;
      for await (const event of stream) {
        if (
          event.type === 'response.completed' ||
          event.type === 'response.incomplete' ||
          event.type === 'response.failed'
        ) {
          usage = event.response.usage?.total_tokens;
          model = event.response.model ?? model;
          if (event.type === 'response.failed') return inBandFailure(response, model, event.response.error);
        }
      }
      return answered(response, model, usage);
    }
    const { data, response } = await client.responses.create(body, options).withResponse();
    if (data.status === 'failed') return inBandFailure(response, data.model ?? req.model, data.error);
    return answered(response, data.model ?? req.model, data.usage?.total_tokens);
  }
  const body = {
    model: req.model,
    messages: [{ role: 'user' as const, content: prompt }],
    max_tokens: req.maxTokens,
    ...user,
  };
  if (req.stream) {
    const { data: stream, response } = await client.chat.completions
      .create({ ...body, stream: true, stream_options: { include_usage: true } }, options)
      .withResponse();
    let usage: number | undefined;
    let model = req.model;
    for await (const chunk of stream) {
      model = chunk.model ?? model;
      if (chunk.usage) usage = chunk.usage.total_tokens;
    }
    return answered(response, model, usage);
  }
  const { data, response } = await client.chat.completions.create(body, options).withResponse();
  return answered(response, data.model ?? req.model, data.usage?.total_tokens);
}

function answered(response: Response, model: string, usageTokens: number | undefined): AttemptOutcome {
  let headers: Record<string, string> | undefined;
  return {
    kind: 'response',
    status: response.status,
    // Copied only when read: classifying a success stops at its status, so its headers are seldom read.
    get headers() {
      headers ??= headersToRecord(response.headers);
      return headers;
    },
    model,
    ...(usageTokens !== undefined ? { usageTokens } : {}),
  };
}

/** The Responses API can fail in-band: HTTP 200 with `status: "failed"`. Reported as a server error. */
function inBandFailure(
  response: Response,
  model: string,
  error: { code?: string; message?: string } | null | undefined,
): AttemptOutcome {
  return {
    kind: 'response',
    status: 500,
    headers: headersToRecord(response.headers),
    errorType: 'server_error',
    errorCode: error?.code ?? null,
    errorMessage: error?.message ?? 'response failed in-band (HTTP 200, status "failed")',
    model,
  };
}

function fromSdkError(
  e: unknown,
  req: LogicalRequest,
  ctx: StrategyContext,
  attempts: number,
  classifyOptions: ClassifyOptions | undefined,
): LogicalOutcome {
  if (e instanceof APIUserAbortError) return { ok: false, result: 'deadline_exceeded', attempts };
  if (e instanceof APIConnectionTimeoutError) {
    return fromAttempt(
      { kind: 'network', error: 'timeout', message: e.message, model: req.model },
      attempts,
      classifyOptions,
    );
  }
  if (e instanceof APIConnectionError) {
    return fromAttempt(
      { kind: 'network', error: networkKind(e), message: e.message, model: req.model },
      attempts,
      classifyOptions,
    );
  }
  if (e instanceof APIError) {
    if (e.status === undefined) {
      // An error object inside an SSE stream: the HTTP exchange succeeded, the stream did not.
      return fromAttempt(
        { kind: 'network', error: 'stream', message: e.message, model: req.model },
        attempts,
        classifyOptions,
      );
    }
    const body = e.error as { message?: unknown } | undefined;
    return fromAttempt(
      {
        kind: 'response',
        status: e.status,
        headers: headersToRecord(e.headers),
        errorType: e.type ?? null,
        errorCode: e.code ?? null,
        errorMessage: typeof body?.message === 'string' ? body.message : e.message,
        model: req.model,
      },
      attempts,
      classifyOptions,
    );
  }
  if (e instanceof Error && /stream|terminated|premature/i.test(e.message)) {
    return fromAttempt(
      { kind: 'network', error: 'stream', message: e.message, model: req.model },
      attempts,
      classifyOptions,
    );
  }
  ctx.log(`openai-sdk strategy: unexpected error for ${req.id}: ${e instanceof Error ? e.stack : String(e)}`);
  return strategyErrorOutcome(attempts);
}

/** What undici-style causes say about a failed connection. */
function networkKind(e: APIConnectionError): 'reset' | 'refused' | 'dns' {
  let cause: unknown = e.cause;
  for (let depth = 0; cause && depth < 5; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (code === 'ECONNREFUSED') return 'refused';
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'dns';
    if (typeof code === 'string') return 'reset';
    cause = (cause as { cause?: unknown }).cause;
  }
  return 'reset';
}
