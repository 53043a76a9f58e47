import type { WireErrorKind } from './errors.ts';

/**
 * Shared request-body validation. Messages follow the OpenAI API's own wording ("Invalid type for
 * 'messages': expected an array, but got a string instead.") so a client sees what it would in production.
 */

export interface ParseFailure {
  ok: false;
  kind: WireErrorKind;
  /** The offending field, e.g. 'messages' or 'messages[0]'. */
  param?: string;
  message?: string;
  /** The OpenAI error code for it, e.g. 'invalid_type' or 'missing_required_parameter'. */
  code?: string;
  /** The error's `type` where it is not 'invalid_request_error' (e.g. 'max_tokens_per_request'). */
  type?: string;
}

export type ParseResult<T> = { ok: true; value: T } | ParseFailure;

export type JsonObject = Record<string, unknown>;

/** How the API names a JSON value's type in its messages. */
export function jsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal';
  if (typeof value === 'boolean') return 'a boolean';
  return 'an object';
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `JSON.stringify(s)` for a string, byte for byte. Short strings (ids, model names) rarely need escaping
 * and a scan is cheaper than the call for them; V8's own is faster on long ones.
 */
export function jsonString(s: string): string {
  if (s.length > 64) return JSON.stringify(s);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return JSON.stringify(s);
  }
  return `"${s}"`;
}

/**
 * Deepest nesting a request body may have. JSON.parse reads any depth, but JSON.stringify and every
 * recursive walk after it (token counting, the journal) overflow the stack near a few thousand levels, and
 * no real request comes close to this many.
 */
export const MAX_JSON_DEPTH = 128;

/** Whether the JSON text nests deeper than `max` (one pass, no recursion; brackets in strings skipped). */
export function jsonNestsDeeperThan(text: string, max: number): boolean {
  // Each level takes at least one character.
  if (text.length <= max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

export function parseJsonObject(bodyText: string): ParseResult<JsonObject> {
  if (jsonNestsDeeperThan(bodyText, MAX_JSON_DEPTH)) {
    return {
      ok: false,
      kind: 'bad_request',
      message: `The request body nests JSON more than ${MAX_JSON_DEPTH} levels deep.`,
      code: 'invalid_json',
    };
  }
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return { ok: false, kind: 'invalid_json' };
  }
  if (!isJsonObject(body)) {
    return {
      ok: false,
      kind: 'bad_request',
      message: `Invalid type for request body: expected an object, but got ${jsonTypeName(body)} instead.`,
      code: 'invalid_type',
    };
  }
  return { ok: true, value: body };
}

export function invalidType(param: string, expected: string, got: unknown): ParseFailure {
  return {
    ok: false,
    kind: 'bad_request',
    param,
    message: `Invalid type for '${param}': expected ${expected}, but got ${jsonTypeName(got)} instead.`,
    code: 'invalid_type',
  };
}

export function missingField(param: string): ParseFailure {
  return { ok: false, kind: 'missing_field', param };
}

/** `model` must be a non-empty string; the API says "you must provide a model parameter" otherwise. */
export function readModel(body: JsonObject): ParseResult<string> {
  const model = body.model;
  if (model === undefined || model === null || model === '') return missingField('model');
  if (typeof model !== 'string') return invalidType('model', 'a string', model);
  return { ok: true, value: model };
}

export function readOptionalBoolean(body: JsonObject, param: string): ParseResult<boolean | undefined> {
  const value = body[param];
  if (value === undefined || value === null) return { ok: true, value: undefined };
  if (typeof value !== 'boolean') return invalidType(param, 'a boolean', value);
  return { ok: true, value };
}

/** An optional integer ≥ min (token limits, n, dimensions). */
export function readOptionalInt(
  body: JsonObject,
  param: string,
  min: number,
): ParseResult<number | undefined> {
  const value = body[param];
  if (value === undefined || value === null) return { ok: true, value: undefined };
  if (typeof value !== 'number' || !Number.isInteger(value)) return invalidType(param, 'an integer', value);
  if (value < min) {
    return {
      ok: false,
      kind: 'bad_request',
      param,
      message: `Invalid '${param}': integer below minimum value. Expected a value >= ${min}, but got ${value} instead.`,
      code: 'integer_below_min_value',
    };
  }
  return { ok: true, value };
}
