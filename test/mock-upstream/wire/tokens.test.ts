import { describe, expect, it } from 'vitest';
import {
  countChatPromptTokens,
  countEmbeddingInputTokens,
  countResponsesInputTokens,
  countTextTokens,
} from '../../../mock-upstream/wire/tokens.ts';

describe('countTextTokens', () => {
  it.each([
    ['', 'estimate', 0],
    ['a', 'estimate', 1],
    ['hello world', 'estimate', 3], // 11 chars / 4, rounded up
    ['x'.repeat(400), 'estimate', 100],
    ['', 'tokenizer', 0],
    ['hello world', 'tokenizer', 2],
    ['Hello, world!', 'tokenizer', 4],
  ] as const)('counts %j with %s as %d', (text, counter, tokens) => {
    expect(countTextTokens(text, counter)).toBe(tokens);
  });

  it('treats special-token strings in user text as plain text instead of throwing', () => {
    expect(countTextTokens('a <|endoftext|> b', 'tokenizer')).toBeGreaterThan(3);
  });

  it('gives the tokenizer and the estimate the same order of magnitude on prose', () => {
    const prose = 'The quick brown fox jumps over the lazy dog. '.repeat(20);
    const ratio = countTextTokens(prose, 'tokenizer') / countTextTokens(prose, 'estimate');
    expect(ratio).toBeGreaterThan(0.7);
    expect(ratio).toBeLessThan(1.3);
  });
});

describe('countChatPromptTokens', () => {
  it.each([
    // 3 priming + per message (3 framing + role + content)
    ['one short user message (tokenizer)', [{ role: 'user', content: 'hi' }], 'tokenizer', 3 + 3 + 1 + 1],
    [
      'one short user message (estimate)',
      [{ role: 'user', content: 'hello world' }],
      'estimate',
      3 + 3 + 1 + 3,
    ],
    [
      'system and user',
      [
        { role: 'system', content: 'hello world' },
        { role: 'user', content: 'hello world' },
      ],
      'tokenizer',
      3 + (3 + 1 + 2) * 2,
    ],
    [
      'a name costs its text plus one',
      [{ role: 'user', name: 'bob', content: 'hi' }],
      'tokenizer',
      3 + 3 + 1 + 1 + 1 + 1,
    ],
    [
      'content as text parts',
      [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'hello world' },
            { type: 'text', text: 'hi' },
          ],
        },
      ],
      'tokenizer',
      3 + 3 + 1 + 2 + 1,
    ],
    [
      'an image part costs a flat 85',
      [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }],
      'tokenizer',
      3 + 3 + 1 + 85,
    ],
    ['no messages: just the priming', [], 'estimate', 3],
  ] as const)('%s', (_name, messages, counter, tokens) => {
    expect(countChatPromptTokens([...messages], counter)).toBe(tokens);
  });

  it('grows with the prompt', () => {
    const short = countChatPromptTokens([{ role: 'user', content: 'hi' }], 'estimate');
    const long = countChatPromptTokens([{ role: 'user', content: 'hi '.repeat(400) }], 'estimate');
    expect(long - short).toBe(300 - 1);
  });
});

describe('countResponsesInputTokens', () => {
  it.each([
    ['a string input is one user message', 'hello world', undefined, 'tokenizer', 3 + 3 + 2],
    ['instructions act as a system message', 'hello world', 'hello world', 'tokenizer', 3 + (3 + 2) * 2],
    [
      'an array of messages counts like chat',
      [{ role: 'user', content: [{ type: 'input_text', text: 'hello world' }] }],
      null,
      'tokenizer',
      3 + 3 + 1 + 2,
    ],
    ['estimate counter', 'x'.repeat(40), undefined, 'estimate', 3 + 3 + 10],
  ] as const)('%s', (_name, input, instructions, counter, tokens) => {
    expect(countResponsesInputTokens(input, instructions, counter)).toBe(tokens);
  });
});

describe('countEmbeddingInputTokens', () => {
  it.each([
    ['a string', 'hello world', 2],
    ['strings add up', ['hello world', 'hi'], 3],
    ['a token array counts its length', [1, 2, 3, 4], 4],
    ['token arrays add up', [[1, 2], [3]], 3],
  ] as const)('%s', (_name, input, tokens) => {
    expect(countEmbeddingInputTokens(input, 'tokenizer')).toBe(tokens);
  });
});
