import { HttpResponse, http, type RequestHandler } from 'msw';
import { type Clock, RealClock } from '../../src/sim/clock.ts';
import type { Upstream } from '../upstream.ts';
import { handleControl } from './control.ts';
import { renderReply } from './response.ts';

export interface MswOptions {
  /** Origin + path prefix the handlers answer on. Default `https://api.openai.com`. */
  origin?: string;
  clock?: Clock;
  /** Bearer token required by the `/__squall/` control routes, if any. */
  controlToken?: string;
}

/**
 * msw handlers over the upstream model, for users' own vitest/jest suites:
 *
 *   const server = setupServer(...squallHandlers(createUpstream({ seed: 1 })));
 *
 * Network faults become `HttpResponse.error()` (fetch rejects with a TypeError, as a dropped connection
 * does); the openai SDK maps that to APIConnectionError.
 */
export function squallHandlers(upstream: Upstream, options: MswOptions = {}): RequestHandler[] {
  const origin = (options.origin ?? 'https://api.openai.com').replace(/\/$/, '');
  const clock = options.clock ?? new RealClock();
  return [
    http.all(`${origin}/__squall/*`, async ({ request }) => {
      const url = new URL(request.url);
      const r = handleControl(upstream, {
        method: request.method,
        path: url.pathname,
        query: url.searchParams,
        bodyText: await request.text(),
        authorization: request.headers.get('authorization') ?? undefined,
        controlToken: options.controlToken,
        nowMs: clock.now(),
      });
      return new HttpResponse(r.body, { status: r.status, headers: r.headers });
    }),
    http.all(`${origin}/v1/*`, async ({ request }) => {
      const url = new URL(request.url);
      const headers: Record<string, string> = {};
      request.headers.forEach((v, k) => {
        headers[k] = v;
      });
      const reply = upstream.handle(
        { method: request.method, path: url.pathname + url.search, headers, bodyText: await request.text() },
        clock.now(),
      );
      const rendered = await renderReply(reply, clock, request.signal);
      return rendered.kind === 'network' ? HttpResponse.error() : rendered.response;
    }),
  ];
}
