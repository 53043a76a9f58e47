import { createRequire } from 'node:module';
import { isJsonObject } from './parse.ts';

type CountTokens = typeof import('gpt-tokenizer/encoding/o200k_base').countTokens;
const requireModule = createRequire(import.meta.url);
let bpeCount: CountTokens | undefined;
/**
 * The o200k_base tables take ~150 ms to load: only runs that ask for `token_counter: tokenizer` pay it
 * (every process, CLI command and simulation worker would otherwise pay it at startup).
 */
function countTokens(text: string, options: Parameters<CountTokens>[1]): number {
  return loadTokenizer()(text, options);
}

/** Loads the BPE tables now (an upstream that counts with them calls this at construction, not on its first request). */
export function loadTokenizer(): CountTokens {
  bpeCount ??= (requireModule('gpt-tokenizer/encoding/o200k_base') as { countTokens: CountTokens })
    .countTokens;
  return bpeCount;
}

/**
 * Prompt token counting. `estimate` is OpenAI's own rule of thumb (about 4 characters a token), cheap and
 * good enough for rate-limit accounting; `tokenizer` runs the real o200k_base BPE (gpt-4o family).
 */
export type TokenCounter = 'estimate' | 'tokenizer';

/** OpenAI's chat accounting: every message costs 3 tokens of framing, and the reply is primed with 3. */
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const REPLY_PRIMING_TOKENS = 3;
/** A low-detail image costs a flat 85 tokens; we do not fetch images to size them. */
const IMAGE_TOKENS = 85;

// Special-token strings in user text are plain text to the API, not control tokens.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

export function countTextTokens(text: string, counter: TokenCounter): number {
  if (text.length === 0) return 0;
  if (counter === 'estimate') return Math.ceil(text.length / 4);
  return countTokens(text, PLAIN_TEXT);
}

/** Tokens of a message `content`: a string, or an array of parts (`text`/`input_text`/`output_text`, images). */
function countContentTokens(content: unknown, counter: TokenCounter): number {
  if (typeof content === 'string') return countTextTokens(content, counter);
  if (!Array.isArray(content)) return content == null ? 0 : countTextTokens(JSON.stringify(content), counter);
  let total = 0;
  for (const part of content) {
    if (typeof part === 'string') total += countTextTokens(part, counter);
    else if (isJsonObject(part) && typeof part.text === 'string')
      total += countTextTokens(part.text, counter);
    else if (isJsonObject(part) && (part.type === 'image_url' || part.type === 'input_image'))
      total += IMAGE_TOKENS;
    else if (part != null) total += countTextTokens(JSON.stringify(part), counter);
  }
  return total;
}

/** One message's tokens: framing, every field's text (role included, as OpenAI's cookbook counts), +1 for a name. */
function countMessageTokens(message: unknown, counter: TokenCounter): number {
  if (!isJsonObject(message)) return TOKENS_PER_MESSAGE + countContentTokens(message, counter);
  let total = TOKENS_PER_MESSAGE;
  // for-in rather than Object.entries: no array per message (parsed JSON has no inherited enumerable keys).
  for (const key in message) {
    const value = message[key];
    if (key === 'content') total += countContentTokens(value, counter);
    else if (typeof value === 'string') total += countTextTokens(value, counter);
    else if (value != null) total += countTextTokens(JSON.stringify(value), counter);
    if (key === 'name') total += TOKENS_PER_NAME;
  }
  return total;
}

export function countChatPromptTokens(messages: unknown[], counter: TokenCounter): number {
  let total = REPLY_PRIMING_TOKENS;
  for (const message of messages) total += countMessageTokens(message, counter);
  return total;
}

/**
 * Responses API input: `instructions` act as a system message; a string `input` is one user message; an
 * array holds messages (counted like chat) or other items (function outputs etc., counted as their JSON).
 */
export function countResponsesInputTokens(
  input: unknown,
  instructions: unknown,
  counter: TokenCounter,
): number {
  let total = REPLY_PRIMING_TOKENS;
  if (typeof instructions === 'string' && instructions.length > 0) {
    total += TOKENS_PER_MESSAGE + countTextTokens(instructions, counter);
  }
  if (typeof input === 'string') total += TOKENS_PER_MESSAGE + countTextTokens(input, counter);
  else if (Array.isArray(input)) for (const item of input) total += countMessageTokens(item, counter);
  return total;
}

/** Embeddings input: strings are tokenised; arrays of numbers are already token ids, so their length counts. */
export function countEmbeddingInputTokens(input: unknown, counter: TokenCounter): number {
  if (typeof input === 'string') return countTextTokens(input, counter);
  if (!Array.isArray(input)) return 0;
  if (input.every((x) => typeof x === 'number')) return input.length;
  let total = 0;
  for (const item of input) total += countEmbeddingInputTokens(item, counter);
  return total;
}
