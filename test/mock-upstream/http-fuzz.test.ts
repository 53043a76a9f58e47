import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpFront, startHttpFront } from '../../mock-upstream/fronts/http.ts';
import { testUpstream } from '../helpers/upstream.ts';

/**
 * Issue #14 §1: random and mutated requests thrown at the HTTP front over real sockets. Whatever arrives,
 * the process stays up and each request gets a well-formed status line (never a dropped connection, never
 * a 5xx: this upstream has no faults scheduled). Seeded, so a failure replays; bounded in time, so a slow
 * machine runs fewer cases rather than a longer test.
 */

const SEED = 14;
const TIME_LIMIT_MS = 4000;

const VALID_BODIES = [
  { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello' }], max_tokens: 8 },
  { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true, max_tokens: 4 },
  { model: 'gpt-4o-mini', input: 'hello', max_output_tokens: 8 },
  { model: 'text-embedding-3-small', input: ['a', 'b'], dimensions: 8 },
  { model: 'text-embedding-3-small', input: [[1, 2, 3]], encoding_format: 'base64' },
];

const METHODS = ['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'post', 'G3T', ''];
const PATHS = [
  '/v1/chat/completions',
  '/v1/responses',
  '/v1/embeddings',
  '/v1/models',
  '/v1/models/gpt-4o-mini',
  '/v1/models/%',
  '/v1/models/%E0%A4%A',
  '/metrics',
  '/__squall/state',
  '/__squall/journal',
  '/__squall/overrides',
  '/',
  '//x/y',
  '*',
  'http://host/v1/models',
];

/** A request target: a known path, maybe with random suffixes, queries, escapes or slashes. */
const target = fc
  .tuple(
    fc.constantFrom(...PATHS),
    fc.option(fc.constantFrom('/', '//', '?', '?x=1', '?%', '#f', '/..', '/%00', '?a=%ZZ&b'), { nil: '' }),
    fc.option(fc.string({ maxLength: 12 }), { nil: '' }),
  )
  .map(([p, suffix, junk]) => `${p}${suffix}${encodeURI(junk).replace(/%25/g, '%')}`);

/** Mutations of a valid body: cut, spliced, retyped, deepened, or a random JSON value. */
const body = fc.oneof(
  fc.constantFrom(...VALID_BODIES).map((b) => JSON.stringify(b)),
  fc
    .tuple(fc.constantFrom(...VALID_BODIES), fc.nat(), fc.nat(), fc.string({ maxLength: 8 }))
    .map(([b, at, len, insert]) => {
      const s = JSON.stringify(b);
      const i = at % (s.length + 1);
      return s.slice(0, i) + insert + s.slice(Math.min(s.length, i + (len % 6)));
    }),
  fc
    .tuple(
      fc.constantFrom(...VALID_BODIES),
      fc.constantFrom('model', 'messages', 'input', 'dimensions', 'max_tokens', 'stream'),
      fc.jsonValue({ maxDepth: 3 }),
    )
    .map(([b, key, value]) => JSON.stringify({ ...b, [key]: value })),
  fc
    .integer({ min: 100, max: 3000 })
    .map((depth) => `{"model":"gpt-4o-mini","messages":${'['.repeat(depth)}${']'.repeat(depth)}}`),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 64 }),
  fc.constant(''),
);

const headers = fc.record({
  auth: fc.constantFrom(
    'Bearer sk-test',
    'Bearer',
    'Basic abc',
    '',
    'Bearer sk-test extra',
    'bearer  sk-test ',
  ),
  contentType: fc.constantFrom('application/json', 'text/plain', '', 'application/json; charset=utf-8'),
  extra: fc.array(
    fc.tuple(
      fc.constantFrom(
        'x-stainless-retry-count',
        'x-squall-attempt-key',
        'x-junk',
        'accept',
        'transfer-encoding',
      ),
      fc.string({ maxLength: 10 }).map((s) => s.replace(/[\r\n]/g, '')),
    ),
    { maxLength: 3 },
  ),
  /** How the declared length relates to the body: exact, shorter, longer (the server waits, then 408), none. */
  length: fc.constantFrom('exact', 'exact', 'exact', 'short', 'long', 'none'),
});

const EXACT = {
  auth: 'Bearer sk-test',
  contentType: 'application/json',
  extra: [],
  length: 'exact',
} as const;

/** Sometimes raw garbage instead of HTTP. */
const garbage = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    'GET / HTTP/9.9\r\n\r\n',
    'GET /v1/models\r\n\r\n',
    '\r\n\r\n',
    'POST /v1/chat/completions HTTP/1.1\r\ncontent-length: -1\r\n\r\n',
    'GET /v1/models HTTP/1.1\r\nhost: x\r\nx: \u0000\r\n\r\n',
  ),
);

function request(
  method: string,
  path: string,
  b: string,
  h: {
    auth: string;
    contentType: string;
    extra: ReadonlyArray<readonly [string, string]>;
    length: string;
  },
): string {
  const bytes = Buffer.byteLength(b);
  const lines = [`${method} ${path} HTTP/1.1`, 'host: 127.0.0.1', 'connection: close'];
  if (h.auth) lines.push(`authorization: ${h.auth}`);
  if (h.contentType) lines.push(`content-type: ${h.contentType}`);
  for (const [k, v] of h.extra) lines.push(`${k}: ${v}`);
  const declared = h.length === 'exact' ? bytes : h.length === 'short' ? Math.floor(bytes / 2) : bytes + 10;
  if (h.length !== 'none') lines.push(`content-length: ${declared}`);
  return `${lines.join('\r\n')}\r\n\r\n${b}`;
}

/** Sends raw bytes, returns everything the server sent until it closed. */
function exchange(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (c) => {
      got += c.toString('latin1');
    });
    s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? resolve(got) : reject(e)));
    s.on('close', () => resolve(got));
    s.on('connect', () => s.write(data));
  });
}

describe('fuzzing the HTTP front', () => {
  let front: HttpFront;
  beforeAll(async () => {
    // Short limits, so a request that promised more body than it sent is answered (408) quickly.
    front = await startHttpFront(testUpstream(), {
      port: 0,
      headersTimeoutMs: 200,
      requestTimeoutMs: 200,
      keepAliveTimeoutMs: 200,
      log: () => {},
    });
  });
  afterAll(() => front.close());

  it('answers every random or mutated request with a well-formed status, and stays up', async () => {
    let cases = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          {
            weight: 9,
            arbitrary: fc
              .tuple(fc.constantFrom(...METHODS), target, body, headers)
              .map(([m, p, b, h]) => request(m, p, b, h)),
          },
          { weight: 1, arbitrary: garbage },
        ),
        async (raw) => {
          cases++;
          const answer = await exchange(front.port, raw);
          const m = /^HTTP\/1\.1 (\d{3}) /.exec(answer);
          expect(
            m,
            `no status line for ${JSON.stringify(raw.slice(0, 300))}: ${JSON.stringify(answer.slice(0, 200))}`,
          ).not.toBeNull();
          const status = Number(m![1]);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          expect(status, `for ${JSON.stringify(raw.slice(0, 300))}`).toBeGreaterThanOrEqual(200);
          expect(status, `for ${JSON.stringify(raw.slice(0, 300))}`).toBeLessThan(500);
        },
      ),
      {
        seed: SEED,
        numRuns: 400,
        interruptAfterTimeLimit: TIME_LIMIT_MS,
        markInterruptAsFailure: false,
        // Run first whatever the time limit leaves: one valid request and one invalid body.
        examples: [
          [request('POST', '/v1/chat/completions', JSON.stringify(VALID_BODIES[0]), EXACT)],
          [request('POST', '/v1/embeddings', '{"model":', EXACT)],
        ],
      },
    );
    // At least the two examples ran (how many more fit in the time limit depends on the machine), and
    // they reached more than the parser.
    expect(cases).toBeGreaterThanOrEqual(2);
    expect([...statuses.keys()].some((s) => s === 200)).toBe(true);
    expect([...statuses.keys()].some((s) => s === 400)).toBe(true);
    // Still up and still right.
    const r = await fetch(`${front.baseURL}/models`, { headers: { authorization: 'Bearer sk-test' } });
    expect(r.status).toBe(200);
  }, 30_000);
});
