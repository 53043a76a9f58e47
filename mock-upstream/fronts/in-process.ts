import type { Clock } from '../../src/sim/clock.ts';
import type { Upstream } from '../upstream.ts';
import { renderReply } from './response.ts';

/**
 * The in-process front: a WHATWG `fetch` that answers from the upstream model without sockets, paced on
 * the given clock. In simulated time this is the transport; the official openai SDK accepts it as its
 * `fetch` option and runs unmodified. Network faults reject exactly as undici's fetch does
 * (`TypeError: fetch failed` with a `cause.code`), so clients classify them the same way.
 */
export function createInProcessFetch(upstream: Upstream, clock: Clock): typeof fetch {
  const inProcessFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : undefined;
    const url = new URL(request ? request.url : String(input));
    const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
    // A Headers given to us is only read, so it needs no copy (the openai SDK hands one per attempt).
    const given = init?.headers ?? request?.headers;
    const headers = given instanceof Headers ? given : new Headers(given);
    const signal = init?.signal ?? request?.signal ?? undefined;
    if (signal?.aborted) throw signal.reason;
    const bodyText = await readBody(init?.body, request);
    const lower: Record<string, string> = {};
    headers.forEach((v, k) => {
      lower[k] = v;
    });
    const reply = upstream.handle(
      { method, path: url.pathname + url.search, headers: lower, bodyText },
      clock.now(),
    );
    const rendered = await renderReply(reply, clock, signal);
    if (rendered.kind === 'network') {
      const cause = Object.assign(
        new Error(rendered.code === 'ECONNREFUSED' ? 'connect ECONNREFUSED' : 'socket hang up'),
        {
          code: rendered.code,
        },
      );
      throw new TypeError('fetch failed', { cause });
    }
    return rendered.response;
  };
  return inProcessFetch as typeof fetch;
}

async function readBody(
  body: RequestInit['body'] | undefined,
  request: Request | undefined,
): Promise<string> {
  if (body == null) return request ? await request.text() : '';
  if (typeof body === 'string') return body;
  return await new Response(body).text();
}
