import {
  invalidType,
  missingField,
  type ParseResult,
  parseJsonObject,
  readModel,
  readOptionalBoolean,
  readOptionalInt,
} from './parse.ts';

/** `POST /v1/responses`: request validation, the response object, and its typed SSE event stream. */

export interface ResponsesRequest {
  model: string;
  /** A string, or an array of input items (messages, function outputs, ...). */
  input: string | unknown[];
  instructions?: string;
  stream: boolean;
  maxOutputTokens?: number;
}

export function parseResponsesRequest(bodyText: string): ParseResult<ResponsesRequest> {
  const parsed = parseJsonObject(bodyText);
  if (!parsed.ok) return parsed;
  const body = parsed.value;
  const model = readModel(body);
  if (!model.ok) return model;
  const input = body.input;
  if (input === undefined || input === null) return missingField('input');
  if (typeof input !== 'string' && !Array.isArray(input))
    return invalidType('input', 'a string or an array', input);
  const instructions = body.instructions;
  if (instructions !== undefined && instructions !== null && typeof instructions !== 'string') {
    return invalidType('instructions', 'a string', instructions);
  }
  const stream = readOptionalBoolean(body, 'stream');
  if (!stream.ok) return stream;
  // The API's floor for max_output_tokens is 16.
  const maxOutputTokens = readOptionalInt(body, 'max_output_tokens', 16);
  if (!maxOutputTokens.ok) return maxOutputTokens;
  const value: ResponsesRequest = { model: model.value, input, stream: stream.value ?? false };
  if (typeof instructions === 'string') value.instructions = instructions;
  if (maxOutputTokens.value !== undefined) value.maxOutputTokens = maxOutputTokens.value;
  return { ok: true, value };
}

export interface ResponsesBodyOptions {
  id: string;
  createdAtSec: number;
  /** When the answer finished; defaults to createdAtSec. */
  completedAtSec?: number;
  model: string;
  /** The output message item's id (`msg_...`). */
  messageId: string;
  text: string;
  inputTokens: number;
  outputTokens: number;
  /** 'length' makes an `incomplete` response (reason max_output_tokens), as the API does. */
  finishReason: 'stop' | 'length';
  instructions?: string | null;
  maxOutputTokens?: number | null;
}

export type ResponsesStreamOptions = Omit<ResponsesBodyOptions, 'text'> & { pieces: string[] };

function outputText(text: string) {
  return { type: 'output_text', annotations: [], logprobs: [], text };
}

function messageItem(o: { messageId: string }, status: string, content: unknown[]) {
  return { id: o.messageId, type: 'message', status, content, role: 'assistant' };
}

type Phase = 'in_progress' | 'final';

/** The response object; `in_progress` is the snapshot streams open with (no output, no usage yet). */
function responseObject(o: ResponsesBodyOptions, phase: Phase) {
  const incomplete = o.finishReason === 'length';
  const final = phase === 'final';
  const status = !final ? 'in_progress' : incomplete ? 'incomplete' : 'completed';
  return {
    id: o.id,
    object: 'response',
    created_at: o.createdAtSec,
    status,
    background: false,
    completed_at: final && !incomplete ? (o.completedAtSec ?? o.createdAtSec) : null,
    error: null,
    incomplete_details: final && incomplete ? { reason: 'max_output_tokens' } : null,
    instructions: o.instructions ?? null,
    max_output_tokens: o.maxOutputTokens ?? null,
    max_tool_calls: null,
    model: o.model,
    output: final ? [messageItem(o, incomplete ? 'incomplete' : 'completed', [outputText(o.text)])] : [],
    parallel_tool_calls: true,
    previous_response_id: null,
    prompt_cache_key: null,
    reasoning: { effort: null, summary: null },
    safety_identifier: null,
    service_tier: 'default',
    store: true,
    temperature: 1,
    text: { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: 'auto',
    tools: [],
    top_logprobs: 0,
    top_p: 1,
    truncation: 'disabled',
    usage: final
      ? {
          input_tokens: o.inputTokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: o.outputTokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: o.inputTokens + o.outputTokens,
        }
      : null,
    user: null,
    metadata: {},
  };
}

/** A non-streaming `response` object. */
export function responsesBody(o: ResponsesBodyOptions): string {
  return JSON.stringify(responseObject(o, 'final'));
}

function sseEvent(type: string, sequenceNumber: number, fields: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequenceNumber, ...fields })}\n\n`;
}

/**
 * The typed event stream, one SSE event per element, sequence numbers from 0: created, in_progress,
 * output_item.added, content_part.added, one output_text.delta per piece, output_text.done,
 * content_part.done, output_item.done, then response.completed (response.incomplete when cut by length).
 * There is no `[DONE]` sentinel on this API.
 */
export function responsesStreamEvents(o: ResponsesStreamOptions): string[] {
  const text = o.pieces.join('');
  const full: ResponsesBodyOptions = { ...o, text };
  const where = { item_id: o.messageId, output_index: 0, content_index: 0 };
  const itemStatus = o.finishReason === 'length' ? 'incomplete' : 'completed';
  const events: string[] = [];
  const emit = (type: string, fields: Record<string, unknown>) => {
    events.push(sseEvent(type, events.length, fields));
  };
  emit('response.created', { response: responseObject(full, 'in_progress') });
  emit('response.in_progress', { response: responseObject(full, 'in_progress') });
  emit('response.output_item.added', { output_index: 0, item: messageItem(o, 'in_progress', []) });
  emit('response.content_part.added', { ...where, part: outputText('') });
  for (const piece of o.pieces) emit('response.output_text.delta', { ...where, delta: piece, logprobs: [] });
  emit('response.output_text.done', { ...where, text, logprobs: [] });
  emit('response.content_part.done', { ...where, part: outputText(text) });
  emit('response.output_item.done', {
    output_index: 0,
    item: messageItem(o, itemStatus, [outputText(text)]),
  });
  const final = o.finishReason === 'length' ? 'response.incomplete' : 'response.completed';
  emit(final, { response: responseObject(full, 'final') });
  return events;
}

/** An in-band `error` event (the Responses API's way to fail after the 200); the SDK throws on it. */
export function responsesStreamErrorEvent(
  sequenceNumber: number,
  message: string,
  code: string | null = 'server_error',
): string {
  return sseEvent('error', sequenceNumber, { code, message, param: null });
}
