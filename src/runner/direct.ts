import type { Upstream } from '../../mock-upstream/upstream.ts';
import type { Clock } from '../sim/clock.ts';
import type { AttemptOutcome, SendAttempt } from '../strategies/types.ts';
import { attemptKey, interpretAnswer, requestBody, requestPath } from './transport.ts';

/**
 * The simulated-time transport for squall's own policies: one attempt straight into the upstream model,
 * waiting on the virtual clock for as long as the reply would take on the wire, with no fetch, Response or
 * stream objects in between (those dominate the cost of a simulated attempt). The upstream sees the same
 * request bytes and headers as over HTTP, so its decisions are the same as through any front.
 */
export function createDirectSend(
  upstream: Upstream,
  clock: Clock,
  baseURL = 'http://squall.sim/v1',
): SendAttempt {
  const prefix = new URL(baseURL).pathname.replace(/\/$/, '');
  return async (req, options) => {
    const model = options.model;
    const reply = upstream.handle(
      {
        method: 'POST',
        path: prefix + requestPath(req),
        headers: { authorization: `Bearer ${req.apiKey}`, 'x-squall-attempt-key': attemptKey(req, options) },
        bodyText: requestBody(req, options),
      },
      clock.now(),
    );
    let waitMs: number;
    let broken: AttemptOutcome | undefined;
    switch (reply.kind) {
      case 'refuse':
        return { kind: 'network', error: 'refused', message: 'connect ECONNREFUSED', model };
      case 'reset':
        waitMs = reply.delayMs;
        broken = { kind: 'network', error: 'reset', message: 'socket hang up', model };
        break;
      case 'hang':
        waitMs = reply.ms;
        broken = { kind: 'network', error: 'reset', message: 'server gave up on a hung request', model };
        break;
      case 'response': {
        waitMs = reply.headerDelayMs;
        for (const p of reply.parts) waitMs += p.delayMs;
        if (reply.end.kind === 'hang') waitMs += reply.end.ms;
        if (reply.end.kind !== 'end') {
          broken = { kind: 'network', error: 'reset', message: 'connection dropped mid-body', model };
        }
        break;
      }
    }
    const timedOut = await waitFor(clock, waitMs, options.timeoutMs, options.signal);
    if (timedOut) return { kind: 'network', error: 'timeout', message: timedOut, model };
    if (broken || reply.kind !== 'response') return broken!;
    const text = reply.parts.length === 1 ? reply.parts[0]!.data : reply.parts.map((p) => p.data).join('');
    return interpretAnswer(reply.status, reply.headers, text, req, model);
  };
}

/** Waits `ms` on the clock; returns why it stopped early (attempt timeout or caller abort), if it did. */
function waitFor(
  clock: Clock,
  ms: number,
  timeoutMs: number | undefined,
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  if (signal?.aborted) return Promise.resolve('aborted by the caller');
  const limit = timeoutMs !== undefined && timeoutMs < ms ? timeoutMs : undefined;
  if (ms <= 0 && limit === undefined) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const onAbort = () => {
      clock.clearTimeout(timer);
      resolve('aborted by the caller');
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(limit !== undefined ? `no answer within ${timeoutMs} ms` : undefined);
    }, limit ?? ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
