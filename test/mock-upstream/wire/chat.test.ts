import { describe, expect, it } from 'vitest';
import {
  chatCompletionBody,
  chatStreamChunks,
  keepAliveComment,
  malformedChunk,
  parseChatRequest,
  streamErrorEvent,
} from '../../../mock-upstream/wire/chat.ts';

const messages = [{ role: 'user', content: 'hi' }];
const req = (body: unknown) => parseChatRequest(JSON.stringify(body));

describe('parseChatRequest', () => {
  it('reads a full request', () => {
    expect(
      req({
        model: 'gpt-4o-mini',
        messages,
        stream: true,
        stream_options: { include_usage: true },
        max_completion_tokens: 50,
        n: 2,
      }),
    ).toEqual({
      ok: true,
      value: { model: 'gpt-4o-mini', messages, stream: true, includeUsage: true, maxTokens: 50, n: 2 },
    });
  });

  it('defaults to a non-streaming request without usage chunk or token limit', () => {
    expect(req({ model: 'm', messages })).toEqual({
      ok: true,
      value: { model: 'm', messages, stream: false, includeUsage: false },
    });
  });

  it.each([
    [{ max_tokens: 7 }, 7],
    [{ max_completion_tokens: 9 }, 9],
    [{ max_tokens: 7, max_completion_tokens: 9 }, 9],
  ])('reads the token limit from %j', (limits, maxTokens) => {
    const r = req({ model: 'm', messages, ...limits });
    expect(r.ok && r.value.maxTokens).toBe(maxTokens);
  });

  it.each([
    ['not JSON', '{"model":', 'invalid_json', undefined, undefined],
    ['a JSON array', '[]', 'bad_request', undefined, 'invalid_type'],
    ['no model', JSON.stringify({ messages }), 'missing_field', 'model', undefined],
    ['an empty model', JSON.stringify({ model: '', messages }), 'missing_field', 'model', undefined],
    ['a numeric model', JSON.stringify({ model: 4, messages }), 'bad_request', 'model', 'invalid_type'],
    ['no messages', JSON.stringify({ model: 'm' }), 'missing_field', 'messages', undefined],
    [
      'messages as a string',
      JSON.stringify({ model: 'm', messages: 'hi' }),
      'bad_request',
      'messages',
      'invalid_type',
    ],
    [
      'empty messages',
      JSON.stringify({ model: 'm', messages: [] }),
      'bad_request',
      'messages',
      'empty_array',
    ],
    [
      'a message that is not an object',
      JSON.stringify({ model: 'm', messages: [messages[0], 'x'] }),
      'bad_request',
      'messages[1]',
      'invalid_type',
    ],
    [
      'stream as a string',
      JSON.stringify({ model: 'm', messages, stream: 'yes' }),
      'bad_request',
      'stream',
      'invalid_type',
    ],
    [
      'max_tokens of 0',
      JSON.stringify({ model: 'm', messages, max_tokens: 0 }),
      'bad_request',
      'max_tokens',
      'integer_below_min_value',
    ],
    [
      'max_completion_tokens as a decimal',
      JSON.stringify({ model: 'm', messages, max_completion_tokens: 1.5 }),
      'bad_request',
      'max_completion_tokens',
      'invalid_type',
    ],
  ])('rejects %s', (_name, body, kind, param, code) => {
    const r = parseChatRequest(body);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect([r.kind, r.param, r.code]).toEqual([kind, param, code]);
  });

  it('words type errors as the API does', () => {
    const r = req({ model: 'm', messages: 'hi' });
    expect(!r.ok && r.message).toBe(
      "Invalid type for 'messages': expected an array, but got a string instead.",
    );
  });
});

const base = {
  id: 'chatcmpl-abc',
  createdSec: 1_723_031_665,
  model: 'gpt-4o-2024-08-06',
  fingerprint: 'fp_845eaabc1f',
  promptTokens: 17,
  completionTokens: 3,
  finishReason: 'stop' as const,
};

describe('chatCompletionBody', () => {
  it('has the exact shape of a real chat.completion', () => {
    expect(JSON.parse(chatCompletionBody({ ...base, text: 'Hello there.' }))).toEqual({
      id: 'chatcmpl-abc',
      object: 'chat.completion',
      created: 1_723_031_665,
      model: 'gpt-4o-2024-08-06',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello there.', refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 17,
        completion_tokens: 3,
        total_tokens: 20,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: {
          reasoning_tokens: 0,
          audio_tokens: 0,
          accepted_prediction_tokens: 0,
          rejected_prediction_tokens: 0,
        },
      },
      service_tier: 'default',
      system_fingerprint: 'fp_845eaabc1f',
    });
  });

  it('is byte for byte the JSON of that object (key order, escaping), whatever the strings hold', () => {
    for (const o of [
      { ...base, text: 'Hello there.' },
      { ...base, text: 'quote " backslash \\ newline \n tab \t é ✓', finishReason: 'length' as const },
      { ...base, id: 'chatcmpl-"odd"', model: 'my\\model', fingerprint: 'fp_\u0001', text: '' },
    ]) {
      const body = chatCompletionBody(o);
      expect(body).toBe(JSON.stringify(JSON.parse(body)));
      expect(JSON.parse(body)).toMatchObject({
        id: o.id,
        model: o.model,
        system_fingerprint: o.fingerprint,
        choices: [{ message: { content: o.text }, finish_reason: o.finishReason }],
      });
    }
  });

  it('reports a length cut as finish_reason "length"', () => {
    const body = JSON.parse(chatCompletionBody({ ...base, text: 'x', finishReason: 'length' }));
    expect(body.choices[0].finish_reason).toBe('length');
  });
});

describe('chatStreamChunks', () => {
  const pieces = ['San', ' Francisco', '.'];
  const parse = (event: string) => {
    expect(event).toMatch(/^data: .*\n\n$/s);
    expect(event.slice(6, -2)).not.toContain('\n');
    return JSON.parse(event.slice(6, -2));
  };

  it('sends role, one chunk per piece, finish, usage (choices: []), then [DONE]', () => {
    const events = chatStreamChunks({ ...base, pieces, includeUsage: true });
    expect(events).toHaveLength(1 + pieces.length + 1 + 1 + 1);
    expect(events.at(-1)).toBe('data: [DONE]\n\n');
    const chunks = events.slice(0, -1).map(parse);
    for (const c of chunks) {
      expect(c).toMatchObject({
        id: 'chatcmpl-abc',
        object: 'chat.completion.chunk',
        created: 1_723_031_665,
        model: 'gpt-4o-2024-08-06',
        system_fingerprint: 'fp_845eaabc1f',
      });
    }
    expect(chunks[0].choices).toEqual([
      {
        index: 0,
        delta: { role: 'assistant', content: '', refusal: null },
        logprobs: null,
        finish_reason: null,
      },
    ]);
    expect(chunks.slice(1, 4).map((c) => c.choices[0].delta)).toEqual(pieces.map((content) => ({ content })));
    expect(chunks.slice(0, 4).every((c) => c.choices[0].finish_reason === null)).toBe(true);
    expect(chunks[4].choices).toEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]);
    // Every chunk carries usage: null except the last one, which carries the totals.
    expect(chunks.slice(0, -1).map((c) => c.usage)).toEqual([null, null, null, null, null]);
    expect(chunks[5].choices).toEqual([]);
    expect(chunks[5].usage).toMatchObject({ prompt_tokens: 17, completion_tokens: 3, total_tokens: 20 });
  });

  it('has no usage field and no usage chunk unless asked for', () => {
    const events = chatStreamChunks({ ...base, pieces, includeUsage: false });
    expect(events).toHaveLength(1 + pieces.length + 1 + 1);
    const chunks = events.slice(0, -1).map(parse);
    expect(chunks.some((c) => 'usage' in c)).toBe(false);
    expect(chunks.every((c) => c.choices.length === 1)).toBe(true);
  });

  it('streams the same text the non-streaming body carries', () => {
    const content = chatStreamChunks({ ...base, pieces, includeUsage: false })
      .slice(0, -1)
      .map(parse)
      .map((c) => c.choices[0].delta.content ?? '')
      .join('');
    expect(content).toBe(
      JSON.parse(chatCompletionBody({ ...base, text: pieces.join('') })).choices[0].message.content,
    );
  });
});

describe('stream fault events', () => {
  it('streamErrorEvent is a data event with the full error envelope', () => {
    const e = streamErrorEvent('The server had an error while processing your request. Sorry about that!');
    expect(e).toMatch(/^data: \{"error":.*\}\n\n$/);
    expect(JSON.parse(e.slice(6))).toEqual({
      error: {
        message: 'The server had an error while processing your request. Sorry about that!',
        type: 'server_error',
        param: null,
        code: null,
      },
    });
  });

  it('malformedChunk is one complete event whose JSON does not parse', () => {
    const e = malformedChunk();
    expect(e.startsWith('data: {')).toBe(true);
    expect(e.endsWith('\n\n')).toBe(true);
    expect(e.indexOf('\n\n')).toBe(e.length - 2);
    expect(() => JSON.parse(e.slice(6, -2))).toThrow(SyntaxError);
  });

  it('keepAliveComment is an SSE comment', () => {
    expect(keepAliveComment()).toBe(': keep-alive\n\n');
  });
});
