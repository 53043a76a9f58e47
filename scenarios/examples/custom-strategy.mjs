// A strategy of your own, plugged into squall as a module:
//
//   strategies:
//     - name: mine
//       adapter: { type: module, path: ./custom-strategy.mjs }
//
// The default export (or a named export `strategy`) receives the logical request and a context:
//   ctx.send(req, { model, attemptNumber, signal })  one attempt through the transport (counted by squall)
//   ctx.fetch                                        the same transport as fetch (for real client libraries)
//   ctx.clock.sleep(ms, signal)                      wait (virtual time in simulations)
//   ctx.rng.next()                                   seeded randomness in [0, 1)
//   ctx.emit(event), ctx.log(message), ctx.signal
// and resolves to the last attempt outcome, or to a full logical outcome ({ ok, result, attempts }).
//
// This one retries rate limits and server errors up to 3 times with "equal jitter" backoff, honours
// retry-after-ms, and fails fast on client errors (400, 401, quota 429s).

const MAX_ATTEMPTS = 4;
const BASE_MS = 500;
const CAP_MS = 8000;

export default async function equalJitterStrategy(req, ctx) {
  let outcome;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    outcome = await ctx.send(req, { model: req.model, attemptNumber: attempt, signal: ctx.signal });
    if (!isRetryable(outcome) || attempt === MAX_ATTEMPTS - 1) return outcome;
    const delayMs = serverDelay(outcome) ?? equalJitter(attempt, ctx.rng);
    ctx.emit({
      type: 'retry',
      requestId: req.id,
      attemptNumber: attempt + 1,
      delayMs,
      reason: reason(outcome),
      atMs: ctx.clock.now(),
    });
    await ctx.clock.sleep(delayMs, ctx.signal);
  }
  return outcome;
}

function isRetryable(outcome) {
  if (outcome.kind === 'network') return true;
  if (outcome.status === 429) return outcome.errorCode !== 'insufficient_quota';
  return outcome.status >= 500;
}

/** Half the exponential delay, plus up to the other half at random. */
function equalJitter(attempt, rng) {
  const half = Math.min(CAP_MS, BASE_MS * 2 ** attempt) / 2;
  return half + rng.next() * half;
}

function serverDelay(outcome) {
  const ms = outcome.kind === 'response' ? Number(outcome.headers['retry-after-ms']) : Number.NaN;
  return Number.isFinite(ms) && ms >= 0 && ms <= 60_000 ? ms : undefined;
}

function reason(outcome) {
  return outcome.kind === 'network' ? `network:${outcome.error}` : String(outcome.status);
}
