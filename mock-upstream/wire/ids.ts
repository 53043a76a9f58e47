import { hashUniform, type Rng } from '../../src/sim/rng.ts';

/** Identifiers shaped like the real API's, drawn from a seeded stream so runs repeat exactly. */

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Every two-character alphanumeric string: one draw and one lookup per pair (ids are made per request). */
const ALNUM_PAIRS: readonly string[] = Array.from(
  { length: ALNUM.length * ALNUM.length },
  (_, i) => ALNUM[Math.floor(i / ALNUM.length)]! + ALNUM[i % ALNUM.length]!,
);

function alnum(rng: Rng, n: number): string {
  let s = '';
  let i = 0;
  for (; i + 2 <= n; i += 2) s += ALNUM_PAIRS[rng.int(ALNUM_PAIRS.length)];
  if (i < n) s += ALNUM[rng.int(ALNUM.length)];
  return s;
}

/** `x-request-id`: `req_` + 32 hex. */
export function requestId(rng: Rng): string {
  return `req_${rng.hex(32)}`;
}

/** `chatcmpl-` + 29 alphanumerics, as current chat completion ids are. */
export function chatCompletionId(rng: Rng): string {
  return `chatcmpl-${alnum(rng, 29)}`;
}

/** `resp_` + 48 hex. */
export function responseId(rng: Rng): string {
  return `resp_${rng.hex(48)}`;
}

/** Output message items of the Responses API: `msg_` + 48 hex. */
export function messageItemId(rng: Rng): string {
  return `msg_${rng.hex(48)}`;
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
