import { type ParseFailure, type ParseResult, parseJsonObject, readModel, readOptionalInt } from './parse.ts';
import { countEmbeddingInputTokens, type TokenCounter } from './tokens.ts';

/**
 * `POST /v1/embeddings`: request validation and the list body, as floats or base64 float32.
 *
 * Bounded as the real API bounds it (openai-node src/resources/embeddings.ts, EmbeddingCreateParams.input:
 * "The input must not exceed the max input tokens for the model (8192 tokens for all embedding models),
 * cannot be an empty string, and any array must be 2048 dimensions or less. [...] all embedding models
 * enforce a maximum of 300,000 tokens summed across all inputs in a single request"), and `dimensions` by
 * each model's own size. Without these a 78-byte request asked for a 5.9 GB answer.
 */
export const EMBEDDING_LIMITS = {
  maxInputs: 2048,
  maxTokensPerInput: 8192,
  maxTokensPerRequest: 300_000,
} as const;

/**
 * Vector size per model: the default and the most `dimensions` may ask for. text-embedding-ada-002 has a
 * fixed size and refuses `dimensions`. A model the mock does not know gets the largest OpenAI size as its
 * bound.
 */
const EMBEDDING_MODELS: Readonly<Record<string, { dims: number; shortenable: boolean }>> = {
  'text-embedding-3-small': { dims: 1536, shortenable: true },
  'text-embedding-3-large': { dims: 3072, shortenable: true },
  'text-embedding-ada-002': { dims: 1536, shortenable: false },
};
const OTHER_MODEL = { dims: 1536, maxDims: 3072, shortenable: true };

function sizeOf(model: string): { dims: number; maxDims: number; shortenable: boolean } {
  const known = EMBEDDING_MODELS[model];
  return known ? { ...known, maxDims: known.dims } : OTHER_MODEL;
}

export type EmbeddingInput = string | string[] | number[] | number[][];
export type EncodingFormat = 'float' | 'base64';

export interface EmbeddingsRequest {
  model: string;
  input: EmbeddingInput;
  /** How many vectors the answer holds (1 for a single string or a single token array). */
  inputCount: number;
  /** The inputs one by one, a vector each (the answer's vectors are a function of these). */
  items: Array<string | number[]>;
  /** The vectors' size: what the request asked for, or the model's own. */
  dimensions: number;
  encodingFormat: EncodingFormat;
  /** All inputs' tokens together (what usage reports and TPM charges). */
  promptTokens: number;
}

/** What the API says about any malformed `input` (empty string, mixed array, wrong type). */
function invalidInput(): ParseFailure {
  return {
    ok: false,
    kind: 'bad_request',
    param: 'input',
    message:
      "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
  };
}

const isTokenArray = (x: unknown): x is number[] =>
  Array.isArray(x) && x.length > 0 && x.every((t) => Number.isInteger(t) && t >= 0);

function readInput(input: unknown): ParseResult<{ input: EmbeddingInput; inputCount: number }> {
  if (typeof input === 'string')
    return input.length > 0 ? { ok: true, value: { input, inputCount: 1 } } : invalidInput();
  if (!Array.isArray(input) || input.length === 0) return invalidInput();
  if (input.every((x) => typeof x === 'string' && x.length > 0)) {
    return { ok: true, value: { input: input as string[], inputCount: input.length } };
  }
  if (isTokenArray(input)) return { ok: true, value: { input, inputCount: 1 } };
  if (input.every(isTokenArray))
    return { ok: true, value: { input: input as number[][], inputCount: input.length } };
  return invalidInput();
}

/** The API's wording for an array over its maximum length. */
function tooManyInputs(count: number): ParseFailure {
  return {
    ok: false,
    kind: 'bad_request',
    param: 'input',
    message: `Invalid 'input': array too long. Expected an array with maximum length ${EMBEDDING_LIMITS.maxInputs}, but got an array with length ${count} instead.`,
    code: 'array_above_max_length',
  };
}

function readDimensions(body: Record<string, unknown>, model: string): ParseResult<number> {
  const asked = readOptionalInt(body, 'dimensions', 1);
  if (!asked.ok) return asked;
  const size = sizeOf(model);
  if (asked.value === undefined) return { ok: true, value: size.dims };
  if (!size.shortenable) {
    return {
      ok: false,
      kind: 'bad_request',
      param: 'dimensions',
      message: 'This model does not support specifying dimensions.',
    };
  }
  if (asked.value > size.maxDims) {
    return {
      ok: false,
      kind: 'bad_request',
      param: 'dimensions',
      message: `Invalid 'dimensions': integer above maximum value. Expected a value <= ${size.maxDims}, but got ${asked.value} instead.`,
      code: 'integer_above_max_value',
    };
  }
  return { ok: true, value: asked.value };
}

/** Tokens of every input, each within the per-input limit and all within the per-request one. */
function readTokens(input: EmbeddingInput, inputCount: number, counter: TokenCounter): ParseResult<number> {
  const items: unknown[] = inputCount === 1 ? [input] : (input as unknown[]);
  let total = 0;
  for (const item of items) {
    const tokens = countEmbeddingInputTokens(item, counter);
    if (tokens > EMBEDDING_LIMITS.maxTokensPerInput) {
      return {
        ok: false,
        kind: 'bad_request',
        message: `This model's maximum context length is ${EMBEDDING_LIMITS.maxTokensPerInput} tokens, however you requested ${tokens} tokens (${tokens} in your prompt; 0 for the completion). Please reduce your prompt; or completion length.`,
      };
    }
    total += tokens;
  }
  if (total > EMBEDDING_LIMITS.maxTokensPerRequest) {
    return {
      ok: false,
      kind: 'bad_request',
      message: `Requested ${total} tokens, max ${EMBEDDING_LIMITS.maxTokensPerRequest} tokens per request`,
      type: 'max_tokens_per_request',
      code: 'max_tokens_per_request',
    };
  }
  return { ok: true, value: total };
}

export function parseEmbeddingsRequest(
  bodyText: string,
  counter: TokenCounter = 'estimate',
): ParseResult<EmbeddingsRequest> {
  const parsed = parseJsonObject(bodyText);
  if (!parsed.ok) return parsed;
  const body = parsed.value;
  const model = readModel(body);
  if (!model.ok) return model;
  if (body.input === undefined) return { ok: false, kind: 'missing_field', param: 'input' };
  // Counted before anything walks the inputs.
  if (
    Array.isArray(body.input) &&
    body.input.length > EMBEDDING_LIMITS.maxInputs &&
    !isTokenArray(body.input)
  )
    return tooManyInputs(body.input.length);
  const input = readInput(body.input);
  if (!input.ok) return input;
  const dimensions = readDimensions(body, model.value);
  if (!dimensions.ok) return dimensions;
  const format = body.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') {
    return {
      ok: false,
      kind: 'bad_request',
      param: 'encoding_format',
      message: `Invalid value: '${String(format)}'. Supported values are: 'float' and 'base64'.`,
      code: 'invalid_value',
    };
  }
  const tokens = readTokens(input.value.input, input.value.inputCount, counter);
  if (!tokens.ok) return tokens;
  return {
    ok: true,
    value: {
      model: model.value,
      ...input.value,
      items:
        input.value.inputCount === 1
          ? [input.value.input as string | number[]]
          : (input.value.input as Array<string | number[]>),
      dimensions: dimensions.value,
      encodingFormat: format,
      promptTokens: tokens.value,
    },
  };
}

/** float32 little-endian bytes, base64: what the SDK asks for by default and decodes with a Float32Array. */
export function encodeFloat32Base64(vector: readonly number[]): string {
  const view = new DataView(new ArrayBuffer(vector.length * 4));
  for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, vector[i]!, true);
  const bytes = new Uint8Array(view.buffer);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export interface EmbeddingsBodyOptions {
  model: string;
  vectors: number[][];
  promptTokens: number;
  /** Default 'float'. */
  encodingFormat?: EncodingFormat;
}

/**
 * The `list` body. Floats are rounded to float32 first, so both encodings decode to the same numbers
 * (the real API's vectors are float32 too).
 */
export function embeddingsBody(o: EmbeddingsBodyOptions): string {
  const base64 = o.encodingFormat === 'base64';
  return JSON.stringify({
    object: 'list',
    data: o.vectors.map((v, index) => ({
      object: 'embedding',
      index,
      embedding: base64 ? encodeFloat32Base64(v) : v.map((x) => Math.fround(x)),
    })),
    model: o.model,
    usage: { prompt_tokens: o.promptTokens, total_tokens: o.promptTokens },
  });
}
