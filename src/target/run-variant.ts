import { type HttpFront, startHttpFront } from '../../mock-upstream/fronts/http.ts';
import type { Decision, ParsedAttempt } from '../../mock-upstream/types.ts';
import { Upstream } from '../../mock-upstream/upstream.ts';
import { SquallError } from '../errors.ts';
import { Histogram } from '../metrics/histogram.ts';
import { StrategyRecorder } from '../metrics/recorder.ts';
import type { Progress, RunSettings, StrategyRunResult } from '../runner/run-strategy.ts';
import { networkOutcome } from '../runner/transport.ts';
import { RealClock, type TimerHandle } from '../sim/clock.ts';
import type { AttemptOutcome, LogicalRequest } from '../strategies/types.ts';
import type { TrafficSource } from '../traffic/index.ts';
import { attemptOutcomeOf, billedTokensOf, serviceOutcome } from './outcome.ts';
import { freePort } from './port.ts';
import { ServiceProcess } from './process.ts';
import { probe, waitReady } from './ready.ts';
import { REQUEST_ID_HEADER, readBounded, serviceRequest } from './request.ts';
import { expandString, placeholdersIn } from './template.ts';

/**
 * One variant of a service under test, in wall time: a fresh mock upstream on loopback (the plan's seed
 * and schedule), the service started against it, then the traffic sent to the service over HTTP at its
 * intended times (open model) with latency measured from each intended arrival. The mock's decisions give
 * the upstream side (attempts, billed tokens); the service's answers give the logical side.
 *
 * Attempts are joined to the logical request they served when the service forwards the
 * `x-squall-request-id` header squall sends it; otherwise only totals are known (amplification is all
 * attempts over all requests), and the result says which.
 */
export interface TargetPlan {
  command: string | string[];
  /** Absolute. */
  cwd: string;
  env: Record<string, string>;
  readyUrl: string;
  readyTimeoutMs: number;
  request: { method: string; path: string; headers: Record<string, string>; body?: unknown };
}

export interface VariantPlan {
  name: string;
  description?: string;
  env: Record<string, string>;
  args: string[];
}

export interface VariantRunInput extends RunSettings {
  target: TargetPlan;
  variant: VariantPlan;
  traffic: TrafficSource;
  /** Where the service's stdout and stderr go (appended). */
  logFile: string;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** How the run knew which logical request an upstream attempt belonged to. */
export type AttemptJoin = 'x-squall-request-id' | 'totals';

export interface VariantRunResult extends StrategyRunResult {
  join: { by: AttemptJoin; attempts: number; forwardedRequestId: number };
  logFile: string;
}

/** Probe of the ready URL before the service starts: something already there would answer for it. */
const PORT_CHECK_TIMEOUT_MS = 500;

export async function runTargetVariant(input: VariantRunInput): Promise<VariantRunResult> {
  const wallStart = performance.now();
  const { target, variant } = input;
  const clock = new RealClock();

  // `{{port}}`: a free loopback port for this variant's service.
  const servicePort = placeholdersIn(target.readyUrl).includes('port') ? String(await freePort()) : '';
  const readyUrl = expandString(target.readyUrl, { port: servicePort });
  const squatter = await probe(readyUrl, PORT_CHECK_TIMEOUT_MS);
  if (typeof squatter === 'number') {
    throw new SquallError(
      'ERR_SQUALL_TARGET',
      `variant "${variant.name}": something already answers ${readyUrl} (status ${squatter}) before squall started the service`,
      { hint: 'stop whatever listens on that port, or give the service another port in the scenario' },
    );
  }

  // The service may call its upstream while it starts; a warm-up copy of the mock answers those, so they
  // neither count nor spend the measured upstream's rate limits. The measured one then takes its port.
  const warm = await startHttpFront(new Upstream({ ...input.upstream, journalSize: 0 }), { port: 0, clock });
  const port = warm.port;
  const upstreamUrl = warm.baseURL;
  const values = { upstream_url: upstreamUrl, variant: variant.name, port: servicePort };
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  for (const [k, v] of Object.entries({ ...target.env, ...variant.env })) env[k] = expandString(v, values);
  let service: ServiceProcess;
  try {
    service = ServiceProcess.start({
      variant: variant.name,
      command:
        typeof target.command === 'string'
          ? expandString(target.command, values)
          : target.command.map((w) => expandString(w, values)),
      args: variant.args.map((a) => expandString(a, values)),
      cwd: expandString(target.cwd, values),
      env,
      logFile: input.logFile,
    });
  } catch (e) {
    // The log file could not be opened, or the command is unusable: nothing was started.
    await warm.close();
    throw new SquallError(
      'ERR_SQUALL_TARGET',
      `variant "${variant.name}": could not start the service (${e instanceof Error ? e.message : String(e)})`,
      { hint: `check target.command, and that ${input.logFile} can be written` },
    );
  }
  let front: HttpFront | undefined;
  const timers = new Set<TimerHandle>();
  const inFlight = new Set<AbortController>();
  try {
    try {
      await waitReady(service, readyUrl, {
        timeoutMs: target.readyTimeoutMs,
        ...(input.signal ? { signal: input.signal } : {}),
      });
    } finally {
      await warm.close();
    }
    const upstream = new Upstream({ ...input.upstream, journalSize: 0 }, { startMs: clock.now() });
    try {
      front = await startHttpFront(upstream, { port, clock });
    } catch (e) {
      throw service.failure(
        `could not reopen the mock upstream on port ${port} after the service started (${e instanceof Error ? e.message : String(e)})`,
      );
    }
    // The schedule counts from the front's start; so do arrivals.
    const originMs = upstream.model.startMs ?? clock.now();
    return await drive(input, readyUrl, service, upstream, clock, originMs, timers, inFlight, wallStart);
  } finally {
    for (const t of timers) clock.clearTimeout(t);
    for (const ac of inFlight) ac.abort(new Error('run ended'));
    await service.stop();
    await front?.close();
  }
}

async function drive(
  input: VariantRunInput,
  readyUrl: string,
  service: ServiceProcess,
  upstream: Upstream,
  clock: RealClock,
  originMs: number,
  timers: Set<TimerHandle>,
  inFlight: Set<AbortController>,
  wallStart: number,
): Promise<VariantRunResult> {
  const { target, variant } = input;
  const recorder = new StrategyRecorder({
    durationMs: input.durationMs,
    startMs: originMs,
    ...(input.pricePer1kTokens !== undefined ? { pricePer1kTokens: input.pricePer1kTokens } : {}),
  });
  const lag = new Histogram();
  const strategyErrors: string[] = [];
  const serviceUrl = new URL(readyUrl).origin;
  const later = (fn: () => void, ms: number) => {
    const t = clock.setTimeout(
      () => {
        timers.delete(t);
        fn();
      },
      Math.max(0, ms),
    );
    timers.add(t);
    return t;
  };
  /** Attempt ends not yet due, so the run's end can record them (every attempt is accounted for). */
  const attemptEnds = new Map<TimerHandle, () => void>();

  // The upstream side: every attempt the service made, joined to its logical request when it forwarded
  // the id (and that request is still open), ended when the mock's answer is due.
  const open = new Set<string>();
  let attempts = 0;
  let forwarded = 0;
  upstream.onDecision = (a: ParsedAttempt, d: Decision) => {
    const startedMs = clock.now();
    attempts++;
    const id = a.squallRequestId;
    if (id !== undefined) forwarded++;
    const reqId = id !== undefined && open.has(id) ? id : '';
    recorder.onAttemptStart(reqId, startedMs);
    const outcome: AttemptOutcome = attemptOutcomeOf(a, d);
    const billed = billedTokensOf(a, d);
    const end = () => {
      attemptEnds.delete(t);
      recorder.onAttemptEnd(reqId, outcome, startedMs, clock.now(), billed, false);
    };
    const t = later(end, d.latencyMs);
    attemptEnds.set(t, end);
  };

  let offered = 0;
  let completed = 0;
  let succeeded = 0;
  let stopped = false;
  let arrivalsDone = false;
  let died = false;
  service.exited.then(() => {
    if (service.diedOnItsOwn) {
      died = true;
      stopped = true;
    }
  });

  const sendOne = (req: LogicalRequest, onDone?: () => void) => {
    offered++;
    const now = clock.now();
    lag.record(Math.max(0, now - req.arrivalMs) * 1000);
    recorder.onArrival(req, now);
    open.add(req.id);
    const ac = new AbortController();
    inFlight.add(ac);
    let settled = false;
    let deadlineHit = false;
    const finish = (outcome: Parameters<StrategyRecorder['onLogicalEnd']>[1]) => {
      if (settled) return;
      settled = true;
      inFlight.delete(ac);
      clock.clearTimeout(deadline);
      timers.delete(deadline);
      open.delete(req.id);
      completed++;
      if (outcome.ok) succeeded++;
      recorder.onLogicalEnd(req, outcome, clock.now());
      onDone?.();
    };
    // The driver's own limit: a service that never answers cannot stall the run.
    const deadline = clock.setTimeout(() => {
      deadlineHit = true;
      ac.abort(new Error('driver deadline'));
      finish({ ok: false, result: 'deadline_exceeded', attempts: 0 });
    }, input.requestDeadlineMs);
    timers.add(deadline);
    const { url, init } = serviceRequest(target.request, serviceUrl, req);
    fetch(url, { ...init, signal: ac.signal })
      .then(async (res) => {
        await readBounded(res);
        const last: AttemptOutcome = { kind: 'response', status: res.status, headers: {}, model: req.model };
        finish(serviceOutcome(last, 0, req.model));
      })
      .catch((e: unknown) => {
        // Aborted: by the deadline (already recorded) or by the run's end (left unfinished, as it is).
        if (deadlineHit || ac.signal.aborted) return;
        finish(serviceOutcome(networkOutcome(e, req.model), 0, req.model));
      });
  };

  const endMs = originMs + input.durationMs;
  const scheduleArrivals = () => {
    const closed = input.traffic.closed;
    if (input.traffic.kind === 'closed' && closed) {
      for (let vu = 0; vu < closed.virtualUsers; vu++) {
        void (async () => {
          for (let k = 0; !stopped && clock.now() < endMs; k++) {
            const req = closed.request(vu, k, clock.now());
            await new Promise<void>((resolve) => sendOne(req, resolve));
            await new Promise<void>((resolve) => later(resolve, closed.nextThinkMs(vu, k)));
          }
        })();
      }
      return;
    }
    const it = input.traffic.arrivals()[Symbol.iterator]();
    const next = () => {
      if (stopped) return;
      const r = it.next();
      if (r.done || r.value.arrivalMs >= input.durationMs) {
        arrivalsDone = true;
        return;
      }
      const req = { ...r.value, arrivalMs: originMs + r.value.arrivalMs };
      later(() => {
        if (stopped) return;
        sendOne(req);
        next();
      }, req.arrivalMs - clock.now());
    };
    next();
  };

  const sample = () => {
    const now = clock.now();
    const levels = upstream.model.rateLimitLevels(now);
    let min = Number.POSITIVE_INFINITY;
    for (const l of levels) min = Math.min(min, l.requests);
    if (levels.length > 0) recorder.onUpstreamSample(now, Math.floor(min));
    input.onProgress?.({
      strategy: variant.name,
      simulatedMs: now - originMs,
      durationMs: input.durationMs,
      offered,
      completed,
      succeeded,
    });
    if (!stopped) later(sample, 1000);
  };

  let partial = false;
  const onAbort = () => {
    stopped = true;
    partial = true;
  };
  input.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    scheduleArrivals();
    sample();
    const closedModel = input.traffic.kind === 'closed';
    await new Promise<void>((resolve) => {
      const check = () => {
        const until = endMs + input.drainMs;
        if (stopped || clock.now() >= until || (!closedModel && arrivalsDone && inFlight.size === 0))
          resolve();
        else clock.setTimeout(check, Math.min(50, Math.max(1, until - clock.now())));
      };
      check();
    });
  } finally {
    stopped = true;
    input.signal?.removeEventListener('abort', onAbort);
  }
  if (died) {
    throw service.failure(
      `the service ${service.describeExit()} ${((clock.now() - originMs) / 1000).toFixed(1)} s into the run`,
    );
  }
  // Attempts still waiting for their answer end now, so every attempt is in the counts by kind.
  for (const [t, end] of attemptEnds) {
    clock.clearTimeout(t);
    timers.delete(t);
    end();
  }
  const windows = input.faultWindows.map((w) => ({
    ...w,
    startMs: originMs + w.startMs,
    endMs: originMs + w.endMs,
  }));
  const by: AttemptJoin = attempts > 0 && forwarded === attempts ? 'x-squall-request-id' : 'totals';
  if (attempts > 0 && forwarded > 0 && forwarded < attempts) {
    strategyErrors.push(
      `${forwarded} of ${attempts} upstream attempts carried ${REQUEST_ID_HEADER}: attempts are counted in totals only`,
    );
  }
  const summary = recorder.summary(windows);
  // Without the id on every attempt, how many attempts each request took is not known: say nothing
  // rather than "no attempts" (the totals and amplification stand).
  if (by === 'totals') summary.attempts.perRequest = summary.attempts.perRequest.map(() => 0);
  return {
    name: variant.name,
    summary,
    partial,
    wallMs: performance.now() - wallStart,
    strategyErrors,
    arrivalLagMs: {
      p50: lag.count ? lag.percentile(50) / 1000 : 0,
      p99: lag.count ? lag.percentile(99) / 1000 : 0,
      max: lag.count ? lag.max / 1000 : 0,
    },
    join: { by, attempts, forwardedRequestId: forwarded },
    logFile: input.logFile,
  };
}
