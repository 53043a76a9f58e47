import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Clock, TimerHandle } from '../sim/clock.ts';
import type { AttemptOutcome, SendAttempt } from '../strategies/types.ts';
import { offAbort, onAbort } from '../util/abort.ts';
import { attemptKey, interpretAnswer, networkOutcome, requestBody, requestPath } from './transport.ts';

/**
 * squall's own sends in live mode: one attempt as one HTTP/1.1 request over `node:http` (or `https`),
 * on connections kept alive between attempts, read to the end and interpreted exactly as the fetch
 * transport does (`interpretAnswer`).
 *
 * Why not the global fetch: measured against a `squall serve` in another process, the WHATWG fetch cost
 * 340–680 µs of CPU per request here (Request/Response/Headers objects, web streams for a body of a few
 * hundred bytes), `node:http` with a keep-alive agent 90–210 µs; see the README's live-rate figures.
 * Real client libraries (the openai SDK) still get the real fetch: this only carries the built-in
 * strategies' attempts.
 */
export interface HttpSender {
  send: SendAttempt;
  /** Closes the kept-alive connections; attempts still open fail as resets. */
  close(): void;
}

/** An answer larger than this is not an OpenAI answer; reading it is stopped rather than buffered. */
export const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

export interface HttpSendOptions {
  baseURL: string;
  clock: Clock;
  /** Default {@link MAX_ANSWER_BYTES}. */
  maxAnswerBytes?: number;
}

export function createHttpSend(o: HttpSendOptions): HttpSender {
  const maxAnswerBytes = o.maxAnswerBytes ?? MAX_ANSWER_BYTES;
  const url = new URL(o.baseURL);
  const secure = url.protocol === 'https:';
  // Kept-alive sockets, uncapped (as the global fetch was): the calling application's connection pool,
  // when a scenario models one, is src/client's to enforce, not the driver's. LIFO keeps the set of warm
  // sockets as small as the load needs.
  const agentOptions = { keepAlive: true, scheduling: 'lifo' as const };
  const agent = secure ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const request = secure ? httpsRequest : httpRequest;
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port ? Number(url.port) : secure ? 443 : 80;
  const prefix = url.pathname.replace(/\/$/, '');
  const auth = url.username
    ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
    : undefined;

  const send: SendAttempt = (req, options) =>
    new Promise<AttemptOutcome>((resolve) => {
      const model = options.model;
      const outer = options.signal;
      let settled = false;
      let why: 'timeout' | 'aborted' | undefined;
      let timer: TimerHandle | undefined;
      const settle = (outcome: AttemptOutcome) => {
        if (settled) return;
        settled = true;
        o.clock.clearTimeout(timer);
        if (outer) offAbort(outer, onOuterAbort);
        resolve(outcome);
      };
      const fail = (e: unknown) => {
        if (why === 'timeout')
          settle({
            kind: 'network',
            error: 'timeout',
            message: `no answer within ${options.timeoutMs} ms`,
            model,
          });
        else if (why === 'aborted')
          settle({ kind: 'network', error: 'timeout', message: 'aborted by the caller', model });
        else settle(networkOutcome(e, model));
      };
      const body = requestBody(req, options);
      const cr = request(
        {
          agent,
          hostname,
          port,
          path: prefix + requestPath(req),
          method: 'POST',
          ...(auth ? { auth } : {}),
          headers: {
            authorization: `Bearer ${req.apiKey}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'x-squall-attempt-key': attemptKey(req, options),
          },
        },
        (res) =>
          readAnswer(
            res,
            maxAnswerBytes,
            (text) => settle(interpretAnswer(res.statusCode ?? 0, headersOf(res), text, req, model)),
            fail,
          ),
      );
      cr.on('error', fail);
      function onOuterAbort() {
        why ??= 'aborted';
        cr.destroy(new Error('aborted by the caller'));
      }
      if (outer?.aborted) {
        why = 'aborted';
        cr.destroy(new Error('aborted by the caller'));
        return;
      }
      if (outer) onAbort(outer, onOuterAbort);
      if (options.timeoutMs !== undefined)
        timer = o.clock.setTimeout(() => {
          why ??= 'timeout';
          cr.destroy(new Error('attempt timeout'));
        }, options.timeoutMs);
      cr.end(body);
    });

  return { send, close: () => agent.destroy() };
}

/** Reads a whole answer as text; a connection that ends before the answer does is an error. */
function readAnswer(
  res: IncomingMessage,
  maxBytes: number,
  onText: (text: string) => void,
  onError: (e: unknown) => void,
): void {
  let first: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  let bytes = 0;
  res.on('data', (c: Buffer) => {
    bytes += c.length;
    if (bytes > maxBytes) {
      res.destroy(
        Object.assign(new Error(`answer over ${maxBytes} bytes`), { code: 'ERR_ANSWER_TOO_LARGE' }),
      );
      return;
    }
    if (first === undefined) first = c;
    else if (chunks) chunks.push(c);
    else chunks = [first, c];
  });
  res.on('end', () =>
    onText(chunks ? Buffer.concat(chunks, bytes).toString('utf8') : (first?.toString('utf8') ?? '')),
  );
  res.on('error', onError);
  // 'close' without 'end': the socket went away mid-answer (a reset after the head, a broken stream).
  res.on('close', () => {
    if (!res.complete)
      onError(Object.assign(new Error('connection closed mid-answer'), { code: 'ECONNRESET' }));
  });
}

/**
 * The answer's headers as the fetch transport gave them: lower-case names, repeated ones joined with ", "
 * (node:http keeps `set-cookie` as an array; nothing squall reads is one).
 */
function headersOf(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  const h = res.headers;
  for (const k in h) {
    const v = h[k];
    if (v !== undefined) out[k] = typeof v === 'string' ? v : v.join(', ');
  }
  return out;
}
