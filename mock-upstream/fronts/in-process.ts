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
    const headers = headerRecord(init?.headers ?? request?.headers);
    const signal = init?.signal ?? request?.signal ?? undefined;
    if (signal?.aborted) throw signal.reason;
    const body = init?.body;
    // A string body (what JSON clients send) is read at once: no await, no extra turn of the queue.
    const bodyText = typeof body === 'string' ? body : await readBody(body, request);
    const reply = upstream.handle(
      { method, path: url.pathname + url.search, headers, bodyText },
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

/**
 * The request headers as the upstream reads them: lower-case names, as a `Headers` would give them. A
 * `Headers` given to us is only read (the openai SDK hands one per attempt). A plain record that already
 * is in that form (lower-case token names, printable ASCII values without surrounding spaces, which
 * `Headers` would keep byte for byte) is copied as it is: squall's own driver passes one per attempt, and
 * building a `Headers` from a record costs more than the rest of the front. Anything else goes through
 * `Headers`, which validates and normalises it (and throws a TypeError, as fetch would, when it is bad).
 */
function headerRecord(given: HeadersInit | undefined): Record<string, string> {
  if (given !== undefined && !(given instanceof Headers)) {
    const plain = plainRecord(given);
    if (plain) return plain;
  }
  const headers = given instanceof Headers ? given : new Headers(given);
  const out: Record<string, string> = {};
  headers.forEach((v, k) => {
    out[k] = v;
  });
  return out;
}

const LOWER_TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const CLEAN_VALUE = /^(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?$/;

/** A copy of `given` when it is a plain record `Headers` would take unchanged; otherwise undefined. */
function plainRecord(given: HeadersInit): Record<string, string> | undefined {
  const proto = Object.getPrototypeOf(given);
  if ((proto !== Object.prototype && proto !== null) || Object.getOwnPropertySymbols(given).length > 0)
    return undefined;
  const record = given as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const name of Object.keys(record)) {
    const value = record[name];
    if (typeof value !== 'string' || !LOWER_TOKEN.test(name) || !CLEAN_VALUE.test(value)) return undefined;
    out[name] = value;
  }
  return out;
}

async function readBody(
  body: RequestInit['body'] | undefined,
  request: Request | undefined,
): Promise<string> {
  if (body == null) return request ? await request.text() : '';
  if (typeof body === 'string') return body;
  return await new Response(body).text();
}
