import { Rng } from '../../src/sim/rng.ts';

/**
 * Synthetic completion text. Each piece stands for one token (a word with its leading space, or a
 * punctuation mark), so a stream of n pieces is a completion of exactly n tokens: usage reports n.
 */

const WORDS: readonly string[] = (
  'the system request model answer retry latency token stream server client budget window limit ' +
  'queue signal outage backoff jitter circuit breaker steady load traffic minute second result ' +
  'value simple careful quickly often rarely always never under over with without before after ' +
  'while because so and but then each every some is was will can should must may holds keeps sends ' +
  'waits fails recovers measures reports returns a an this that'
).split(' ');

/** After a word: usually another word, sometimes a comma, sometimes the end of a sentence. */
const COMMA_CHANCE = 0.06;
const PERIOD_CHANCE = 0.08;

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** n token-sized pieces of readable pseudo-text; joining them gives the completion text. */
export function synthTokens(rng: Rng, n: number): string[] {
  const count = Math.max(0, Math.floor(n));
  const pieces: string[] = [];
  let sentenceStart = true;
  let lastWasWord = false;
  for (let i = 0; i < count; i++) {
    // End on a full stop when there is room for one after a word.
    const isLast = i === count - 1;
    if (lastWasWord && (isLast || rng.chance(PERIOD_CHANCE))) {
      pieces.push('.');
      sentenceStart = true;
      lastWasWord = false;
      continue;
    }
    if (lastWasWord && !isLast && rng.chance(COMMA_CHANCE)) {
      pieces.push(',');
      lastWasWord = false;
      continue;
    }
    const word = rng.pick(WORDS);
    const text = sentenceStart ? capitalise(word) : word;
    pieces.push(pieces.length === 0 ? text : ` ${text}`);
    sentenceStart = false;
    lastWasWord = true;
  }
  return pieces;
}

/** The text of n synthetic tokens, for non-streaming answers. */
export function synthText(rng: Rng, n: number): string {
  return synthTokens(rng, n).join('');
}

/** A unit-length vector with normally distributed components (what real embeddings look like, roughly). */
export function synthEmbedding(rng: Rng, dims: number): number[] {
  const size = Math.max(0, Math.floor(dims));
  const v: number[] = [];
  let sumSq = 0;
  for (let i = 0; i < size; i++) {
    const x = rng.normal();
    v.push(x);
    sumSq += x * x;
  }
  const norm = Math.sqrt(sumSq) || 1;
  return v.map((x) => x / norm);
}

/**
 * The embedding of one input: a function of (model, input, dimensions) only, as a real model's is. The
 * same text gives the same vector on every call, in every run and through either encoding; different
 * texts give unrelated ones (cosine near 0 at these sizes). Like text-embedding-3's shortened vectors, a
 * smaller `dimensions` is the full vector's first components, renormalised to unit length.
 */
export function embeddingOf(model: string, input: string | readonly number[], dims: number): number[] {
  const key = typeof input === 'string' ? `s:${input}` : `t:${input.join(',')}`;
  return synthEmbedding(Rng.keyed('squall-embeddings', `${model}\u0000${key}`), dims);
}

/**
 * A long run of synthetic pieces to cut completions from. Cutting a slice at a random offset is an order of
 * magnitude cheaper than drawing every token, which matters on the HTTP hot path; the text is still a
 * function of (pool seed, draw) only.
 */
export class TokenPool {
  private readonly pieces: string[];
  /** The pieces joined, and where each starts in it: a completion's text is then one slice. */
  private readonly joined: string;
  private readonly offsets: Int32Array;
  /** `opening(piece)` for every piece, made on first use: a completion starts at any of them. */
  private openings: string[] | undefined;
  /** No text cut from this pool needs JSON escaping (plain words and punctuation): bodies embed it as is. */
  readonly jsonSafe: boolean;
  /** Every text cut from this pool is printable ASCII (one byte per character). */
  readonly ascii: boolean;

  constructor(rng: Rng, size = 8192) {
    this.pieces = synthTokens(rng, size);
    this.joined = this.pieces.join('');
    this.jsonSafe = JSON.stringify(this.joined) === `"${this.joined}"`;
    this.ascii = /^[\x20-\x7e]*$/.test(this.joined);
    this.offsets = new Int32Array(size + 1);
    for (let i = 0; i < size; i++) this.offsets[i + 1] = this.offsets[i]! + this.pieces[i]!.length;
  }

  /** n pieces starting at a random offset (wrapping), the first capitalised, ending on a full stop. */
  take(rng: Rng, n: number): string[] {
    const count = Math.max(0, Math.floor(n));
    const size = this.pieces.length;
    const start = rng.int(size);
    const out =
      start + count <= size
        ? this.pieces.slice(start, start + count)
        : Array.from({ length: count }, (_, i) => this.pieces[(start + i) % size]!);
    if (count > 0) {
      out[0] = opening(out[0]!);
      if (count > 1) out[count - 1] = '.';
    }
    return out;
  }

  /** Exactly `take(rng, n).join('')` for the same draw, without building the array (the non-streaming path). */
  text(rng: Rng, n: number): string {
    const count = Math.max(0, Math.floor(n));
    const size = this.pieces.length;
    const start = rng.int(size);
    if (count === 0) return '';
    if (start + count > size) {
      const out = Array.from({ length: count }, (_, i) => this.pieces[(start + i) % size]!);
      out[0] = opening(out[0]!);
      if (count > 1) out[count - 1] = '.';
      return out.join('');
    }
    this.openings ??= this.pieces.map(opening);
    const first = this.openings[start]!;
    if (count === 1) return first;
    return `${first}${this.joined.slice(this.offsets[start + 1]!, this.offsets[start + count - 1]!)}.`;
  }
}

function opening(piece: string): string {
  const first = piece.trimStart();
  return /^[a-z]/.test(first) ? capitalise(first) : 'So';
}
