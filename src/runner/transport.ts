import type { Clock } from '../sim/clock.ts';
import { syntheticPrompt } from '../strategies/prompt.ts';
import type { AttemptOptions, AttemptOutcome, LogicalRequest, SendAttempt } from '../strategies/types.ts';

/**
 * One attempt as plain HTTP through a WHATWG fetch: the in-process fetch in simulated time, the real one
 * over loopback in live mode. It reads the whole answer (streams to their end) and turns it into an
 * AttemptOutcome, so policies see what a careful hand-written client would see.
 *
 * Every attempt carries `x-squall-attempt-key: <request id>#<attempt number>`: the upstream keys its fault
 * draw on it, so every strategy meets the same exogenous faults on its n-th try of the same request
 * (common random numbers), whatever it did before.
 */
export interface TransportOptions {
  fetch: typeof fetch;
  baseURL: string;
  clock: Clock;
}

export function createSend(o: TransportOptions): SendAttempt {
  const base = o.baseURL.replace(/\/$/, '');
  return async (req, options) => {
    const ac = new AbortController();
    const outer = options.signal;
    const onOuterAbort = () => ac.abort(outer?.reason);
    if (outer?.aborted) ac.abort(outer.reason);
    else outer?.addEventListener('abort', onOuterAbort, { once: true });
    let timedOut = false;
    const timer =
      options.timeoutMs !== undefined
        ? o.clock.setTimeout(() => {
            timedOut = true;
            ac.abort(new Error('attempt timeout'));
          }, options.timeoutMs)
        : undefined;
    const model = options.model;
    try {
      const res = await o.fetch(`${base}${PATHS[req.endpoint]}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${req.apiKey}`,
          'content-type': 'application/json',
          'x-squall-attempt-key': attemptKey(req, options),
        },
        body: requestBody(req, options),
        signal: ac.signal,
      });
      const text = await res.text();
      const headers: Record<string, string> = {};
      res.headers.forEach((v, k) => {
        headers[k] = v;
      });
      return interpretAnswer(res.status, headers, text, req, model);
    } catch (e) {
      if (timedOut)
        return {
          kind: 'network',
          error: 'timeout',
          message: `no answer within ${options.timeoutMs} ms`,
          model,
        };
      if (outer?.aborted)
        return { kind: 'network', error: 'timeout', message: 'aborted by the caller', model };
      return networkOutcome(e, model);
    } finally {
      o.clock.clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    }
  };
}

const PATHS: Record<LogicalRequest['endpoint'], string> = {
  'chat.completions': '/chat/completions',
  embeddings: '/embeddings',
  responses: '/responses',
};

export function requestPath(req: LogicalRequest): string {
  return PATHS[req.endpoint];
}

export function attemptKey(req: LogicalRequest, options: AttemptOptions): string {
  return `${req.id}#${options.attemptNumber}`;
}

/**
 * Bodies already built, by what they are made of: a load test sends a handful of distinct bodies again and
 * again, and building one (a prompt of hundreds of tokens through JSON.stringify) was a visible part of
 * a live attempt's CPU. Bounded; emptied when full.
 */
const BODY_CACHE_LIMIT = 1024;
const bodyCache = new Map<string, string>();

/** The OpenAI request body for a logical request: a prompt of about `promptTokens` tokens. */
export function requestBody(req: LogicalRequest, options: AttemptOptions): string {
  const key = `${req.endpoint}\n${options.model}\n${req.promptTokens}\n${req.maxTokens}\n${req.stream}`;
  let body = bodyCache.get(key);
  if (body === undefined) {
    if (bodyCache.size >= BODY_CACHE_LIMIT) bodyCache.clear();
    body = buildBody(req, options.model);
    bodyCache.set(key, body);
  }
  return body;
}

function buildBody(req: LogicalRequest, model: string): string {
  const prompt = syntheticPrompt(req.promptTokens);
  if (req.endpoint === 'embeddings') return JSON.stringify({ model, input: prompt });
  if (req.endpoint === 'responses') {
    return JSON.stringify({
      model,
      input: prompt,
      max_output_tokens: Math.max(16, req.maxTokens),
      stream: req.stream,
    });
  }
  return JSON.stringify({
    model,
    messages: [{ role: 'user', content: prompt }],
    max_tokens: req.maxTokens,
    stream: req.stream,
    ...(req.stream ? { stream_options: { include_usage: true } } : {}),
  });
}

/** A complete answer (status, headers, whole body) as the outcome a careful client would see. */
export function interpretAnswer(
  status: number,
  headers: Record<string, string>,
  text: string,
  req: LogicalRequest,
  model: string,
): AttemptOutcome {
  const res = { status };
  if (res.status >= 200 && res.status < 300) {
    const broken = (message: string): AttemptOutcome => ({
      kind: 'network',
      error: 'stream',
      message,
      model,
    });
    if (req.stream) {
      const s = readStream(text, req.endpoint);
      if (s.problem) return broken(s.problem);
      return successOutcome(res.status, headers, model, s.usageTokens);
    }
    // The simulator's skeleton success body (mock-upstream/reply.ts liteSuccess): no JSON parse needed.
    if (text.startsWith(LITE_USAGE_PREFIX) && text.endsWith('}}')) {
      const usageTokens = Number(text.slice(LITE_USAGE_PREFIX.length, -2));
      if (Number.isFinite(usageTokens)) return successOutcome(res.status, headers, model, usageTokens);
    }
    let body: { usage?: { total_tokens?: number } };
    try {
      body = JSON.parse(text);
    } catch {
      return broken(`status ${res.status} with a body that is not JSON`);
    }
    return successOutcome(res.status, headers, model, body.usage?.total_tokens);
  }
  let error: ApiError | undefined;
  try {
    error = (JSON.parse(text) as { error?: ApiError }).error;
  } catch {
    // Edge pages (HTML 502/504) are not JSON: that is the point of them.
  }
  return errorOutcome(res.status, headers, model, error, text);
}

/** A 2xx answer as policies see it; `usageTokens` is left out when unknown or 0. */
export function successOutcome(
  status: number,
  headers: Record<string, string>,
  model: string,
  usageTokens: number | undefined,
): AttemptOutcome {
  return usageTokens
    ? { kind: 'response', status, headers, model, usageTokens }
    : { kind: 'response', status, headers, model };
}

/** The `error` object of an OpenAI error body. */
export type ApiError = { type?: string | null; code?: string | null; message?: string };

/** A non-2xx answer as policies see it: the error's type, code and message, or the body's start. */
export function errorOutcome(
  status: number,
  headers: Record<string, string>,
  model: string,
  error: ApiError | undefined,
  text: string,
): AttemptOutcome {
  return {
    kind: 'response',
    status,
    headers,
    model,
    errorType: error?.type ?? null,
    errorCode: error?.code ?? null,
    errorMessage: error?.message ? error.message : text.slice(0, 200),
  };
}

/** Reads an SSE body the way the SDK does; anything short of a clean end is a problem. */
function readStream(
  text: string,
  endpoint: LogicalRequest['endpoint'],
): { problem?: string; usageTokens?: number } {
  let done = false;
  let usageTokens: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith('data: ')) continue;
    const data = line.slice(6);
    if (data === '[DONE]') {
      done = true;
      continue;
    }
    let event: {
      error?: unknown;
      type?: string;
      usage?: { total_tokens?: number } | null;
      response?: { usage?: { total_tokens?: number } };
    };
    try {
      event = JSON.parse(data);
    } catch {
      return { problem: 'malformed chunk in the stream' };
    }
    if (event.error || event.type === 'error' || event.type === 'response.failed')
      return { problem: 'error event mid-stream' };
    if (event.usage?.total_tokens) usageTokens = event.usage.total_tokens;
    if (event.type === 'response.completed' || event.type === 'response.incomplete') {
      done = true;
      usageTokens = event.response?.usage?.total_tokens ?? usageTokens;
    }
  }
  if (!done)
    return {
      problem:
        endpoint === 'responses' ? 'stream ended without response.completed' : 'stream ended without [DONE]',
    };
  return usageTokens ? { usageTokens } : {};
}

const LITE_USAGE_PREFIX = '{"usage":{"total_tokens":';

export function networkOutcome(e: unknown, model: string): AttemptOutcome {
  const cause = (e as { cause?: { code?: string } })?.cause;
  const code = cause?.code ?? (e as { code?: string })?.code;
  const message = e instanceof Error ? `${e.message}${code ? ` (${code})` : ''}` : String(e);
  if (code === 'ECONNREFUSED') return { kind: 'network', error: 'refused', message, model };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { kind: 'network', error: 'dns', message, model };
  return { kind: 'network', error: 'reset', message, model };
}
