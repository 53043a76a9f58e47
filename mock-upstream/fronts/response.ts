import type { Clock } from '../../src/sim/clock.ts';
import type { Reply } from '../types.ts';

/**
 * Renders a Reply as a WHATWG Response, pacing headers and body parts on the given clock. Shared by the
 * msw front and the in-process front, so both behave the same. Connection-level faults (reset, refuse,
 * hang) have no Response: the caller turns them into its own kind of network error.
 */
export type Rendered =
  | { kind: 'response'; response: Response }
  | { kind: 'network'; code: 'ECONNRESET' | 'ECONNREFUSED' };

export async function renderReply(
  reply: Reply,
  clock: Clock,
  signal?: AbortSignal | null,
): Promise<Rendered> {
  const sig = signal ?? undefined;
  switch (reply.kind) {
    case 'refuse':
      // The refused handshake still takes its round trip.
      await clock.sleep(reply.delayMs, sig);
      return { kind: 'network', code: 'ECONNREFUSED' };
    case 'reset':
      await clock.sleep(reply.delayMs, sig);
      return { kind: 'network', code: 'ECONNRESET' };
    case 'hang':
      // The server gives up after ms; the client's own timeout normally fires first (and aborts the sleep).
      await clock.sleep(reply.ms, sig);
      return { kind: 'network', code: 'ECONNRESET' };
    case 'response': {
      await clock.sleep(reply.headerDelayMs, sig);
      const body = bodyStream(reply, clock, sig);
      return {
        kind: 'response',
        response: new Response(body, { status: reply.status, headers: reply.headers }),
      };
    }
  }
}

function bodyStream(
  reply: Extract<Reply, { kind: 'response' }>,
  clock: Clock,
  signal: AbortSignal | undefined,
): ReadableStream<Uint8Array> | string | null {
  const immediate = reply.end.kind === 'end' && reply.parts.every((p) => p.delayMs <= 0);
  if (immediate) return reply.parts.map((p) => p.data).join('') || null;
  const encoder = new TextEncoder();
  const parts = reply.parts;
  const end = reply.end;
  let i = 0;
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      return new Promise<void>((resolve) => {
        const step = () => {
          if (signal?.aborted) {
            controller.error(signal.reason);
            return resolve();
          }
          const part = parts[i];
          if (part) {
            i++;
            controller.enqueue(encoder.encode(part.data));
            return resolve();
          }
          if (end.kind === 'end') controller.close();
          else controller.error(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }));
          resolve();
        };
        const part = parts[i];
        const delayMs = part ? part.delayMs : end.kind === 'hang' ? end.ms : 0;
        if (delayMs > 0) timer = clock.setTimeout(step, delayMs);
        else step();
      });
    },
    cancel() {
      clock.clearTimeout(timer);
    },
  });
}
