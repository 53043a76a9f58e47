import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpFront } from '../../mock-upstream/fronts/http.ts';
import { Upstream } from '../../mock-upstream/upstream.ts';
import { createHttpSend, type HttpSender } from '../../src/runner/http-send.ts';
import { upstreamConfigFrom } from '../../src/scenario/upstream-schema.ts';
import { type Clock, RealClock, VirtualClock } from '../../src/sim/clock.ts';
import type { LogicalRequest } from '../../src/strategies/types.ts';

/**
 * The live driver's own transport (src/runner/http-send.ts) over real loopback sockets: what each kind of
 * answer becomes, that connections are kept alive between attempts, and that every wait and body has a
 * limit. The attempt timeout runs on a virtual clock, advanced by hand: no real sleeps.
 */
const REQ: LogicalRequest = {
  id: 'r1',
  arrivalMs: 0,
  endpoint: 'chat.completions',
  model: 'gpt-4o-mini',
  promptTokens: 20,
  maxTokens: 16,
  stream: false,
  apiKey: 'sk-test',
};

const open: { close(): void }[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

async function bare(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server: Server = createServer(handler);
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  open.push({ close: () => server.close() });
  return {
    baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    connections: () => connections,
  };
}

function sender(baseURL: string, clock: Clock = new RealClock(), maxAnswerBytes?: number): HttpSender {
  const s = createHttpSend({ baseURL, clock, ...(maxAnswerBytes ? { maxAnswerBytes } : {}) });
  open.push(s);
  return s;
}

describe('live transport over node:http', { timeout: 30_000 }, () => {
  it('answers from the real mock with usage and headers, the attempt key on the wire, one kept-alive connection', async () => {
    const upstream = new Upstream(
      upstreamConfigFrom('t', { latency: { fixed: 0 }, network: { rtt: '0ms' } }),
    );
    const front = await startHttpFront(upstream, { port: 0 });
    open.push({ close: () => void front.close() });
    let connections = 0;
    front.server.on('connection', () => connections++);
    const s = sender(front.baseURL);
    for (let n = 0; n < 5; n++) {
      const o = await s.send(REQ, { model: REQ.model, attemptNumber: n });
      expect(o).toMatchObject({ kind: 'response', status: 200, model: 'gpt-4o-mini' });
      if (o.kind !== 'response') throw new Error('unreachable');
      expect(o.usageTokens).toBeGreaterThan(20);
      expect(o.headers['x-ratelimit-remaining-requests']).toMatch(/^\d+$/);
    }
    expect(connections).toBe(1);
    expect(upstream.journal.total).toBe(5);
  });

  it('an error status keeps its type, code and headers; the request carries key, body and attempt key', async () => {
    let seen: { path?: string; key?: string; auth?: string; body?: string } = {};
    const srv = await bare((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        seen = {
          path: req.url,
          key: req.headers['x-squall-attempt-key'] as string,
          auth: req.headers.authorization,
          body,
        };
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '2' });
        res.end(
          JSON.stringify({ error: { type: 'requests', code: 'rate_limit_exceeded', message: 'slow down' } }),
        );
      });
    });
    const o = await sender(srv.baseURL).send(REQ, { model: 'gpt-4o', attemptNumber: 2 });
    expect(o).toEqual({
      kind: 'response',
      status: 429,
      headers: expect.objectContaining({ 'retry-after': '2' }),
      model: 'gpt-4o',
      errorType: 'requests',
      errorCode: 'rate_limit_exceeded',
      errorMessage: 'slow down',
    });
    expect(seen.path).toBe('/v1/chat/completions');
    expect(seen.key).toBe('r1#2');
    expect(seen.auth).toBe('Bearer sk-test');
    expect(JSON.parse(seen.body!)).toMatchObject({ model: 'gpt-4o', max_tokens: 16 });
  });

  it('reads a chunked SSE stream to its end; one cut before [DONE] is a broken stream', async () => {
    const chunk = (usage: boolean) =>
      `data: ${JSON.stringify({ choices: [{ delta: { content: 'hi' } }], usage: usage ? { total_tokens: 42 } : null })}\n\n`;
    let done = true;
    const srv = await bare((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(chunk(false));
        res.write(chunk(true));
        res.end(done ? 'data: [DONE]\n\n' : '');
      });
    });
    const s = sender(srv.baseURL);
    const streamed = { ...REQ, stream: true };
    expect(await s.send(streamed, { model: REQ.model, attemptNumber: 0 })).toMatchObject({
      kind: 'response',
      status: 200,
      usageTokens: 42,
    });
    done = false;
    expect(await s.send(streamed, { model: REQ.model, attemptNumber: 1 })).toMatchObject({
      kind: 'network',
      error: 'stream',
    });
  });

  it('a reset before or during the answer is a reset; a closed port is refused', async () => {
    let midAnswer = false;
    const srv = await bare((req, res) => {
      req.resume();
      req.on('end', () => {
        if (!midAnswer) return req.socket.destroy();
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"usage":');
        setImmediate(() => req.socket.destroy());
      });
    });
    const s = sender(srv.baseURL);
    expect(await s.send(REQ, { model: REQ.model, attemptNumber: 0 })).toMatchObject({
      kind: 'network',
      error: 'reset',
    });
    midAnswer = true;
    expect(await s.send(REQ, { model: REQ.model, attemptNumber: 1 })).toMatchObject({
      kind: 'network',
      error: 'reset',
    });
    const closed = await bare(() => {});
    open.pop()!.close();
    await new Promise((r) => setImmediate(r));
    expect(await sender(closed.baseURL).send(REQ, { model: REQ.model, attemptNumber: 0 })).toMatchObject({
      kind: 'network',
      error: 'refused',
    });
  });

  it('a hung answer ends at the attempt timeout (on the run’s clock), and a caller’s abort ends it too', async () => {
    let arrived: () => void = () => {};
    const srv = await bare((req) => {
      req.resume();
      req.on('end', () => arrived());
    });
    const clock = new VirtualClock(0);
    const s = sender(srv.baseURL, clock);
    const seen = new Promise<void>((r) => {
      arrived = r;
    });
    const pending = s.send(REQ, { model: REQ.model, attemptNumber: 0, timeoutMs: 50 });
    await seen;
    await clock.run({ untilMs: 50 });
    expect(await pending).toEqual({
      kind: 'network',
      error: 'timeout',
      message: 'no answer within 50 ms',
      model: REQ.model,
    });

    const ac = new AbortController();
    const seen2 = new Promise<void>((r) => {
      arrived = r;
    });
    const aborted = s.send(REQ, { model: REQ.model, attemptNumber: 1, signal: ac.signal });
    await seen2;
    ac.abort();
    expect(await aborted).toMatchObject({
      kind: 'network',
      error: 'timeout',
      message: 'aborted by the caller',
    });
    ac.abort();
    expect(await s.send(REQ, { model: REQ.model, attemptNumber: 2, signal: ac.signal })).toMatchObject({
      kind: 'network',
      message: 'aborted by the caller',
    });
  });

  it('an answer over the body limit is cut off, not buffered', async () => {
    const srv = await bare((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`{"pad":"${'x'.repeat(64 * 1024)}"}`);
      });
    });
    expect(
      await sender(srv.baseURL, new RealClock(), 4096).send(REQ, { model: REQ.model, attemptNumber: 0 }),
    ).toMatchObject({
      kind: 'network',
      error: 'reset',
      message: expect.stringContaining('answer over 4096 bytes'),
    });
  });
});
