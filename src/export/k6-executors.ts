import type { ArrivalSpec } from '../traffic/arrivals/types.ts';
import type { Dist } from '../traffic/dist.ts';
import type { RequestMix } from '../traffic/mix.ts';
import type { TrafficSpec } from '../traffic/source.ts';
import { loadTrace } from '../traffic/trace.ts';
import { formatGoDuration } from '../util/duration.ts';

/**
 * squall traffic → k6 `options.scenarios`. Open shapes map to arrival-rate executors (k6's open model),
 * ramps to stages, the closed model to `constant-vus`. What k6 cannot express exactly (Poisson spacing,
 * a cosine, a timestamped trace) is approximated and said so in `approximations`.
 */
export type K6ScenarioOptions = Record<string, unknown> & { executor: string };

export interface ExecutorPlan {
  scenarios: Record<string, K6ScenarioOptions>;
  /** The request mix the script samples from (a trace's empirical mix for trace replay). */
  mix: RequestMix;
  /** Think time between iterations of a closed-model VU, ms; null in the open model. */
  thinkTimeMs: Dist | null;
  peakRatePerSec: number;
  exact: string[];
  approximations: string[];
}

export interface ExecutorOptions {
  durationMs: number;
  /** squall's drain: in-flight requests may finish for this long (k6 `gracefulStop`). */
  drainMs: number;
  /** How long one logical request may take at worst, for sizing `maxVUs`. */
  worstRequestMs: number;
}

/** k6 allocates VUs up to maxVUs lazily; past this a scenario needs the operator's parallelism. */
export const MAX_VUS = 5000;
/** Stages kept for a cosine or a trace; more would make the script unreadable for little fidelity. */
export const MAX_STAGES = 600;

const UNITS = [
  { timeUnit: '1s', perSec: 1 },
  { timeUnit: '1m', perSec: 60 },
  { timeUnit: '1h', perSec: 3600 },
] as const;

/** The shortest k6 `timeUnit` in which every rate is a whole number (k6 rates are integers); else 1h,
 *  rounded, which is off by at most one request an hour. */
export function rateUnit(ratesPerSec: readonly number[]): {
  timeUnit: string;
  perSec: number;
  exact: boolean;
} {
  for (const u of UNITS) {
    if (ratesPerSec.every((r) => isWhole(r * u.perSec))) return { ...u, exact: true };
  }
  return { timeUnit: '1h', perSec: 3600, exact: false };
}

/** A rate per timeUnit for people: 2000/60 s × 60 is 2000, not 2000.0000000000002. Inexact units say so. */
export function formatRate(perUnit: number, exact: boolean): string {
  return exact ? String(Math.round(perUnit)) : `about ${Number(perUnit.toPrecision(6))}`;
}

function isWhole(x: number): boolean {
  return Math.abs(x - Math.round(x)) < 1e-9;
}

const dur = (ms: number) => formatGoDuration(Math.max(0, ms));

export function toK6Executors(traffic: TrafficSpec, o: ExecutorOptions): ExecutorPlan {
  const gracefulStop = dur(o.drainMs);
  if (traffic.model === 'closed') {
    return {
      scenarios: {
        closed: {
          executor: 'constant-vus',
          vus: Math.min(traffic.virtualUsers, MAX_VUS),
          duration: dur(o.durationMs),
          gracefulStop,
        },
      },
      mix: traffic.mix,
      thinkTimeMs: traffic.thinkTimeMs,
      peakRatePerSec: 0,
      exact: [
        `closed model: ${traffic.virtualUsers} virtual users (constant-vus), each sending its next request after the previous one and its think time`,
      ],
      approximations:
        traffic.virtualUsers > MAX_VUS
          ? [`virtual users capped at ${MAX_VUS} (the file has ${traffic.virtualUsers})`]
          : [],
    };
  }
  if (traffic.model === 'trace') return traceExecutors(traffic.file, traffic.timeScale ?? 1, o);
  const plan = arrivalExecutors(traffic.arrivals, o);
  return { ...plan, mix: traffic.mix, thinkTimeMs: null };
}

/** Initial and maximum VUs for an arrival-rate executor at a peak rate. */
export function vuSizing(
  peakRatePerSec: number,
  worstRequestMs: number,
): { preAllocatedVUs: number; maxVUs: number } {
  // Two seconds' worth of arrivals covers typical LLM latency; the max covers every request at its worst.
  const preAllocatedVUs = Math.min(MAX_VUS, Math.max(1, Math.ceil(peakRatePerSec * 2)));
  const maxVUs = Math.min(
    MAX_VUS,
    Math.max(preAllocatedVUs, Math.ceil((peakRatePerSec * worstRequestMs) / 1000)),
  );
  return { preAllocatedVUs, maxVUs };
}

type Stage = { durationMs: number; targetPerSec: number };

function arrivalExecutors(a: ArrivalSpec, o: ExecutorOptions): Omit<ExecutorPlan, 'mix' | 'thinkTimeMs'> {
  const gracefulStop = dur(o.drainMs);
  const exact: string[] = [];
  const approximations: string[] = [];
  if ('poisson' in a && a.poisson) {
    approximations.push(
      'Poisson arrivals: k6 arrival-rate executors space iterations evenly; the mean rate is kept, the bunching is not',
    );
  }
  const ramping = (
    startPerSec: number,
    stages: Stage[],
    what: string,
  ): Omit<ExecutorPlan, 'mix' | 'thinkTimeMs'> => {
    const rates = [startPerSec, ...stages.map((s) => s.targetPerSec)];
    const peak = Math.max(...rates);
    const unit = rateUnit(rates);
    if (!unit.exact)
      approximations.push('rates rounded to whole requests per hour (k6 rates are integers per timeUnit)');
    return {
      scenarios: {
        [what]: {
          executor: 'ramping-arrival-rate',
          startRate: Math.round(startPerSec * unit.perSec),
          timeUnit: unit.timeUnit,
          stages: stages.map((s) => ({
            duration: dur(s.durationMs),
            target: Math.round(s.targetPerSec * unit.perSec),
          })),
          ...vuSizing(peak, o.worstRequestMs),
          gracefulStop,
        },
      },
      peakRatePerSec: peak,
      exact,
      approximations,
    };
  };
  switch (a.kind) {
    case 'constant':
    case 'poisson': {
      if (a.kind === 'poisson')
        approximations.push('Poisson arrivals: k6 spaces iterations evenly; the mean rate is kept');
      const unit = rateUnit([a.ratePerSec]);
      if (!unit.exact) approximations.push('rate rounded to whole requests per hour');
      exact.push(
        `open model: ${formatRate(a.ratePerSec * unit.perSec, unit.exact)} requests per ${unit.timeUnit} (constant-arrival-rate)`,
      );
      return {
        scenarios: {
          constant: {
            executor: 'constant-arrival-rate',
            rate: Math.round(a.ratePerSec * unit.perSec),
            timeUnit: unit.timeUnit,
            duration: dur(o.durationMs),
            ...vuSizing(a.ratePerSec, o.worstRequestMs),
            gracefulStop,
          },
        },
        peakRatePerSec: a.ratePerSec,
        exact,
        approximations,
      };
    }
    case 'ramping': {
      exact.push('open model: linear ramps between stages (ramping-arrival-rate, the same semantics)');
      const stages = a.stages.map((s) => ({ durationMs: s.durationMs, targetPerSec: s.targetRatePerSec }));
      return ramping(a.startRatePerSec, clipStages(stages, o.durationMs), 'ramping');
    }
    case 'spike': {
      exact.push('open model: a base rate with spikes, as ramping-arrival-rate stages that jump (0s stages)');
      const stages: Stage[] = [];
      let t = 0;
      const base = a.baseRatePerSec;
      for (const s of [...a.spikes].sort((x, y) => x.atMs - y.atMs)) {
        if (s.atMs > t) stages.push({ durationMs: s.atMs - t, targetPerSec: base });
        stages.push({ durationMs: 0, targetPerSec: s.ratePerSec });
        stages.push({ durationMs: s.durationMs, targetPerSec: s.ratePerSec });
        stages.push({ durationMs: 0, targetPerSec: base });
        t = s.atMs + s.durationMs;
      }
      if (o.durationMs > t) stages.push({ durationMs: o.durationMs - t, targetPerSec: base });
      return ramping(base, clipStages(stages, o.durationMs), 'spike');
    }
    case 'daily': {
      const periodMs = a.periodMs ?? 86_400_000;
      const peakAtMs = a.peakAtMs ?? periodMs / 2;
      const rate = (tMs: number) =>
        a.meanRatePerSec * (1 + a.amplitude * Math.cos((2 * Math.PI * (tMs - peakAtMs)) / periodMs));
      const stepMs = Math.max(
        1000,
        Math.ceil(o.durationMs / MAX_STAGES / 1000) * 1000,
        Math.round(periodMs / 96),
      );
      const stages: Stage[] = [];
      for (let t = 0; t < o.durationMs; t += stepMs) {
        const len = Math.min(stepMs, o.durationMs - t);
        stages.push({ durationMs: len, targetPerSec: rate(t + len) });
      }
      approximations.push(
        `daily curve: the cosine is followed in straight ramps of ${dur(stepMs)} (ramping-arrival-rate stages)`,
      );
      return ramping(rate(0), stages, 'daily');
    }
    case 'burst': {
      const vus = Math.min(a.count, MAX_VUS);
      exact.push(`burst: ${a.count} requests at once at ${dur(a.atMs)} (shared-iterations)`);
      if (a.count > MAX_VUS) approximations.push(`burst: at most ${MAX_VUS} requests in flight at once`);
      return {
        scenarios: {
          burst: {
            executor: 'shared-iterations',
            vus,
            iterations: a.count,
            startTime: dur(a.atMs),
            maxDuration: dur(Math.max(1000, o.durationMs - a.atMs + o.drainMs)),
            gracefulStop,
          },
        },
        peakRatePerSec: 0,
        exact,
        approximations,
      };
    }
  }
}

/** Cuts stages at the scenario's duration (squall stops arrivals there too). */
function clipStages(stages: Stage[], durationMs: number): Stage[] {
  const out: Stage[] = [];
  let t = 0;
  let prev = stages[0]?.targetPerSec ?? 0;
  for (const s of stages) {
    if (t >= durationMs && s.durationMs > 0) break;
    const len = Math.min(s.durationMs, durationMs - t);
    const target =
      len < s.durationMs ? prev + ((s.targetPerSec - prev) * len) / s.durationMs : s.targetPerSec;
    out.push({ durationMs: len, targetPerSec: target });
    t += len;
    prev = s.targetPerSec;
  }
  return out;
}

/**
 * k6 has no executor that replays timestamps, so a trace becomes a rate curve: arrivals counted per bin,
 * one ramping-arrival-rate stage per bin, and the request mix drawn from the trace's own proportions.
 */
function traceExecutors(file: string, timeScale: number, o: ExecutorOptions): ExecutorPlan {
  const trace = loadTrace(file, { timeScale });
  const endMs = Math.min(o.durationMs, trace.spanMs + 1);
  const binMs = Math.max(1000, Math.ceil(endMs / MAX_STAGES / 1000) * 1000);
  const bins = new Array<number>(Math.max(1, Math.ceil(endMs / binMs))).fill(0);
  const count = <K extends string>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);
  const models = new Map<string, number>();
  const keys = new Map<string, number>();
  const endpoints = new Map<string, number>();
  const prompts: number[] = [];
  const maxTokens: number[] = [];
  let streams = 0;
  let n = 0;
  for (const r of trace.requests) {
    if (r.arrivalMs >= o.durationMs) break;
    const i = Math.floor(r.arrivalMs / binMs);
    bins[i] = (bins[i] ?? 0) + 1;
    count(models, r.model);
    count(keys, r.apiKey);
    count(endpoints, r.endpoint);
    prompts.push(r.promptTokens);
    maxTokens.push(r.maxTokens);
    if (r.stream) streams++;
    n++;
  }
  const stages: Stage[] = [];
  for (const c of bins) {
    const perSec = (c * 1000) / binMs;
    stages.push({ durationMs: 0, targetPerSec: perSec }, { durationMs: binMs, targetPerSec: perSec });
  }
  const rates = stages.map((s) => s.targetPerSec);
  const peak = Math.max(0, ...rates);
  const unit = rateUnit(rates);
  const weights = (m: Map<string, number>) => [...m].map(([name, weight]) => ({ name, weight }));
  const sizes = (xs: number[]): Dist => {
    if (xs.length === 0) return { kind: 'fixed', value: 256 };
    const sorted = [...xs].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    return at(0.99) > at(0.5)
      ? { kind: 'lognormal', median: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1]! }
      : { kind: 'fixed', value: at(0.5) };
  };
  return {
    scenarios: {
      trace: {
        executor: 'ramping-arrival-rate',
        startRate: 0,
        timeUnit: unit.timeUnit,
        stages: stages.map((s) => ({
          duration: dur(s.durationMs),
          target: Math.round(s.targetPerSec * unit.perSec),
        })),
        ...vuSizing(peak, o.worstRequestMs),
        gracefulStop: dur(o.drainMs),
      },
    },
    mix: {
      models: models.size > 0 ? weights(models) : [{ name: 'gpt-4o-mini', weight: 1 }],
      promptTokens: sizes(prompts),
      maxTokens: sizes(maxTokens),
      streamFraction: n > 0 ? streams / n : 0,
      apiKeys: keys.size > 0 ? weights(keys).map((k) => ({ key: k.name, weight: k.weight })) : [],
      ...(endpoints.size > 0
        ? { endpoints: weights(endpoints) as NonNullable<RequestMix['endpoints']> }
        : {}),
    },
    thinkTimeMs: null,
    peakRatePerSec: peak,
    exact: [],
    approximations: [
      `trace replay: k6 has no timestamped trace executor, so the ${n} recorded arrivals are counted per ${dur(binMs)} and replayed as an evenly spaced rate per bin (ramping-arrival-rate)`,
      "trace replay: each request's model, key, endpoint and size are drawn from the trace's proportions, not replayed one by one",
    ],
  };
}
