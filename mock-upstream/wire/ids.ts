import { hashUniform, type Rng } from '../../src/sim/rng.ts';

/** Identifiers shaped like the real API's, drawn from a seeded stream so runs repeat exactly. */

const ALNUM_CODES: readonly number[] = Array.from(
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  (c) => c.charCodeAt(0),
);
const HEX_CODES: readonly number[] = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/**
 * Ids are made per request: each is written as character codes into a scratch array (one per id shape)
 * and turned into one flat string, where appending character by character leaves a chain of
 * intermediate strings (about half a kilobyte of garbage per id) behind.
 */
function scratch(prefix: string, n: number): number[] {
  return Array.from({ length: prefix.length + n }, (_, i) => (i < prefix.length ? prefix.charCodeAt(i) : 0));
}
const REQUEST_ID = { prefix: 'req_', codes: scratch('req_', 32) };
const CHAT_ID = { prefix: 'chatcmpl-', codes: scratch('chatcmpl-', 29) };
const RESPONSE_ID = { prefix: 'resp_', codes: scratch('resp_', 48) };
const MESSAGE_ID = { prefix: 'msg_', codes: scratch('msg_', 48) };

function alnumId(rng: Rng, { prefix, codes }: { prefix: string; codes: number[] }): string {
  for (let i = prefix.length; i < codes.length; i++) codes[i] = ALNUM_CODES[rng.int(ALNUM_CODES.length)]!;
  return String.fromCharCode.apply(null, codes);
}

/** 32 bits per draw, 8 digits from each. */
function hexId(rng: Rng, { prefix, codes }: { prefix: string; codes: number[] }): string {
  for (let i = prefix.length; i < codes.length; i += 8) {
    let u = (rng.next() * 4294967296) >>> 0;
    for (let k = Math.min(7, codes.length - 1 - i); k >= 0; k--) {
      codes[i + k] = HEX_CODES[u & 15]!;
      u >>>= 4;
    }
  }
  return String.fromCharCode.apply(null, codes);
}

/** `x-request-id`: `req_` + 32 hex. */
export function requestId(rng: Rng): string {
  return hexId(rng, REQUEST_ID);
}

/** `chatcmpl-` + 29 alphanumerics, as current chat completion ids are. */
export function chatCompletionId(rng: Rng): string {
  return alnumId(rng, CHAT_ID);
}

/** `resp_` + 48 hex. */
export function responseId(rng: Rng): string {
  return hexId(rng, RESPONSE_ID);
}

/** Output message items of the Responses API: `msg_` + 48 hex. */
export function messageItemId(rng: Rng): string {
  return hexId(rng, MESSAGE_ID);
}

/** `fp_` + 10 hex, stable per model: the real fingerprint changes with the backend config, not per request. */
const fingerprints = new Map<string, string>();
export function systemFingerprint(model: string): string {
  const known = fingerprints.get(model);
  if (known) return known;
  const fp = computeFingerprint(model);
  if (fingerprints.size < 1000) fingerprints.set(model, fp);
  return fp;
}

function computeFingerprint(model: string): string {
  const bits40 = Math.floor(hashUniform('squall:system_fingerprint', model) * 2 ** 40);
  return `fp_${bits40.toString(16).padStart(10, '0')}`;
}

/**
 * The calendar of simulated time: a virtual clock counts from 0, and t = 0 is this instant
 * (2026-01-01T00:00:00Z), so bodies made in simulation carry plausible dates that repeat run after run.
 */
export const VIRTUAL_EPOCH_SEC = 1_767_225_600;
/**
 * A clock reading at or after this is wall-clock time (epoch ms: Sep 2001 onwards); a smaller one is a
 * virtual clock's. No simulation runs for 31 years, and no real clock reads 1970.
 */
const WALL_CLOCK_FROM_MS = 1e12;

/**
 * `created` / `created_at` for an answer made at clock time `nowMs`: real epoch seconds on a wall clock,
 * the virtual epoch plus elapsed seconds on a virtual one.
 */
export function createdSecAt(nowMs: number): number {
  const sec = Math.floor(nowMs / 1000);
  return nowMs >= WALL_CLOCK_FROM_MS ? sec : VIRTUAL_EPOCH_SEC + sec;
}
