import { describe, expect, it } from 'vitest';
import {
  parseResponsesRequest,
  responsesBody,
  responsesStreamErrorEvent,
  responsesStreamEvents,
} from '../../../mock-upstream/wire/responses.ts';

describe('parseResponsesRequest', () => {
  it.each([
    ['a string input', { model: 'gpt-4o', input: 'hi' }, { model: 'gpt-4o', input: 'hi', stream: false }],
    [
      'an item array with instructions, stream and a limit',
      {
        model: 'gpt-4o',
        input: [{ role: 'user', content: 'hi' }],
        instructions: 'be brief',
        stream: true,
        max_output_tokens: 64,
      },
      {
        model: 'gpt-4o',
        input: [{ role: 'user', content: 'hi' }],
        instructions: 'be brief',
        stream: true,
        maxOutputTokens: 64,
      },
    ],
  ])('reads %s', (_name, body, value) => {
    expect(parseResponsesRequest(JSON.stringify(body))).toEqual({ ok: true, value });
  });

  it.each([
    ['not JSON', 'nope', 'invalid_json', undefined],
    ['no model', JSON.stringify({ input: 'hi' }), 'missing_field', 'model'],
    ['no input', JSON.stringify({ model: 'm' }), 'missing_field', 'input'],
    ['a numeric input', JSON.stringify({ model: 'm', input: 3 }), 'bad_request', 'input'],
    [
      'non-string instructions',
      JSON.stringify({ model: 'm', input: 'x', instructions: [] }),
      'bad_request',
      'instructions',
    ],
    [
      'max_output_tokens under 16',
      JSON.stringify({ model: 'm', input: 'x', max_output_tokens: 8 }),
      'bad_request',
      'max_output_tokens',
    ],
  ])('rejects %s', (_name, body, kind, param) => {
    const r = parseResponsesRequest(body);
    expect(r.ok ? 'ok' : [r.kind, r.param]).toEqual([kind, param]);
  });
});

const base = {
  id: 'resp_123',
  createdAtSec: 1_700_000_000,
  completedAtSec: 1_700_000_002,
  model: 'gpt-4o-mini',
  messageId: 'msg_456',
  inputTokens: 12,
  outputTokens: 3,
  finishReason: 'stop' as const,
};

describe('responsesBody', () => {
  it('is a completed response with one assistant message', () => {
    const r = JSON.parse(responsesBody({ ...base, text: 'Hi there.' }));
    expect(r).toMatchObject({
      id: 'resp_123',
      object: 'response',
      created_at: 1_700_000_000,
      completed_at: 1_700_000_002,
      status: 'completed',
      error: null,
      incomplete_details: null,
      instructions: null,
      model: 'gpt-4o-mini',
      parallel_tool_calls: true,
      tool_choice: 'auto',
      tools: [],
      usage: {
        input_tokens: 12,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 3,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 15,
      },
    });
    expect(r.output).toEqual([
      {
        id: 'msg_456',
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'Hi there.', annotations: [], logprobs: [] }],
      },
    ]);
  });

  it('is incomplete (max_output_tokens) when cut by length', () => {
    const r = JSON.parse(responsesBody({ ...base, text: 'Hi', finishReason: 'length', maxOutputTokens: 16 }));
    expect([r.status, r.incomplete_details, r.output[0].status, r.max_output_tokens]).toEqual([
      'incomplete',
      { reason: 'max_output_tokens' },
      'incomplete',
      16,
    ]);
  });
});

describe('responsesStreamEvents', () => {
  const pieces = ['Hi', ' there', '.'];
  const parse = (e: string) => {
    const m = /^event: ([a-z_.]+)\ndata: (.*)\n\n$/s.exec(e);
    expect(m).not.toBeNull();
    const data = JSON.parse(m![2]!);
    expect(data.type).toBe(m![1]);
    return data;
  };

  it('emits the lifecycle in order with sequence numbers 0..n', () => {
    const events = responsesStreamEvents({ ...base, pieces }).map(parse);
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
  });

  it('opens in progress, addresses every delta to the one message item, and closes with the full response', () => {
    const events = responsesStreamEvents({ ...base, pieces }).map(parse);
    expect(events[0].response).toMatchObject({
      id: 'resp_123',
      status: 'in_progress',
      output: [],
      usage: null,
    });
    expect(events[2].item).toMatchObject({
      id: 'msg_456',
      type: 'message',
      status: 'in_progress',
      content: [],
    });
    for (const e of events.slice(3, 9)) {
      expect(e).toMatchObject({ item_id: 'msg_456', output_index: 0, content_index: 0 });
    }
    expect(events.slice(4, 7).map((e) => e.delta)).toEqual(pieces);
    expect(events[7].text).toBe('Hi there.');
    expect(events[9].item.content[0].text).toBe('Hi there.');
    expect(events[10].response).toEqual(JSON.parse(responsesBody({ ...base, text: 'Hi there.' })));
  });

  it('ends with response.incomplete when cut by length', () => {
    const events = responsesStreamEvents({ ...base, pieces, finishReason: 'length' }).map(parse);
    expect(events.at(-1).type).toBe('response.incomplete');
    expect(events.at(-1).response.status).toBe('incomplete');
  });

  it('has an in-band error event', () => {
    expect(
      parse(responsesStreamErrorEvent(4, 'The server had an error while processing your request.')),
    ).toEqual({
      type: 'error',
      sequence_number: 4,
      code: 'server_error',
      message: 'The server had an error while processing your request.',
      param: null,
    });
  });
});
