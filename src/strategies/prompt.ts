import { loadTokenizer } from '../../mock-upstream/wire/tokens.ts';
import type { LogicalRequest } from './types.ts';

/**
 * The synthetic prompt squall sends for a logical request, and client-side token estimates of it.
 *
 * Common three-letter words joined by spaces are four characters a token under both OpenAI's rule of
 * thumb and the real o200k_base tokenizer, so a prompt built for `n` tokens costs `n` tokens whichever
 * way the upstream counts.
 */
const WORDS = [
  'the',
  'and',
  'for',
  'are',
  'but',
  'not',
  'you',
  'all',
  'any',
  'can',
  'had',
  'her',
  'was',
  'one',
];

/** Bounded: a trace rarely has more than a few hundred distinct prompt sizes. */
const CACHE_LIMIT = 1024;
const promptCache = new Map<number, string>();
const tokenizerCache = new Map<number, number>();

/**
 * One long run of the words; a prompt of n tokens is its first n words (4n − 1 characters), so building a
 * prompt is a slice, not a join (prompt sizes are drawn from distributions: most are cache misses).
 */
let longPrompt = '';
function promptOfWords(n: number): string {
  if (longPrompt.length < 4 * n) {
    const words: string[] = new Array(Math.max(n, 4096));
    for (let i = 0; i < words.length; i++) words[i] = WORDS[i % WORDS.length]!;
    longPrompt = words.join(' ');
  }
  return longPrompt.slice(0, 4 * n - 1);
}

/** A prompt of about `promptTokens` tokens (4 characters a token). */
export function syntheticPrompt(promptTokens: number): string {
  const n = Math.max(1, Math.round(promptTokens));
  const cached = promptCache.get(n);
  if (cached !== undefined) return cached;
  return remember(promptCache, n, promptOfWords(n));
}

export type TokenEstimate = 'chars4' | 'tokenizer';

/**
 * Tokens a request will be charged against a tokens-per-minute limit: the prompt plus `max_tokens`, which
 * OpenAI reserves up front. `chars4` is the cheap heuristic (characters / 4, as the seed article does);
 * `tokenizer` counts the prompt with the real o200k_base BPE.
 */
export function estimateTokens(
  req: Pick<LogicalRequest, 'promptTokens' | 'maxTokens'>,
  method: TokenEstimate,
): number {
  const prompt = syntheticPrompt(req.promptTokens);
  const promptTokens = method === 'chars4' ? Math.ceil(prompt.length / 4) : tokenizerCount(prompt);
  return promptTokens + Math.max(0, req.maxTokens);
}

function tokenizerCount(prompt: string): number {
  const key = prompt.length;
  const cached = tokenizerCache.get(key);
  if (cached !== undefined) return cached;
  return remember(tokenizerCache, key, loadTokenizer()(prompt));
}

function remember<V>(cache: Map<number, V>, key: number, value: V): V {
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}
