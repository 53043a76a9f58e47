import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpFront, startHttpFront } from '../../mock-upstream/fronts/http.ts';
import { testUpstream } from '../helpers/upstream.ts';

let front: HttpFront;
beforeAll(async () => {
  // No latency: every answer takes the immediate path, written together at the end of a loop turn.
  front = await startHttpFront(testUpstream({ latency: { fixed: 0 } }), { port: 0 });
});
afterAll(() => front.close());

const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
const chat = () =>
  fetch(`${front.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-test', 'content-type': 'application/json' },
    body,
  });

describe('immediate answers written together after their loop turn', () => {
  it('every one of 200 concurrent requests gets its own complete answer', async () => {
    const answers = await Promise.all(Array.from({ length: 200 }, () => chat()));
    const ids = new Set<string>();
    for (const r of answers) {
      expect(r.status).toBe(200);
      const json = (await r.json()) as { id: string; object: string };
      expect(json.object).toBe('chat.completion');
      ids.add(r.headers.get('x-request-id')!);
    }
    expect(ids.size).toBe(200);
  });

  it('a client gone before its answer is written does not disturb the others', async () => {
    const gone = new Promise<void>((resolve) => {
      const socket = connect(front.port, '127.0.0.1', () => {
        socket.write(
          `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-test\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
        socket.destroy();
        resolve();
      });
    });
    const [, ...rest] = await Promise.all([gone, chat(), chat(), chat()]);
    for (const r of rest) expect(r.status).toBe(200);
    expect((await chat()).status).toBe(200);
  });
});
