import { formatGoDuration } from '../../src/util/duration.ts';
import { memo } from '../../src/util/memo.ts';
import { HTML_CONTENT_TYPE, JSON_CONTENT_TYPE, retryAfterHeaders } from './headers.ts';

/**
 * The error catalogue: status, envelope, message and extra headers of every error the mock can send,
 * worded as the real API words them (see the reference notes on OpenAI's wire behaviour and incidents).
 */

export type WireErrorKind =
  | 'bad_request'
  | 'invalid_json'
  | 'missing_field'
  | 'invalid_api_key'
  | 'missing_api_key'
  | 'model_not_found'
  | 'not_found_route'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'rate_limit_requests'
  | 'rate_limit_tokens'
  | 'request_too_large'
  | 'insufficient_quota'
  | 'server_error'
  | 'overloaded'
  | 'bad_gateway_html'
  | 'gateway_timeout_html'
  | 'load_shed_429_nonstandard';

export const WIRE_ERROR_KINDS: readonly WireErrorKind[] = [
  'bad_request',
  'invalid_json',
  'missing_field',
  'invalid_api_key',
  'missing_api_key',
  'model_not_found',
  'not_found_route',
  'method_not_allowed',
  'payload_too_large',
  'rate_limit_requests',
  'rate_limit_tokens',
  'request_too_large',
  'insufficient_quota',
  'server_error',
  'overloaded',
  'bad_gateway_html',
  'gateway_timeout_html',
  'load_shed_429_nonstandard',
];

export interface ErrorContext {
  model?: string;
  apiKey?: string;
  param?: string | null;
  /** Overrides the catalogue's message of any JSON-envelope error (validators pass their own wording). */
  message?: string;
  /** Overrides the catalogue's `code` for bad_request (e.g. 'invalid_type', 'empty_array'). */
  code?: string | null;
  /** Overrides bad_request's `type` (e.g. 'max_tokens_per_request'). */
  type?: string;
  limit?: number;
  used?: number;
  requested?: number;
  /** Wait until the request would fit; rate-limit 429s always carry it (default 1s), overloads only if set. */
  retryAfterMs?: number;
  requestId: string;
  path?: string;
  method?: string;
  /**
   * Leave an API error's JSON body empty: the simulator's skeleton replies hand the client `fields`
   * instead, and writing a body per failed attempt nobody reads showed in its profile.
   */
  fieldsOnly?: boolean;
}

export interface WireErrorResponse {
  status: number;
  contentType: string;
  body: string;
  /** Headers specific to this error (retry-after, edge headers); merge over `responseHeaders(...)`. */
  headers: Record<string, string>;
  /**
   * 'edge' bodies come from the CDN in front of the API (Cloudflare HTML pages, the Nov 2023 load-shedding
   * body): a faithful front sends them without the openai-* / x-ratelimit-* headers.
   */
  origin: 'api' | 'edge';
  /** What the JSON body says, for an API error (the simulator's direct transport reads this, not the body). */
  fields?: OpenAIErrorFields;
}

export interface OpenAIErrorFields {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** The envelope, always with all four keys (the API spec requires them; param/code are null when absent). */
export function openAIErrorBody(e: OpenAIErrorFields): string {
  // Byte for byte JSON.stringify of the envelope, with the types and codes (a small set) quoted once: error
  // bodies are made for every failed attempt of a storm. Messages often carry numbers (429s), so they are
  // quoted each time rather than filling the cache.
  return `{"error":{"message":${JSON.stringify(e.message)},"type":${quoted(e.type)},"param":${e.param === null ? 'null' : quoted(e.param)},"code":${e.code === null ? 'null' : quoted(e.code)}}}`;
}

const quotedStrings = new Map<string, string>();
/** Types and codes come from a short list: each is quoted once. */
function quoted(s: string): string {
  return memo(quotedStrings, s, JSON.stringify, 512);
}

const ORG = 'org-squall';
const RATE_LIMITS_URL = 'https://platform.openai.com/account/rate-limits';
const API_KEYS_URL = 'https://platform.openai.com/account/api-keys';

const INVALID_JSON_MESSAGE =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)";
const MISSING_API_KEY_MESSAGE =
  "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.";
const INSUFFICIENT_QUOTA_MESSAGE =
  'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.';
const SERVER_ERROR_MESSAGE = 'The server had an error while processing your request. Sorry about that!';
const OVERLOADED_MESSAGE = 'The engine is currently overloaded, please try again later';
/** APImetrics, 8 Nov 2023: load shedding answered 429 with this body and no `error` object at all. */
const LOAD_SHED_BODY = '{"status": "come back later"}';

/**
 * OpenAI shows the first 8 characters (`sk-abcde`, `sk-proj-`), stars, and the last 4, keeping the length.
 * Keys too short to hide anything are echoed as sent.
 */
export function maskApiKey(key: string): string {
  if (key.length <= 12) return key;
  return `${key.slice(0, 8)}${'*'.repeat(key.length - 12)}${key.slice(-4)}`;
}

/** Waits in messages read like OpenAI's (`84ms`, `1.146s`, `6m0s`): Go durations at millisecond precision. */
function formatWait(ms: number): string {
  return formatGoDuration(Math.ceil(Math.max(0, ms)));
}

function int(n: number | undefined): number {
  return Math.max(0, Math.round(n ?? 0));
}

/**
 * Cloudflare's short origin-error page (what clients saw from api.openai.com on 502/504). The ray id is
 * derived from the request id so a journal entry and the page can be matched.
 */
function cloudflarePage(status: number, title: string): string {
  return `<html>\r\n<head><title>${status} ${title}</title></head>\r\n<body>\r\n<center><h1>${status} ${title}</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n`;
}

function cloudflareHeaders(requestId: string): Record<string, string> {
  const hex = requestId.replace(/^req_/, '').padEnd(16, '0').slice(0, 16);
  return { server: 'cloudflare', 'cf-ray': `${hex}-SJC` };
}

function optionalRetryAfter(ms: number | undefined): Record<string, string> {
  return ms === undefined ? {} : retryAfterHeaders(ms);
}

/** An API error in OpenAI's JSON envelope (a plain function, not a closure per call: 429 storms call it per attempt). */
function apiError(
  ctx: ErrorContext,
  status: number,
  fields: OpenAIErrorFields,
  headers: Record<string, string> = {},
): WireErrorResponse {
  const f = ctx.message === undefined ? fields : { ...fields, message: ctx.message };
  return {
    status,
    contentType: JSON_CONTENT_TYPE,
    body: ctx.fieldsOnly && f.message ? '' : openAIErrorBody(f),
    headers,
    origin: 'api',
    fields: f,
  };
}

function routeOf(ctx: ErrorContext): string {
  return `${ctx.method ?? 'POST'} ${ctx.path ?? '/'}`;
}

export function errorResponse(kind: WireErrorKind, ctx: ErrorContext): WireErrorResponse {
  const model = ctx.model ?? 'unknown';
  switch (kind) {
    case 'bad_request':
      return apiError(ctx, 400, {
        message: `Invalid value for '${ctx.param ?? 'body'}'.`,
        type: ctx.type ?? 'invalid_request_error',
        param: ctx.param ?? null,
        code: ctx.code ?? null,
      });
    case 'invalid_json':
      return apiError(ctx, 400, {
        message: INVALID_JSON_MESSAGE,
        type: 'invalid_request_error',
        param: null,
        code: null,
      });
    case 'missing_field':
      // The API's one odd case: a missing model gets a lower-case sentence with no param and no code.
      if (ctx.param === 'model' || ctx.param == null) {
        return apiError(ctx, 400, {
          message: 'you must provide a model parameter',
          type: 'invalid_request_error',
          param: null,
          code: null,
        });
      }
      return apiError(ctx, 400, {
        message: `Missing required parameter: '${ctx.param}'.`,
        type: 'invalid_request_error',
        param: ctx.param,
        code: 'missing_required_parameter',
      });
    case 'invalid_api_key':
      return apiError(ctx, 401, {
        message: `Incorrect API key provided: ${maskApiKey(ctx.apiKey ?? '')}. You can find your API key at ${API_KEYS_URL}.`,
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      });
    case 'missing_api_key':
      return apiError(ctx, 401, {
        message: MISSING_API_KEY_MESSAGE,
        type: 'invalid_request_error',
        param: null,
        code: null,
      });
    case 'model_not_found':
      return apiError(ctx, 404, {
        message: `The model \`${model}\` does not exist or you do not have access to it.`,
        type: 'invalid_request_error',
        param: null,
        code: 'model_not_found',
      });
    case 'not_found_route':
      return apiError(ctx, 404, {
        message: `Invalid URL (${routeOf(ctx)})`,
        type: 'invalid_request_error',
        param: null,
        code: null,
      });
    case 'method_not_allowed':
      return apiError(ctx, 405, {
        message: `Invalid method for URL (${routeOf(ctx)})`,
        type: 'invalid_request_error',
        param: null,
        code: null,
      });
    case 'payload_too_large':
      return apiError(ctx, 413, {
        message: `The request body is too large: ${int(ctx.requested)} bytes, the maximum is ${int(ctx.limit)} bytes.`,
        type: 'invalid_request_error',
        param: null,
        code: null,
      });
    case 'rate_limit_requests':
    case 'rate_limit_tokens': {
      const requests = kind === 'rate_limit_requests';
      const retryAfterMs = ctx.retryAfterMs ?? 1000;
      const dimension = requests ? 'requests per min (RPM)' : 'tokens per min (TPM)';
      return apiError(
        ctx,
        429,
        {
          message: `Rate limit reached for ${model} in organization ${ORG} on ${dimension}: Limit ${int(ctx.limit)}, Used ${int(ctx.used)}, Requested ${int(ctx.requested)}. Please try again in ${formatWait(retryAfterMs)}. Visit ${RATE_LIMITS_URL} to learn more.`,
          type: requests ? 'requests' : 'tokens',
          param: null,
          code: 'rate_limit_exceeded',
        },
        retryAfterHeaders(retryAfterMs),
      );
    }
    case 'request_too_large':
      // Same status, type and code as a retryable TPM 429, yet it can never succeed: no retry-after, and
      // (like the real API) no x-should-retry either, so the SDK retries it anyway.
      return apiError(ctx, 429, {
        message: `Request too large for ${model} in organization ${ORG} on tokens per min (TPM): Limit ${int(ctx.limit)}, Requested ${int(ctx.requested)}. The input or output tokens must be reduced in order to run successfully. Visit ${RATE_LIMITS_URL} to learn more.`,
        type: 'tokens',
        param: null,
        code: 'rate_limit_exceeded',
      });
    case 'insufficient_quota':
      // "May be omitted for 429 responses that require user action": no retry-after.
      return apiError(ctx, 429, {
        message: INSUFFICIENT_QUOTA_MESSAGE,
        type: 'insufficient_quota',
        param: null,
        code: 'insufficient_quota',
      });
    case 'server_error':
      return apiError(
        ctx,
        500,
        { message: SERVER_ERROR_MESSAGE, type: 'server_error', param: null, code: null },
        optionalRetryAfter(ctx.retryAfterMs),
      );
    case 'overloaded':
      return apiError(
        ctx,
        503,
        { message: OVERLOADED_MESSAGE, type: 'server_error', param: null, code: null },
        optionalRetryAfter(ctx.retryAfterMs),
      );
    case 'bad_gateway_html':
      return {
        status: 502,
        contentType: HTML_CONTENT_TYPE,
        body: cloudflarePage(502, 'Bad Gateway'),
        headers: cloudflareHeaders(ctx.requestId),
        origin: 'edge',
      };
    case 'gateway_timeout_html':
      return {
        status: 504,
        contentType: HTML_CONTENT_TYPE,
        body: cloudflarePage(504, 'Gateway Time-out'),
        headers: cloudflareHeaders(ctx.requestId),
        origin: 'edge',
      };
    case 'load_shed_429_nonstandard':
      return {
        status: 429,
        contentType: JSON_CONTENT_TYPE,
        body: LOAD_SHED_BODY,
        headers: { ...cloudflareHeaders(ctx.requestId), ...optionalRetryAfter(ctx.retryAfterMs) },
        origin: 'edge',
      };
  }
}
