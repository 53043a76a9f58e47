import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpFront, startHttpFront } from '../../mock-upstream/fronts/http.ts';
import { testUpstream } from '../helpers/upstream.ts';

let front: HttpFront;
let origin: string;
beforeAll(async () => {
  front = await startHttpFront(testUpstream({ max_body_bytes: 10_000 }), {
    port: 0,
    controlToken: 'ctl-secret',
  });
  origin = front.baseURL.replace(/\/v1$/, '');
});
afterAll(() => front.close());

async function call(path: string, init: RequestInit & { json?: unknown } = {}) {
  const r = await fetch(`${origin}${path}`, {
    method: init.method ?? 'POST',
    headers: {
      authorization: 'Bearer sk-test',
      'content-type': 'application/json',
      ...(init.headers as object),
    },
    ...(init.json !== undefined
      ? { body: JSON.stringify(init.json) }
      : init.body !== undefined
        ? { body: init.body }
        : {}),
  });
  const text = await r.text();
  let body: { error?: { message: string; type: string; param: string | null; code: string | null } } = {};
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: r.status, body, text, headers: r.headers };
}

describe('bad input gets the OpenAI-style error a real client would get', () => {
  it.each([
    [
      'malformed JSON',
      '/v1/chat/completions',
      { body: '{"model": "gpt-4o-mini", ' },
      400,
      'invalid_request_error',
    ],
    [
      'missing model',
      '/v1/chat/completions',
      { json: { messages: [{ role: 'user', content: 'x' }] } },
      400,
      'invalid_request_error',
    ],
    [
      'missing messages',
      '/v1/chat/completions',
      { json: { model: 'gpt-4o-mini' } },
      400,
      'invalid_request_error',
    ],
    [
      'unknown model',
      '/v1/chat/completions',
      { json: { model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] } },
      404,
      'invalid_request_error',
    ],
    ['unknown route', '/v1/nope', { json: {} }, 404, 'invalid_request_error'],
    ['wrong method', '/v1/chat/completions', { method: 'GET' }, 405, 'invalid_request_error'],
    [
      'no API key',
      '/v1/chat/completions',
      { headers: { authorization: '' }, json: { model: 'gpt-4o-mini', messages: [] } },
      401,
      'invalid_request_error',
    ],
  ] as const)('%s', async (_name, path, init, status, type) => {
    const r = await call(path, init as RequestInit & { json?: unknown });
    expect(r.status).toBe(status);
    expect(r.body.error).toMatchObject({ type });
    expect(Object.keys(r.body.error!).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(r.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it('missing fields name the param', async () => {
    const r = await call('/v1/chat/completions', { json: { model: 'gpt-4o-mini' } });
    expect(r.body.error!.param).toBe('messages');
  });

  it('an oversized body gets 413 and the server keeps serving', async () => {
    const r = await call('/v1/chat/completions', {
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'x'.repeat(20_000) }],
      }),
    });
    expect(r.status).toBe(413);
    const ok = await call('/v1/chat/completions', {
      json: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(ok.status).toBe(200);
  });

  it('an unknown x-squall-fault is a 400 that lists the known kinds', async () => {
    const r = await call('/v1/chat/completions', {
      headers: { 'x-squall-fault': 'meteor' },
      json: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(r.status).toBe(400);
    expect(r.body.error!.message).toMatch(/meteor.*insufficient_quota/);
  });

  it('the 502 and 504 fault bodies are HTML that breaks naive JSON parsing', async () => {
    for (const kind of ['502', '504']) {
      const r = await call('/v1/chat/completions', {
        headers: { 'x-squall-fault': kind },
        json: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
      });
      expect(r.status).toBe(Number(kind));
      expect(r.headers.get('content-type')).toMatch(/text\/html/);
      expect(() => JSON.parse(r.text)).toThrow();
    }
  });

  it('header names are read in any case, and the first of duplicates wins (raw HTTP on a socket)', async () => {
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    const head = (lines: string[]) =>
      new Promise<string>((resolve, reject) => {
        const { port } = front;
        // write, not end: a half-closed client may lose an answer that is still on its way (latency).
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(
            [
              'POST /v1/chat/completions HTTP/1.1',
              `Host: 127.0.0.1:${port}`,
              'Content-Type: application/json',
              `Content-Length: ${Buffer.byteLength(body)}`,
              'Connection: close',
              ...lines,
              '',
              body,
            ].join('\r\n'),
          );
        });
        let got = '';
        socket.on('data', (c) => {
          got += c.toString('latin1');
        });
        socket.on('end', () => resolve(got.split('\r\n')[0]!));
        socket.on('error', reject);
      });
    expect(await head(['AUTHORIZATION: Bearer sk-test', 'X-Squall-Fault: 503'])).toBe(
      'HTTP/1.1 503 Service Unavailable',
    );
    expect(await head(['Authorization: Bearer sk-test', 'x-SQUALL-fault: 500', 'X-Squall-Fault: 503'])).toBe(
      'HTTP/1.1 500 Internal Server Error',
    );
    expect(await head(['X-Squall-Fault: 500'])).toBe('HTTP/1.1 401 Unauthorized');
  });

  it('malformed: status 200 with a body that is not JSON', async () => {
    const r = await call('/v1/chat/completions', {
      headers: { 'x-squall-fault': 'malformed' },
      json: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(r.status).toBe(200);
    expect(() => JSON.parse(r.text)).toThrow();
  });
});

describe('control API', () => {
  const auth = { authorization: 'Bearer ctl-secret' };
  it('requires the bearer token when one is set', async () => {
    const r = await fetch(`${origin}/__squall/state`);
    expect(r.status).toBe(401);
    const ok = await fetch(`${origin}/__squall/state`, { headers: auth });
    expect(ok.status).toBe(200);
  });

  it.each([
    ['not JSON', 'nope', /not JSON/],
    ['unknown kind', JSON.stringify({ faults: { meteor: 1 }, ttl: '1s' }), /unknown fault kind "meteor"/],
    ['bad probability', JSON.stringify({ faults: { '503': 2 }, ttl: '1s' }), /between 0 and 1/],
    ['no ttl', JSON.stringify({ faults: { '503': 1 } }), /ttl/],
    ['bad ttl', JSON.stringify({ faults: { '503': 1 }, ttl: 'forever' }), /duration/],
  ])('a bad override (%s) gets 400 saying what was wrong', async (_name, body, pattern) => {
    const r = await fetch(`${origin}/__squall/override`, { method: 'POST', headers: auth, body });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toMatch(pattern);
  });

  it('serves Prometheus metrics', async () => {
    const r = await fetch(`${origin}/metrics`, { headers: auth });
    const text = await r.text();
    expect(r.headers.get('content-type')).toMatch(/text\/plain/);
    expect(text).toMatch(/^# TYPE squall_attempts_total counter$/m);
    for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-z_]+(\{[^}]*\})? -?[0-9.e+-]+$/);
    }
  });
});
