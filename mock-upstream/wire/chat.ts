import { memo } from '../../src/util/memo.ts';
import { openAIErrorBody } from './errors.ts';
import {
  invalidType,
  isJsonObject,
  jsonString,
  missingField,
  type ParseResult,
  parseJsonObject,
  readModel,
  readOptionalBoolean,
  readOptionalInt,
} from './parse.ts';

/** `POST /v1/chat/completions`: request validation and the exact JSON / SSE shapes of the answer. */

export interface ChatRequest {
  model: string;
  messages: unknown[];
  stream: boolean;
  /** `stream_options.include_usage`: a final chunk with the totals and `choices: []`. */
  includeUsage: boolean;
  /** `max_completion_tokens`, or the deprecated `max_tokens`. */
  maxTokens?: number;
  n?: number;
}

export function parseChatRequest(bodyText: string): ParseResult<ChatRequest> {
  const parsed = parseJsonObject(bodyText);
  if (!parsed.ok) return parsed;
  const body = parsed.value;
  const model = readModel(body);
  if (!model.ok) return model;
  const messages = body.messages;
  if (messages === undefined) return missingField('messages');
  if (!Array.isArray(messages)) return invalidType('messages', 'an array', messages);
  if (messages.length === 0) {
    return {
      ok: false,
      kind: 'bad_request',
      param: 'messages',
      message:
        "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      code: 'empty_array',
    };
  }
  const notObject = messages.findIndex((m) => !isJsonObject(m));
  if (notObject >= 0) return invalidType(`messages[${notObject}]`, 'an object', messages[notObject]);
  const stream = readOptionalBoolean(body, 'stream');
  if (!stream.ok) return stream;
  const maxCompletionTokens = readOptionalInt(body, 'max_completion_tokens', 1);
  if (!maxCompletionTokens.ok) return maxCompletionTokens;
  const maxTokens = readOptionalInt(body, 'max_tokens', 1);
  if (!maxTokens.ok) return maxTokens;
  const n = readOptionalInt(body, 'n', 1);
  if (!n.ok) return n;
  const streamOptions = body.stream_options;
  const includeUsage = isJsonObject(streamOptions) && streamOptions.include_usage === true;
  const value: ChatRequest = { model: model.value, messages, stream: stream.value ?? false, includeUsage };
  const limit = maxCompletionTokens.value ?? maxTokens.value;
  if (limit !== undefined) value.maxTokens = limit;
  if (n.value !== undefined) value.n = n.value;
  return { ok: true, value };
}

export interface ChatCompletionOptions {
  id: string;
  createdSec: number;
  model: string;
  fingerprint: string;
  text: string;
  /** The caller vouches that `text` needs no JSON escaping (TokenPool text): skips a scan of the text. */
  textJsonSafe?: boolean;
  promptTokens: number;
  completionTokens: number;
  finishReason: 'stop' | 'length';
}

export type ChatStreamOptions = Omit<ChatCompletionOptions, 'text' | 'textJsonSafe'> & {
  /** One content delta per piece, in order. */
  pieces: string[];
  includeUsage: boolean;
};

function usage(promptTokens: number, completionTokens: number) {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/**
 * A non-streaming `chat.completion`, keys in the order the API writes them. Written as a template rather
 * than JSON.stringify of an object tree: this is the hot path of the HTTP benchmark, and only the
 * strings need escaping.
 */
export function chatCompletionBody(o: ChatCompletionOptions): string {
  const p = o.promptTokens;
  const c = o.completionTokens;
  const text = o.textJsonSafe ? `"${o.text}"` : JSON.stringify(o.text);
  // The fixed stretches between the varying fields are joined once per model and fingerprint: fewer
  // pieces per answer to concatenate (and later flatten).
  return (
    `{"id":${jsonString(o.id)},"object":"chat.completion","created":${o.createdSec}` +
    memo(modelSegments, o.model, modelSegment) +
    text +
    (o.finishReason === 'stop' ? FINISH_STOP : FINISH_LENGTH) +
    `${p},"completion_tokens":${c},"total_tokens":${p + c}` +
    memo(tailSegments, o.fingerprint, tailSegment)
  );
}

const modelSegment = (model: string) =>
  `,"model":${jsonString(model)},"choices":[{"index":0,"message":{"role":"assistant","content":`;
const finishSegment = (reason: string) =>
  `,"refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"${reason}"}],"usage":{"prompt_tokens":`;
const FINISH_STOP = finishSegment('stop');
const FINISH_LENGTH = finishSegment('length');
const tailSegment = (fingerprint: string) =>
  `,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},` +
  `"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},` +
  `"service_tier":"default","system_fingerprint":${jsonString(fingerprint)}}`;
const modelSegments = new Map<string, string>();
const tailSegments = new Map<string, string>();

export const SSE_DONE = 'data: [DONE]\n\n';

function sseData(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

/**
 * The whole stream, one SSE event per element: a role chunk, one chunk per piece, the finish chunk, the
 * usage chunk (with `choices: []`, only when asked for), then `[DONE]`. Every chunk repeats the same id,
 * created, model and fingerprint; with include_usage every chunk but the last carries `"usage": null`.
 * Fronts write the elements with their own gaps, and cut or corrupt the list for stream faults.
 */
export function chatStreamChunks(o: ChatStreamOptions): string[] {
  const chunk = (choices: unknown[], usageValue?: unknown) => {
    const c: Record<string, unknown> = {
      id: o.id,
      object: 'chat.completion.chunk',
      created: o.createdSec,
      model: o.model,
      service_tier: 'default',
      system_fingerprint: o.fingerprint,
      choices,
    };
    if (o.includeUsage) c.usage = usageValue ?? null;
    return sseData(c);
  };
  const choice = (delta: Record<string, unknown>, finishReason: string | null) => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finishReason,
  });
  const events = [chunk([choice({ role: 'assistant', content: '', refusal: null }, null)])];
  for (const piece of o.pieces) events.push(chunk([choice({ content: piece }, null)]));
  events.push(chunk([choice({}, o.finishReason)]));
  if (o.includeUsage) events.push(chunk([], usage(o.promptTokens, o.completionTokens)));
  events.push(SSE_DONE);
  return events;
}

/**
 * An error inside a stream after the 200 went out. The SDK throws an APIError with no status for it, which
 * it does not retry.
 */
export function streamErrorEvent(
  message: string,
  o: { type?: string; code?: string | null; param?: string | null } = {},
): string {
  return `data: ${openAIErrorBody({ message, type: o.type ?? 'server_error', param: o.param ?? null, code: o.code ?? null })}\n\n`;
}

/** A complete SSE event whose JSON is cut off mid-string: parsers must fail on it, not hang. */
export function malformedChunk(): string {
  return 'data: {"id":"chatcmpl-malformed","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"\n\n';
}

/** An SSE comment: clients must ignore it, and it resets idle timers (so a stall with keep-alives never times out). */
export function keepAliveComment(): string {
  return ': keep-alive\n\n';
}
