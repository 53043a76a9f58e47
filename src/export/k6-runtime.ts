/**
 * The fixed part of every generated k6 script: a small interpreter of the STRATEGY, MIX and THINK_TIME_MS
 * constants written above it (k6 has no retry, breaker or budget of its own). It mirrors squall's
 * classify.ts, backoff/jitter.ts, retry-after.ts, policies/retry.ts, policies/breaker.ts and
 * policies/fallback.ts rule for rule,
 * so a change there needs the same change here. It is type-checked against @types/k6 by
 * test/export/k6-typecheck.test.ts. No backticks or `${` in here: it lives in a template literal.
 */
export const K6_RUNTIME = `
// ---------------------------------------------------------------------------------------------------
// Runtime (the same in every exported script): request mix, classification, backoff, breaker, retry loop.

type ErrorClass = 'success' | 'transient' | 'network' | 'client';
type Weighted = { name: string; weight: number };
type Dist =
  | { kind: 'fixed'; value: number }
  | { kind: 'uniform'; min: number; max: number }
  | { kind: 'lognormal'; median: number; p99: number; max?: number };
type Backoff =
  | { kind: 'none' }
  | { kind: 'fixed'; delayMs: number }
  | { kind: 'linear'; baseMs: number; stepMs?: number; capMs: number }
  | { kind: 'exponential'; baseMs: number; factor?: number; capMs: number; jitter: string; jitterMs?: number };
type Breaker = {
  kind: 'consecutive' | 'rate';
  scope: 'request' | 'model' | 'attempt';
  threshold?: number;
  failureRateThreshold?: number;
  windowMs?: number;
  minimumVolume?: number;
  openMs: number;
  halfOpenProbes: number;
  failOn: ErrorClass[];
};
type Budget =
  | { quota: number; retryCost: number; timeoutCost: number; successRefund: number }
  | { maxTokens: number; tokenRatio: number };
type RouteKey = '429' | '500' | '503' | 'timeout' | 'network' | 'client' | 'default';
type Route = { action: 'fallback' | 'retry_then_fallback' | 'backoff_retry' | 'fail'; retries: number; backoff: Backoff | null };
interface FallbackSpec {
  models: string[];
  routes: Record<RouteKey, Route>;
  classify: StrategySpec['classify'];
}
interface StrategySpec {
  name: string;
  maxAttempts: number;
  backoff: Backoff;
  retryOn: ErrorClass[];
  retryAfter: { honour: boolean; maxMs: number; overMax: 'backoff' | 'clamp' } | null;
  attemptTimeoutMs: number;
  deadlineMs: number;
  classify: {
    transientStatuses: number[];
    clientStatuses: number[];
    retryQuota429: boolean;
    honourShouldRetryHeader: boolean;
  };
  breaker: Breaker | null;
  budget: Budget | null;
  fallback: FallbackSpec | null;
}
interface MixSpec {
  models: Weighted[];
  promptTokens: Dist;
  maxTokens: Dist;
  streamFraction: number;
  apiKeys: Array<{ key: string; weight: number }>;
  users?: { count: number; zipf?: number } | Weighted[];
  features?: Weighted[];
  endpoints?: Weighted[];
}
interface LlmRequest {
  endpoint: string;
  model: string;
  promptTokens: number;
  maxTokens: number;
  stream: boolean;
  apiKey: string;
  user?: string;
  feature?: string;
}
interface Outcome {
  /** 0 for a network failure (k6 sets error_code). */
  status: number;
  errorCode: string;
  errorMessage: string;
  headers: Record<string, string>;
  timedOut: boolean;
}
/** What a logical request ended with: an outcome, or a refusal before or between attempts. */
type Final = { outcome: Outcome | null; cls: ErrorClass; rejectedBy?: 'breaker' | 'deadline' | 'fallback' };

const WORDS = ['the', 'and', 'for', 'are', 'but', 'not', 'you', 'all', 'any', 'can', 'had', 'her', 'was', 'one'];
const UNRECOVERABLE_429 = ['insufficient_quota', 'credit_balance_exhausted', 'billing_hard_limit_reached'];
const DEFAULT_TRANSIENT = [408, 409, 429, 500, 502, 503, 504];
/** k6 error codes: 1050 is a request timeout. */
const K6_TIMEOUT = 1050;

function pickWeighted(items: Weighted[]): string {
  let total = 0;
  for (const it of items) total += it.weight;
  let u = Math.random() * total;
  for (const it of items) {
    u -= it.weight;
    if (u < 0 && it.weight > 0) return it.name;
  }
  return items[items.length - 1]?.name ?? '';
}

function standardNormal(): number {
  // Box-Muller; 1 - random() keeps the logarithm finite.
  return Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
}

function sampleDist(d: Dist, floor: number): number {
  let v: number;
  if (d.kind === 'fixed') v = d.value;
  else if (d.kind === 'uniform') v = d.min + Math.floor(Math.random() * (d.max - d.min + 1));
  else {
    const sigma = d.p99 > d.median ? Math.log(d.p99 / d.median) / 2.326347874040841 : 0;
    v = d.median * Math.exp(sigma * standardNormal());
    if (d.max !== undefined) v = Math.min(v, d.max);
  }
  return Math.max(floor, Math.round(v));
}

function pickUser(users: NonNullable<MixSpec['users']>): string {
  if (Array.isArray(users)) return pickWeighted(users);
  if (!users.zipf) return 'user-' + (1 + Math.floor(Math.random() * users.count));
  const ranks: Weighted[] = [];
  for (let k = 1; k <= Math.min(users.count, 10000); k++) ranks.push({ name: 'user-' + k, weight: 1 / k ** users.zipf });
  return pickWeighted(ranks);
}

/** About n tokens: three-letter words and spaces are four characters a token (as squall sends). */
function syntheticPrompt(n: number): string {
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(WORDS[i % WORDS.length] ?? 'the');
  return words.join(' ');
}

function sampleRequest(): LlmRequest {
  const endpoint = MIX.endpoints ? pickWeighted(MIX.endpoints) : 'chat.completions';
  const req: LlmRequest = {
    endpoint,
    model: pickWeighted(MIX.models),
    promptTokens: sampleDist(MIX.promptTokens, 1),
    maxTokens: sampleDist(MIX.maxTokens, 1),
    stream: endpoint !== 'embeddings' && Math.random() < MIX.streamFraction,
    apiKey: MIX.apiKeys.length > 0 ? pickWeighted(MIX.apiKeys.map((k) => ({ name: k.key, weight: k.weight }))) : 'sk-squall-test',
  };
  if (MIX.users) req.user = pickUser(MIX.users);
  if (MIX.features) req.feature = pickWeighted(MIX.features);
  return req;
}

function wireRequest(req: LlmRequest): { path: string; body: Record<string, unknown> } {
  const text = syntheticPrompt(req.promptTokens);
  const user = req.user ? { user: req.user } : {};
  if (req.endpoint === 'embeddings') return { path: '/embeddings', body: { model: req.model, input: text, ...user } };
  if (req.endpoint === 'responses')
    return {
      path: '/responses',
      body: { model: req.model, input: text, max_output_tokens: Math.max(16, req.maxTokens), stream: req.stream, ...user },
    };
  return {
    path: '/chat/completions',
    body: {
      model: req.model,
      messages: [{ role: 'user', content: text }],
      max_tokens: req.maxTokens,
      stream: req.stream,
      ...user,
    },
  };
}

function header(headers: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const k of Object.keys(headers)) if (k.toLowerCase() === lower) return (headers[k] ?? '').trim();
  return undefined;
}

function isUnrecoverable429(o: Outcome): boolean {
  return o.status === 429 && (UNRECOVERABLE_429.includes(o.errorCode) || /request too large/i.test(o.errorMessage));
}

/** squall's classify.ts, first match wins. */
function classify(o: Outcome, c: StrategySpec['classify']): ErrorClass {
  if (o.status === 0) return 'network';
  if (o.status >= 200 && o.status < 300) return 'success';
  if (c.honourShouldRetryHeader) {
    const h = header(o.headers, 'x-should-retry')?.toLowerCase();
    if (h === 'true') return 'transient';
    if (h === 'false') return 'client';
  }
  if (c.clientStatuses.includes(o.status)) return 'client';
  if (o.status === 429 && !c.retryQuota429 && isUnrecoverable429(o)) return 'client';
  if (c.transientStatuses.includes(o.status)) return 'transient';
  return o.status >= 500 ? 'transient' : 'client';
}

/** A failure no retry can fix (400, 401, quota), whatever the strategy thinks: a retry of it is wasted. */
function failedForGood(o: Outcome): boolean {
  return (
    classify(o, {
      transientStatuses: DEFAULT_TRANSIENT,
      clientStatuses: [],
      retryQuota429: false,
      honourShouldRetryHeader: false,
    }) === 'client'
  );
}

type BackoffState = { retries: number; prevDelayMs: number };

function uniform(a: number, b: number): number {
  return a + (b - a) * Math.random();
}

/** squall's backoff/*.ts and jitter.ts. */
function nextDelayMs(b: Backoff, s: BackoffState): number {
  let d: number;
  if (b.kind === 'none') d = 0;
  else if (b.kind === 'fixed') d = b.delayMs;
  else if (b.kind === 'linear') d = Math.min(b.capMs, b.baseMs + (b.stepMs ?? b.baseMs) * s.retries);
  else {
    const exp = b.baseMs * (b.factor ?? 2) ** s.retries;
    const capped = Math.min(b.capMs, exp);
    if (b.jitter === 'full') d = uniform(0, capped);
    else if (b.jitter === 'equal') d = capped / 2 + uniform(0, capped / 2);
    else if (b.jitter === 'decorrelated') {
      const prev = s.prevDelayMs > 0 ? s.prevDelayMs : b.baseMs;
      d = Math.min(b.capMs, uniform(b.baseMs, Math.max(b.baseMs, prev * 3)));
    } else if (b.jitter === 'additive') d = Math.min(b.capMs, exp + uniform(0, b.jitterMs ?? b.baseMs));
    else if (b.jitter === 'negative25') d = capped * (1 - 0.25 * Math.random());
    else if (b.jitter === 'p-retry') d = Math.min(b.capMs, Math.round(exp * (1 + Math.random())));
    else d = capped;
  }
  s.retries++;
  s.prevDelayMs = d;
  return d;
}

/** squall's retry-after.ts: retry-after-ms, then retry-after in seconds, then as an HTTP date. */
function serverDelayMs(o: Outcome): number | undefined {
  const ra = STRATEGY.retryAfter;
  if (!ra || !ra.honour || o.status === 0) return undefined;
  // Read as the openai SDK reads them: parseFloat, and any number in retry-after-ms settles it.
  let ms: number | undefined;
  const inMs = header(o.headers, 'retry-after-ms');
  if (inMs) {
    const n = parseFloat(inMs);
    if (!Number.isNaN(n)) ms = n;
  }
  if (ms === undefined) {
    const after = header(o.headers, 'retry-after');
    if (!after) return undefined;
    const seconds = parseFloat(after);
    ms = Number.isNaN(seconds) ? Date.parse(after) - Date.now() : seconds * 1000;
  }
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  if (ms <= ra.maxMs) return ms;
  return ra.overMax === 'clamp' ? ra.maxMs : undefined;
}

// Per-VU state: k6 VUs share no memory, so the breaker and the budget are per virtual user.
let breakerState: 'closed' | 'open' | 'half_open' = 'closed';
let breakerOpenedAtMs = 0;
let breakerFailures = 0;
let breakerProbes = 0;
let breakerProbeOk = 0;
let breakerWindow: Array<{ atMs: number; failed: boolean }> = [];

function breakerMoveTo(state: 'closed' | 'open' | 'half_open'): void {
  breakerState = state;
  breakerFailures = 0;
  breakerProbes = 0;
  breakerProbeOk = 0;
  breakerWindow = [];
  if (state === 'open') {
    breakerOpenedAtMs = Date.now();
    breakerOpened.add(1);
  }
}

/** True when the call may go ahead (a half-open probe counts itself in). */
function breakerAdmits(b: Breaker): boolean {
  if (breakerState === 'open' && Date.now() - breakerOpenedAtMs >= b.openMs) breakerMoveTo('half_open');
  if (breakerState === 'open') return false;
  if (breakerState === 'half_open') {
    if (breakerProbes >= b.halfOpenProbes) return false;
    breakerProbes++;
  }
  return true;
}

/** Records a call's result; null: a refusal that says nothing about the upstream. */
function breakerRecord(b: Breaker, cls: ErrorClass | null): void {
  if (cls === null) {
    if (breakerState === 'half_open') breakerProbes--;
    return;
  }
  const failed = b.failOn.includes(cls);
  if (breakerState === 'half_open') {
    if (failed) breakerMoveTo('open');
    else if (++breakerProbeOk >= b.halfOpenProbes) breakerMoveTo('closed');
    return;
  }
  if (b.kind === 'consecutive') {
    breakerFailures = failed ? breakerFailures + 1 : 0;
    if (breakerFailures >= (b.threshold ?? 1)) breakerMoveTo('open');
    return;
  }
  const now = Date.now();
  breakerWindow.push({ atMs: now, failed });
  breakerWindow = breakerWindow.filter((r) => r.atMs > now - (b.windowMs ?? 0));
  const failures = breakerWindow.filter((r) => r.failed).length;
  if (breakerWindow.length >= (b.minimumVolume ?? 1) && failures / breakerWindow.length >= (b.failureRateThreshold ?? 1))
    breakerMoveTo('open');
}

let budgetTokens = STRATEGY.budget ? ('quota' in STRATEGY.budget ? STRATEGY.budget.quota : STRATEGY.budget.maxTokens) : 0;

/** squall's policies/budget.ts; returns the tokens spent, or undefined to refuse the retry. */
function budgetAcquire(kind: 'retry' | 'timeout'): number | undefined {
  const b = STRATEGY.budget;
  if (!b) return 0;
  if ('quota' in b) {
    const cost = kind === 'timeout' ? b.timeoutCost : b.retryCost;
    if (budgetTokens < cost) return undefined;
    budgetTokens -= cost;
    return cost;
  }
  return budgetTokens > b.maxTokens / 2 ? 0 : undefined;
}

function budgetOnSuccess(lastCost: number | undefined): void {
  const b = STRATEGY.budget;
  if (!b) return;
  if ('quota' in b) budgetTokens = Math.min(b.quota, budgetTokens + (lastCost ?? b.successRefund));
  else budgetTokens = Math.min(b.maxTokens, Math.round((budgetTokens + b.tokenRatio) * 1000) / 1000);
}

function budgetOnFailure(): void {
  const b = STRATEGY.budget;
  if (b && !('quota' in b)) budgetTokens = Math.max(0, Math.round((budgetTokens - 1) * 1000) / 1000);
}

// Per logical request (reset by the default function): attempts sent so far, whichever model they went
// to, and the model that last failed for good (squall's recorder: an attempt on it again is wasted).
let logicalAttempts = 0;
let clientFailureModel: string | null = null;

function send(req: LlmRequest, timeoutMs: number): Outcome {
  const attempt = ++logicalAttempts;
  const wire = wireRequest(req);
  const tags: Record<string, string> = {
    attempt: String(attempt),
    retry: attempt > 1 ? 'true' : 'false',
    endpoint: req.endpoint,
    model: req.model,
  };
  if (req.feature) tags.feature = req.feature;
  attemptsCounter.add(1, tags);
  const res = http.request('POST', BASE_URL + wire.path, JSON.stringify(wire.body), {
    headers: { 'content-type': 'application/json', authorization: 'Bearer ' + req.apiKey },
    timeout: Math.max(1, Math.round(timeoutMs)),
    tags,
  });
  let errorCode = '';
  let errorMessage = '';
  if (res.status >= 400 && typeof res.body === 'string') {
    try {
      const parsed = JSON.parse(res.body) as { error?: { code?: unknown; type?: unknown; message?: unknown } };
      const e = parsed.error ?? {};
      errorCode = typeof e.code === 'string' ? e.code : typeof e.type === 'string' ? e.type : '';
      errorMessage = typeof e.message === 'string' ? e.message : '';
    } catch {
      // Not JSON (a proxy's HTML page): classified by status alone.
    }
  }
  const timedOut = res.status === 0 && res.error_code === K6_TIMEOUT;
  if (timedOut) abandonedAttempts.add(1, tags);
  const outcome: Outcome = { status: res.status, errorCode, errorMessage, headers: res.headers, timedOut };
  if (clientFailureModel === req.model) wastedRetries.add(1);
  if (failedForGood(outcome)) clientFailureModel = req.model;
  return outcome;
}

/** squall's policies/retry.ts, with the breaker inside it (per attempt) when the strategy puts it there. */
function retryLoop(req: LlmRequest, startedMs: number): Final {
  const b = STRATEGY.breaker;
  const state: BackoffState = { retries: 0, prevDelayMs: 0 };
  let lastCost: number | undefined;
  let last: Final = { outcome: null, cls: 'network' };
  for (let attempt = 1; ; attempt++) {
    if (b && b.scope === 'attempt' && !breakerAdmits(b)) return { ...last, outcome: last.outcome, rejectedBy: 'breaker' };
    const remainingMs = STRATEGY.deadlineMs - (Date.now() - startedMs);
    if (remainingMs <= 0) return { ...last, rejectedBy: 'deadline' };
    const outcome = send(req, Math.min(STRATEGY.attemptTimeoutMs, remainingMs));
    const cls = classify(outcome, STRATEGY.classify);
    if (b && b.scope === 'attempt') breakerRecord(b, cls);
    last = { outcome, cls };
    if (cls === 'success') {
      budgetOnSuccess(lastCost);
      return last;
    }
    if (!STRATEGY.retryOn.includes(cls)) return last;
    budgetOnFailure();
    if (attempt >= STRATEGY.maxAttempts) return last;
    const backoffMs = nextDelayMs(STRATEGY.backoff, state);
    const delayMs = serverDelayMs(outcome) ?? backoffMs;
    if (Date.now() - startedMs + delayMs >= STRATEGY.deadlineMs) return { ...last, rejectedBy: 'deadline' };
    if (STRATEGY.budget) {
      // AWS TRANSIENT (no answer, 500/502/503/504) costs timeoutCost: squall's policies/retry.ts isAwsTransient.
      const cost = budgetAcquire(outcome.status === 0 || [500, 502, 503, 504].includes(outcome.status) ? 'timeout' : 'retry');
      if (cost === undefined) return last;
      lastCost = cost;
    }
    retriesCounter.add(1);
    if (delayMs > 0) sleep(delayMs / 1000);
  }
}

/** A breaker wrapping what is below it: refuses while open, records the logical outcome. */
function guarded(b: Breaker, run: () => Final): Final {
  if (!breakerAdmits(b)) return { outcome: null, cls: 'client', rejectedBy: 'breaker' };
  const final = run();
  breakerRecord(b, final.rejectedBy ? null : final.cls);
  return final;
}

/** One model's turn in a fallback chain: the retry loop, behind the breaker when it sits there. */
function modelCall(req: LlmRequest, startedMs: number): Final {
  const b = STRATEGY.breaker;
  if (b && b.scope === 'model') return guarded(b, () => retryLoop(req, startedMs));
  return retryLoop(req, startedMs);
}

/** squall's fallback.ts routeKey: which route an outcome takes, or 'success' / 'terminal' to stop. */
function routeOf(final: Final, c: StrategySpec['classify']): RouteKey | 'success' | 'terminal' {
  // A breaker refusal says nothing against the next model; a deadline ends the chain.
  if (final.rejectedBy) return final.rejectedBy === 'breaker' ? 'default' : 'terminal';
  const o = final.outcome;
  if (!o) return 'terminal';
  const cls = classify(o, c);
  if (cls === 'success') return 'success';
  if (cls === 'client') return 'client';
  if (o.status === 0) return o.timedOut ? 'timeout' : 'network';
  if (o.status === 429) return '429';
  if (o.status === 500) return '500';
  if (o.status === 503) return '503';
  return 'default';
}

/**
 * squall's policies/fallback.ts: each model in order (the request's own model is replaced), retries per
 * model and per route starting afresh on each model; a chain that runs out of models ends as a
 * 'fallback' rejection counted in fallback_exhausted.
 */
function fallbackChain(req: LlmRequest, startedMs: number, f: FallbackSpec): Final {
  let last: Outcome | null = null;
  let lastCls: ErrorClass = 'network';
  const withLast = (r: Final): Final => (r.outcome || !last ? r : { ...r, outcome: last, cls: lastCls });
  for (let i = 0; i < f.models.length; i++) {
    const model = f.models[i] ?? req.model;
    if (i > 0) fallbacksCounter.add(1, { from: f.models[i - 1] ?? '', to: model });
    const onModel: LlmRequest = { ...req, model };
    const used: Partial<Record<RouteKey, number>> = {};
    const states: Partial<Record<RouteKey, BackoffState>> = {};
    for (;;) {
      const final = modelCall(onModel, startedMs);
      if (final.outcome && !final.rejectedBy) {
        last = final.outcome;
        lastCls = final.cls;
      }
      const key = routeOf(final, f.classify);
      if (key === 'success') return final;
      if (key === 'terminal') return withLast(final);
      const route = f.routes[key];
      if (route.action === 'fail') return withLast(final);
      const retried = used[key] ?? 0;
      if (route.action === 'fallback' || retried >= route.retries) break;
      used[key] = retried + 1;
      let delayMs = 0;
      if (route.backoff) {
        const state = states[key] ?? { retries: 0, prevDelayMs: 0 };
        states[key] = state;
        delayMs = nextDelayMs(route.backoff, state);
      }
      if (Date.now() - startedMs + delayMs >= STRATEGY.deadlineMs) return withLast({ ...final, rejectedBy: 'deadline' });
      retriesCounter.add(1);
      if (delayMs > 0) sleep(delayMs / 1000);
    }
  }
  fallbackExhausted.add(1);
  return { outcome: last, cls: lastCls, rejectedBy: 'fallback' };
}

function logicalRequest(req: LlmRequest, startedMs: number): Final {
  const b = STRATEGY.breaker;
  const f = STRATEGY.fallback;
  const run = (): Final => (f ? fallbackChain(req, startedMs, f) : modelCall(req, startedMs));
  if (b && b.scope === 'request') return guarded(b, run);
  return run();
}

export default function (): void {
  const startedMs = Date.now();
  logicalAttempts = 0;
  clientFailureModel = null;
  const req = sampleRequest();
  // Metadata, not a tag: one value per logical request would make a time series each.
  exec.vu.metrics.metadata.logical_request = exec.vu.idInTest + '-' + exec.vu.iterationInInstance;
  const final = logicalRequest(req, startedMs);
  const ok = final.cls === 'success' && !final.rejectedBy;
  const tags: Record<string, string> = {
    outcome: final.rejectedBy === 'fallback' ? 'fallback_exhausted' : final.rejectedBy ? final.rejectedBy + '_rejected' : final.cls,
    endpoint: req.endpoint,
    model: req.model,
  };
  logicalRequests.add(1, tags);
  logicalSuccess.add(ok, tags);
  if (!ok) logicalFailures.add(1, tags);
  logicalDuration.add(Date.now() - startedMs, tags);
  delete exec.vu.metrics.metadata.logical_request;
  if (THINK_TIME_MS) sleep(sampleDist(THINK_TIME_MS, 0) / 1000);
}
`;
