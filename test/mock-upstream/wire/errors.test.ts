import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ErrorContext,
  errorResponse,
  maskApiKey,
  openAIErrorBody,
  WIRE_ERROR_KINDS,
  type WireErrorKind,
} from '../../../mock-upstream/wire/errors.ts';

const ctx: ErrorContext = {
  requestId: 'req_0123456789abcdef0123456789abcdef',
  model: 'gpt-4o-mini',
  apiKey: 'sk-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP',
  limit: 60,
  used: 60,
  requested: 1,
  retryAfterMs: 1146,
  method: 'POST',
  path: '/v1/foo',
};

interface Expected {
  status: number;
  type: string;
  code: string | null;
  param?: string | null;
  message: RegExp;
  /** Whether retry-after / retry-after-ms are sent (with ctx.retryAfterMs set). */
  retryAfter: boolean;
}

const JSON_ERRORS: [WireErrorKind, Partial<ErrorContext>, Expected][] = [
  [
    'bad_request',
    { param: 'messages', message: "Invalid type for 'messages': expected an array.", code: 'invalid_type' },
    {
      status: 400,
      type: 'invalid_request_error',
      code: 'invalid_type',
      param: 'messages',
      message: /^Invalid type/,
      retryAfter: false,
    },
  ],
  [
    'invalid_json',
    {},
    {
      status: 400,
      type: 'invalid_request_error',
      code: null,
      param: null,
      message: /^We could not parse the JSON body of your request\. \(HINT: /,
      retryAfter: false,
    },
  ],
  [
    'missing_field',
    { param: 'model' },
    {
      status: 400,
      type: 'invalid_request_error',
      code: null,
      param: null,
      message: /^you must provide a model parameter$/,
      retryAfter: false,
    },
  ],
  [
    'missing_field',
    { param: 'messages' },
    {
      status: 400,
      type: 'invalid_request_error',
      code: 'missing_required_parameter',
      param: 'messages',
      message: /^Missing required parameter: 'messages'\.$/,
      retryAfter: false,
    },
  ],
  [
    'invalid_api_key',
    {},
    {
      status: 401,
      type: 'invalid_request_error',
      code: 'invalid_api_key',
      param: null,
      message:
        /^Incorrect API key provided: sk-abcde\*+MNOP\. You can find your API key at https:\/\/platform\.openai\.com\/account\/api-keys\.$/,
      retryAfter: false,
    },
  ],
  [
    'missing_api_key',
    {},
    {
      status: 401,
      type: 'invalid_request_error',
      code: null,
      param: null,
      message:
        /^You didn't provide an API key\. You need to provide your API key in an Authorization header using Bearer auth/,
      retryAfter: false,
    },
  ],
  [
    'model_not_found',
    { model: 'gpt-9' },
    {
      status: 404,
      type: 'invalid_request_error',
      code: 'model_not_found',
      param: null,
      message: /^The model `gpt-9` does not exist or you do not have access to it\.$/,
      retryAfter: false,
    },
  ],
  [
    'not_found_route',
    {},
    {
      status: 404,
      type: 'invalid_request_error',
      code: null,
      param: null,
      message: /^Invalid URL \(POST \/v1\/foo\)$/,
      retryAfter: false,
    },
  ],
  [
    'method_not_allowed',
    { method: 'GET', path: '/v1/chat/completions' },
    {
      status: 405,
      type: 'invalid_request_error',
      code: null,
      param: null,
      message: /\(GET \/v1\/chat\/completions\)/,
      retryAfter: false,
    },
  ],
  [
    'payload_too_large',
    { requested: 2_000_000, limit: 1_048_576 },
    {
      status: 413,
      type: 'invalid_request_error',
      code: null,
      param: null,
      message: /2000000 bytes.*1048576 bytes/,
      retryAfter: false,
    },
  ],
  [
    'rate_limit_requests',
    {},
    {
      status: 429,
      type: 'requests',
      code: 'rate_limit_exceeded',
      param: null,
      message:
        /^Rate limit reached for gpt-4o-mini in organization org-squall on requests per min \(RPM\): Limit 60, Used 60, Requested 1\. Please try again in 1\.146s\. Visit https:\/\/platform\.openai\.com\/account\/rate-limits to learn more\.$/,
      retryAfter: true,
    },
  ],
  [
    'rate_limit_tokens',
    { limit: 200_000, used: 195_869, requested: 4412, retryAfterMs: 84 },
    {
      status: 429,
      type: 'tokens',
      code: 'rate_limit_exceeded',
      param: null,
      message:
        /^Rate limit reached for gpt-4o-mini in organization org-squall on tokens per min \(TPM\): Limit 200000, Used 195869, Requested 4412\. Please try again in 84ms\. Visit/,
      retryAfter: true,
    },
  ],
  [
    'request_too_large',
    { model: 'gpt-4o', limit: 30_000, requested: 30_601 },
    {
      status: 429,
      type: 'tokens',
      code: 'rate_limit_exceeded',
      param: null,
      message:
        /^Request too large for gpt-4o in organization org-squall on tokens per min \(TPM\): Limit 30000, Requested 30601\. The input or output tokens must be reduced in order to run successfully\. Visit https:\/\/platform\.openai\.com\/account\/rate-limits to learn more\.$/,
      retryAfter: false,
    },
  ],
  [
    'insufficient_quota',
    {},
    {
      status: 429,
      type: 'insufficient_quota',
      code: 'insufficient_quota',
      param: null,
      message:
        /^You exceeded your current quota, please check your plan and billing details\. For more information on this error, read the docs: https:\/\/platform\.openai\.com\/docs\/guides\/error-codes\/api-errors\.$/,
      retryAfter: false,
    },
  ],
  [
    'server_error',
    {},
    {
      status: 500,
      type: 'server_error',
      code: null,
      param: null,
      message: /^The server had an error while processing your request\. Sorry about that!$/,
      retryAfter: true,
    },
  ],
  [
    'overloaded',
    {},
    {
      status: 503,
      type: 'server_error',
      code: null,
      param: null,
      message: /^The engine is currently overloaded, please try again later$/,
      retryAfter: true,
    },
  ],
];

describe('errorResponse: the OpenAI envelope', () => {
  it.each(JSON_ERRORS)('%s %j', (kind, extra, want) => {
    const r = errorResponse(kind, { ...ctx, ...extra });
    expect(r.status).toBe(want.status);
    expect(r.contentType).toBe('application/json');
    expect(r.origin).toBe('api');
    const body = JSON.parse(r.body);
    expect(Object.keys(body)).toEqual(['error']);
    expect(Object.keys(body.error)).toEqual(['message', 'type', 'param', 'code']);
    expect(body.error.type).toBe(want.type);
    expect(body.error.code).toBe(want.code);
    if (want.param !== undefined) expect(body.error.param).toBe(want.param);
    expect(body.error.message).toMatch(want.message);
    if (want.retryAfter) expect(r.headers).toHaveProperty('retry-after');
    else expect(r.headers).not.toHaveProperty('retry-after');
    expect('retry-after-ms' in r.headers).toBe(want.retryAfter);
    expect(r.headers).not.toHaveProperty('x-should-retry');
  });

  it('sends retry-after on rate-limit 429s from the wait, rounded up to whole seconds', () => {
    expect(errorResponse('rate_limit_tokens', { ...ctx, retryAfterMs: 1146 }).headers).toEqual({
      'retry-after': '2',
      'retry-after-ms': '1146',
    });
  });

  it('defaults a rate-limit wait to 1s when the limiter gave none', () => {
    const r = errorResponse('rate_limit_requests', { requestId: 'req_1', model: 'm' });
    expect(r.headers['retry-after']).toBe('1');
    expect(JSON.parse(r.body).error.message).toMatch(/Please try again in 1s\./);
  });

  it.each(['server_error', 'overloaded', 'load_shed_429_nonstandard'] as const)(
    '%s carries retry-after only when a wait is given',
    (kind) => {
      expect(errorResponse(kind, { requestId: 'req_1' }).headers).not.toHaveProperty('retry-after');
      expect(errorResponse(kind, { requestId: 'req_1', retryAfterMs: 5000 }).headers['retry-after']).toBe(
        '5',
      );
    },
  );

  it.each(['request_too_large', 'insufficient_quota'] as const)(
    '%s never carries retry-after, even when a wait is given',
    (kind) => {
      expect(Object.keys(errorResponse(kind, { ...ctx, retryAfterMs: 5000 }).headers)).toEqual([]);
    },
  );

  it('lets a validator word the message of any envelope error', () => {
    const r = errorResponse('payload_too_large', {
      requestId: 'r',
      message: 'Request body exceeds 10 bytes.',
    });
    expect(JSON.parse(r.body).error.message).toBe('Request body exceeds 10 bytes.');
  });
});

describe('errorResponse: bodies from the edge', () => {
  it.each([
    ['bad_gateway_html', 502, '<title>502 Bad Gateway</title>'],
    ['gateway_timeout_html', 504, '<title>504 Gateway Time-out</title>'],
  ] as const)('%s is a Cloudflare HTML page with status %d', (kind, status, title) => {
    const r = errorResponse(kind, ctx);
    expect(r.status).toBe(status);
    expect(r.contentType).toBe('text/html');
    expect(r.origin).toBe('edge');
    expect(r.body).toContain(title);
    expect(r.body).toMatch(/^<html>[\s\S]*<center>cloudflare<\/center>[\s\S]*<\/html>\r\n$/);
    expect(() => JSON.parse(r.body)).toThrow();
    expect(r.headers).toEqual({ server: 'cloudflare', 'cf-ray': '0123456789abcdef-SJC' });
  });

  it('load_shed_429_nonstandard is the Nov 2023 body with no error object', () => {
    const r = errorResponse('load_shed_429_nonstandard', ctx);
    expect(r.status).toBe(429);
    expect(r.contentType).toBe('application/json');
    expect(r.body).toBe('{"status": "come back later"}');
    expect(JSON.parse(r.body)).not.toHaveProperty('error');
    expect(r.origin).toBe('edge');
  });
});

describe('errorResponse covers every kind', () => {
  it.each(WIRE_ERROR_KINDS)('%s has a status and a body', (kind) => {
    const r = errorResponse(kind, { requestId: 'req_1' });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.body.length).toBeGreaterThan(0);
  });
});

describe('maskApiKey', () => {
  it.each([
    [`sk-4Ugsv${'X'.repeat(39)}UJfN`, `sk-4Ugsv${'*'.repeat(39)}UJfN`],
    ['sk-proj-abcdefghijklmnopqrstuvwxyz', 'sk-proj-**********************wxyz'],
    ['short-key', 'short-key'],
    ['', ''],
  ])('%s → %s (same length, first 8 and last 4 shown)', (key, masked) => {
    expect(maskApiKey(key)).toBe(masked);
    expect(maskApiKey(key)).toHaveLength(key.length);
  });
});

describe('openAIErrorBody', () => {
  it('is byte for byte JSON.stringify of the envelope, for any strings (quotes, control characters, unicode)', () => {
    const text = fc.string({ unit: 'binary' });
    fc.assert(
      fc.property(text, text, fc.option(text), fc.option(text), (message, type, param, code) => {
        const e = { message, type, param, code };
        expect(openAIErrorBody(e)).toBe(JSON.stringify({ error: e }));
        // Twice: the second comes from the quoted-message cache.
        expect(openAIErrorBody(e)).toBe(JSON.stringify({ error: e }));
      }),
    );
  });
});
