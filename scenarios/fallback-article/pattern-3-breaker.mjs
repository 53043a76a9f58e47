// "AI APIs fail. Plan for it." (izziapi.com), section "Pattern 3: Circuit breaker", as its Python reads,
// for pattern-3-breaker.yaml. squall's own breaker policy wraps every model of a chain, while the article's
// breaker guards only the first call of `safe_call`, and its "skip to fallback" calls `call_with_fallback`,
// whose chain starts with the same primary. So the story runs the article's code itself, as a module.
//
// - `CircuitBreaker(failure_threshold=3, reset_timeout=30)`: one per app (a module global in the article),
//   here one per strategy run (keyed by the run's clock, so seeds and strategies never share one).
//   `can_proceed` in half-open lets every call through ("return True # half-open: allow one request" does
//   not limit it to one), as the article's code does.
// - `safe_call`: breaker closed → the primary with timeout=15; on success record_success; on any exception
//   record_failure and call_with_fallback. Breaker open → call_with_fallback at once.
// - `call_with_fallback`: FALLBACK_CHAIN in order, each with timeout=30, any exception → next model.
// - Every `client.chat.completions.create` runs the openai SDK's own retry loop, since the article's client
//   sets no max_retries: 2 retries, 0.5 s doubling to 8 s times (1 - 0.25 * random), Retry-After honoured up
//   to 60 s, on 408, 409, 429, 5xx, timeouts and connection errors (openai-python _base_client.py; the same
//   numbers as squall's openai-sdk preset).

export const FALLBACK_CHAIN = ['claude-sonnet-4-20250514', 'gpt-5.4', 'deepseek-r1-0528', 'qwen3-235b-a22b'];
const PRIMARY = FALLBACK_CHAIN[0];
const FAILURE_THRESHOLD = 3;
const RESET_TIMEOUT_MS = 30_000;
const PRIMARY_TIMEOUT_MS = 15_000;
const CHAIN_TIMEOUT_MS = 30_000;
const SDK_MAX_RETRIES = 2;

const breakers = new WeakMap();

function breakerOf(clock) {
  let b = breakers.get(clock);
  if (!b) {
    b = { failures: 0, state: 'closed', lastFailureMs: undefined };
    breakers.set(clock, b);
  }
  return b;
}

/** The article's state changes, told to squall as breaker events (breaker_opened, the state series). */
function moveTo(b, state, ctx) {
  if (b.state === state) return;
  b.state = state;
  ctx.emit({ type: 'breaker', state: state === 'half-open' ? 'half_open' : state, atMs: ctx.clock.now() });
}

function canProceed(b, ctx) {
  if (b.state === 'closed') return true;
  if (b.state === 'open') {
    if (ctx.clock.now() - b.lastFailureMs > RESET_TIMEOUT_MS) {
      moveTo(b, 'half-open', ctx);
      return true;
    }
    return false;
  }
  return true;
}

function recordSuccess(b, ctx) {
  b.failures = 0;
  moveTo(b, 'closed', ctx);
}

function recordFailure(b, ctx) {
  b.failures += 1;
  b.lastFailureMs = ctx.clock.now();
  if (b.failures >= FAILURE_THRESHOLD) moveTo(b, 'open', ctx);
}

const ok = (o) => o.kind === 'response' && o.status >= 200 && o.status < 300;

function sdkRetries(o) {
  if (o.kind === 'network') return true;
  return [408, 409, 429].includes(o.status) || o.status >= 500;
}

function retryAfterMs(o) {
  if (o.kind !== 'response') return undefined;
  const h = o.headers ?? {};
  const ms = Number.parseFloat(h['retry-after-ms'] ?? '');
  if (Number.isFinite(ms) && ms >= 0 && ms <= 60_000) return ms;
  const s = Number.parseFloat(h['retry-after'] ?? '');
  if (Number.isFinite(s) && s >= 0 && s <= 60) return s * 1000;
  return undefined;
}

/** One `client.chat.completions.create(model=..., timeout=...)`: the SDK's loop around the attempts. */
async function create(req, ctx, model, timeoutMs, count) {
  let outcome;
  for (let retry = 0; ; retry++) {
    outcome = await ctx.send(req, { model, attemptNumber: count.n++, timeoutMs, signal: ctx.signal });
    if (ok(outcome) || !sdkRetries(outcome) || retry >= SDK_MAX_RETRIES) return outcome;
    const delayMs = retryAfterMs(outcome) ?? Math.min(500 * 2 ** retry, 8000) * (1 - 0.25 * ctx.rng.next());
    ctx.emit({
      type: 'retry',
      requestId: req.id,
      attemptNumber: count.n,
      delayMs,
      reason: `sdk: ${outcome.kind === 'network' ? outcome.error : outcome.status} on ${model}`,
      atMs: ctx.clock.now(),
    });
    await ctx.clock.sleep(delayMs, ctx.signal);
  }
}

async function callWithFallback(req, ctx, chain, count) {
  let last;
  for (const [i, model] of chain.entries()) {
    if (i > 0) {
      ctx.emit({
        type: 'fallback',
        requestId: req.id,
        from: chain[i - 1],
        to: model,
        reason: '',
        atMs: ctx.clock.now(),
      });
    }
    last = await create(req, ctx, model, CHAIN_TIMEOUT_MS, count);
    if (ok(last)) return last;
  }
  return last;
}

/** `safe_call` as the article writes it: the chain it skips to starts with the primary again. */
export async function safeCall(req, ctx) {
  return guarded(req, ctx, FALLBACK_CHAIN);
}

/** Not in the article: what "skip to fallback" means, a chain without the primary that just failed. */
export async function safeCallSkippingPrimary(req, ctx) {
  return guarded(req, ctx, FALLBACK_CHAIN.slice(1));
}

async function guarded(req, ctx, chain) {
  const b = breakerOf(ctx.clock);
  const count = { n: 0 };
  if (!canProceed(b, ctx)) return callWithFallback(req, ctx, chain, count);
  const outcome = await create(req, ctx, PRIMARY, PRIMARY_TIMEOUT_MS, count);
  if (ok(outcome)) {
    recordSuccess(b, ctx);
    return outcome;
  }
  recordFailure(b, ctx);
  return callWithFallback(req, ctx, chain, count);
}
