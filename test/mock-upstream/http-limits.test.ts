import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type HttpFront, startHttpFront } from '../../mock-upstream/fronts/http.ts';
import { MAX_JSON_DEPTH } from '../../mock-upstream/wire/parse.ts';
import { CHAT, testUpstream } from '../helpers/upstream.ts';

/**
 * Issue #14 §1: no single request takes the HTTP front down or makes it do unbounded work, and every
 * connection is bounded in time whatever its client does. Real sockets on loopback; the time limits are
 * options, set small here, and the assertions wait for what the server does rather than for a fixed time.
 */

const AUTH = { authorization: 'Bearer sk-test', 'content-type': 'application/json' };

describe('requests that used to crash the server or grow without bound', () => {
  let front: HttpFront;
  let origin: string;
  beforeAll(async () => {
    front = await startHttpFront(testUpstream(), { port: 0 });
    origin = front.baseURL.replace(/\/v1$/, '');
  });
  afterAll(() => front.close());

  async function call(path: string, init: { method?: string; body?: string } = {}) {
    const r = await fetch(`${origin}${path}`, {
      method: init.method ?? 'POST',
      headers: AUTH,
      body: init.body,
    });
    const text = await r.text();
    let error: { message: string; type: string; param: string | null; code: string | null } | undefined;
    try {
      error = JSON.parse(text).error;
    } catch {}
    return { status: r.status, text, error };
  }

  it('GET /v1/models/% (a malformed escape) is a 404 for that model, and the server stays up', async () => {
    const r = await call('/v1/models/%', { method: 'GET' });
    expect(r.status).toBe(404);
    expect(r.error?.code).toBe('model_not_found');
    expect((await call('/v1/models', { method: 'GET' })).status).toBe(200);
  });

  it('5,000 levels of nested JSON in content (30 KB) is a 400, not a stack overflow', async () => {
    let nested = '"x"';
    for (let i = 0; i < 5000; i++) nested = `{"a":${nested}}`;
    const body = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":${nested}}]}`;
    expect(body.length).toBeGreaterThan(25_000);
    const r = await call('/v1/chat/completions', { body });
    expect(r.status).toBe(400);
    expect(r.error?.message).toContain(`${MAX_JSON_DEPTH} levels`);
    // Depth within the limit is still read (and counted) as before.
    let fine = '"x"';
    for (let i = 0; i < MAX_JSON_DEPTH - 8; i++) fine = `[${fine}]`;
    const ok = await call('/v1/chat/completions', {
      body: `{"model":"gpt-4o-mini","messages":[{"role":"user","content":${fine}}]}`,
    });
    expect(ok.status).toBe(200);
  });

  it.each([
    [
      'dimensions: 100000000',
      { model: 'text-embedding-3-small', input: 'hi', dimensions: 100_000_000 },
      'dimensions',
      'integer_above_max_value',
      'Expected a value <= 1536',
    ],
    [
      'text-embedding-3-large above 3072',
      { model: 'text-embedding-3-large', input: 'hi', dimensions: 3073 },
      'dimensions',
      'integer_above_max_value',
      'Expected a value <= 3072',
    ],
    [
      'dimensions on ada-002 (a fixed size)',
      { model: 'text-embedding-ada-002', input: 'hi', dimensions: 256 },
      'dimensions',
      null,
      'does not support specifying dimensions',
    ],
    [
      '20,000 inputs',
      { model: 'text-embedding-3-small', input: Array.from({ length: 20_000 }, () => 'hi') },
      'input',
      'array_above_max_length',
      'maximum length 2048, but got an array with length 20000',
    ],
    [
      'one input over 8192 tokens',
      { model: 'text-embedding-3-small', input: 'abcd'.repeat(9000) },
      null,
      null,
      'maximum context length is 8192 tokens, however you requested 9000 tokens',
    ],
    [
      'over 300,000 tokens in one request',
      { model: 'text-embedding-3-small', input: Array.from({ length: 40 }, () => 'abcd'.repeat(8000)) },
      null,
      'max_tokens_per_request',
      'Requested 320000 tokens, max 300000 tokens per request',
    ],
  ])('embeddings with %s: an OpenAI-style 400', async (_name, json, param, code, message) => {
    const r = await call('/v1/embeddings', { body: JSON.stringify(json) });
    expect(r.status).toBe(400);
    expect(r.error).toMatchObject({ param, code });
    expect(r.error?.message).toContain(message);
  });

  it('embeddings at the limits are answered in full', async () => {
    const many = await call('/v1/embeddings', {
      body: JSON.stringify({
        model: 'text-embedding-3-large',
        input: Array.from({ length: 2048 }, () => 'hi'),
        dimensions: 4,
      }),
    });
    expect(many.status).toBe(200);
    const manyBody = JSON.parse(many.text) as { data: Array<{ embedding: number[] }> };
    expect(manyBody.data).toHaveLength(2048);
    expect(manyBody.data[0]!.embedding).toHaveLength(4);
    // The model's own size when `dimensions` is not given.
    const one = await call('/v1/embeddings', {
      body: JSON.stringify({ model: 'text-embedding-3-large', input: 'hi' }),
    });
    expect(
      (JSON.parse(one.text) as { data: Array<{ embedding: number[] }> }).data[0]!.embedding,
    ).toHaveLength(3072);
  });

  it.each([
    ['/metrics?x=1', 'GET'],
    ['/metrics/', 'GET'],
    ['/v1/models/', 'GET'],
    ['/v1/models?limit=5', 'GET'],
    ['/__squall/state/', 'GET'],
  ])('%s is matched by its path, not the raw target', async (path, method) => {
    const r = await call(path, { method });
    expect(r.status).toBe(200);
  });

  it('HEAD /v1/models answers as GET does, without a body', async () => {
    const get = await fetch(`${origin}/v1/models`, { headers: AUTH });
    const head = await fetch(`${origin}/v1/models`, { method: 'HEAD', headers: AUTH });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
    expect(await head.text()).toBe('');
    expect((await get.text()).length).toBeGreaterThan(0);
    const model = await fetch(`${origin}/v1/models/gpt-4o-mini`, { method: 'HEAD', headers: AUTH });
    expect(model.status).toBe(200);
  });
});

/** A raw connection that records what the server sent and when it closed. */
function rawConnection(
  port: number,
): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    let data = '';
    const socket = connect(port, '127.0.0.1');
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('data', (c) => {
      data += c.toString('latin1');
    });
    socket.on('error', () => {});
    socket.once('connect', () => resolve({ socket, received: () => data, closed }));
    socket.once('error', reject);
  });
}

describe('every connection is bounded in time (slowloris, idle, keep-alive) and in number', () => {
  const opened: Socket[] = [];
  let front: HttpFront | undefined;
  const lines: string[] = [];
  afterEach(async () => {
    for (const s of opened) s.destroy();
    opened.length = 0;
    lines.length = 0;
    await front?.close();
    front = undefined;
  });
  async function start(options: Parameters<typeof startHttpFront>[1]) {
    front = await startHttpFront(testUpstream({ max_hang: 60_000 }), {
      port: 0,
      log: (l) => lines.push(l),
      ...options,
    });
    return front;
  }
  async function open(port: number) {
    const c = await rawConnection(port);
    opened.push(c.socket);
    return c;
  }

  it('a head sent one header line at a time, never finished, gets a 408 and is closed', async () => {
    const { port } = await start({ headersTimeoutMs: 200, requestTimeoutMs: 400 });
    const c = await open(port);
    const startedAt = Date.now();
    c.socket.write('GET /v1/models HTTP/1.1\r\nhost: x\r\n');
    let n = 0;
    const drip = setInterval(() => c.socket.writable && c.socket.write(`x-drip-${n++}: 1\r\n`), 40);
    await c.closed;
    clearInterval(drip);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
    // Never before the limit (the late side depends on the machine, so it is not asserted).
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(190);
  });

  it('a body sent a byte at a time past requestTimeoutMs gets a 408 and is closed', async () => {
    const { port } = await start({ headersTimeoutMs: 200, requestTimeoutMs: 400 });
    const c = await open(port);
    c.socket.write(
      'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer sk-test\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{',
    );
    const drip = setInterval(() => c.socket.writable && c.socket.write(' '), 40);
    await c.closed;
    clearInterval(drip);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('a kept-alive connection idle between requests is closed after keepAliveTimeoutMs', async () => {
    const { port } = await start({ keepAliveTimeoutMs: 100 });
    const c = await open(port);
    c.socket.write('GET /v1/models HTTP/1.1\r\nhost: x\r\nauthorization: Bearer sk-test\r\n\r\n');
    await c.closed;
    expect(c.received()).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('a connection with no bytes either way for idleTimeoutMs is closed, even inside a long hang', async () => {
    // The hang would hold it for 60 s; the idle limit ends it first.
    const { port } = await start({ idleTimeoutMs: 200 });
    const c = await open(port);
    const body = JSON.stringify(CHAT);
    c.socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer sk-test\r\nx-squall-fault: timeout\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
    );
    await c.closed;
    expect(c.received()).toBe('');
  });

  it('connections beyond maxConnections are closed at once, with a log line each way', async () => {
    // Kept alive for the whole test, however slow the machine: only the cap may close a connection here.
    const { port } = await start({ maxConnections: 2, keepAliveTimeoutMs: 120_000 });
    const a = await open(port);
    const b = await open(port);
    // Both are accepted: each gets an answer.
    for (const c of [a, b])
      c.socket.write('GET /v1/models HTTP/1.1\r\nhost: x\r\nauthorization: Bearer sk-test\r\n\r\n');
    await expect.poll(() => a.received().length > 0 && b.received().length > 0).toBe(true);
    const third = await open(port);
    await third.closed;
    expect(third.received()).toBe('');
    expect(lines).toEqual([expect.stringContaining('connection cap reached (2 open)')]);
    a.socket.destroy();
    await expect.poll(() => lines.length).toBe(2);
    expect(lines[1]).toContain('below the connection cap again; 1 connections were refused');
    // And a new connection is served again.
    const d = await open(port);
    d.socket.write('GET /v1/models HTTP/1.1\r\nhost: x\r\nauthorization: Bearer sk-test\r\n\r\n');
    await expect.poll(() => d.received()).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('limits that are not positive integers are refused at start', async () => {
    await expect(startHttpFront(testUpstream(), { port: 0, headersTimeoutMs: 0 })).rejects.toThrow(
      /headersTimeoutMs must be a positive integer/,
    );
  });
});
