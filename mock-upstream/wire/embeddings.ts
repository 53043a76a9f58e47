import { type ParseFailure, type ParseResult, parseJsonObject, readModel, readOptionalInt } from './parse.ts';

/** `POST /v1/embeddings`: request validation and the list body, as floats or base64 float32. */

export type EmbeddingInput = string | string[] | number[] | number[][];
export type EncodingFormat = 'float' | 'base64';

export interface EmbeddingsRequest {
  model: string;
  input: EmbeddingInput;
  /** How many vectors the answer holds (1 for a single string or a single token array). */
  inputCount: number;
  dimensions?: number;
  encodingFormat: EncodingFormat;
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

export function parseEmbeddingsRequest(bodyText: string): ParseResult<EmbeddingsRequest> {
  const parsed = parseJsonObject(bodyText);
  if (!parsed.ok) return parsed;
  const body = parsed.value;
  const model = readModel(body);
  if (!model.ok) return model;
  if (body.input === undefined) return { ok: false, kind: 'missing_field', param: 'input' };
  const input = readInput(body.input);
  if (!input.ok) return input;
  const dimensions = readOptionalInt(body, 'dimensions', 1);
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
  const value: EmbeddingsRequest = { model: model.value, ...input.value, encodingFormat: format };
  if (dimensions.value !== undefined) value.dimensions = dimensions.value;
  return { ok: true, value };
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
