import { SquallError } from '../errors.ts';
import { flat } from '../traffic/arrivals/constant.ts';
import { dailySegments } from '../traffic/arrivals/daily.ts';
import { rampSegments } from '../traffic/arrivals/ramping.ts';
import { spikeSegments } from '../traffic/arrivals/spike.ts';
import type { ArrivalSpec, RateSegment } from '../traffic/arrivals/types.ts';
import type { Dist } from '../traffic/dist.ts';
import { DEFAULT_MIX, type RequestMix } from '../traffic/mix.ts';
import type { TrafficSpec } from '../traffic/source.ts';
import { loadTrace } from '../traffic/trace.ts';

/**
 * squall traffic → the TRAFFIC and MIX constants of a locustfile. The open model's rate curve is written
 * as squall's own rate segments (the same ones squall inverts to place arrivals), so the locustfile's
 * dispatchers compute the very arrival times squall does; a trace is written request by request; the
 * closed model maps to Locust's own users.
 */
export type LocustTraffic =
  | {
      kind: 'open';
      durationMs: number;
      drainMs: number;
      /** [startMs, endMs, fromRatePerSec, toRatePerSec], squall's RateSegment as a compact row. */
      segments: Array<[number, number, number, number]>;
      poisson: boolean;
    }
  | { kind: 'burst'; durationMs: number; drainMs: number; count: number; atMs: number }
  | {
      kind: 'trace';
      durationMs: number;
      drainMs: number;
      /** Every recorded request in the run, in arrival order: [id, arrivalMs, endpoint, model, promptTokens,
       *  maxTokens, stream, apiKey, user | null, feature | null]. */
      requests: TraceRow[];
    }
  | { kind: 'closed'; durationMs: number; drainMs: number; virtualUsers: number; thinkTimeMs: Dist };

export type TraceRow = [
  string,
  number,
  string,
  string,
  number,
  number,
  boolean,
  string,
  string | null,
  string | null,
];

export interface TrafficTranslation {
  traffic: LocustTraffic;
  mix: RequestMix;
  exact: string[];
  approximations: string[];
}

/** Rate segments kept in the file; past this (a daily curve over weeks) the file would be megabytes. */
export const MAX_SEGMENTS = 20_000;
/** Trace requests written into the file (about 100 bytes each). */
export const MAX_TRACE_REQUESTS = 100_000;

export function toLocustTraffic(
  spec: TrafficSpec,
  o: { durationMs: number; drainMs: number },
): TrafficTranslation {
  const { durationMs, drainMs } = o;
  if (spec.model === 'trace') return traceTraffic(spec.file, spec.timeScale, o);
  if (spec.model === 'closed') {
    return {
      traffic: {
        kind: 'closed',
        durationMs,
        drainMs,
        virtualUsers: spec.virtualUsers,
        thinkTimeMs: spec.thinkTimeMs,
      },
      mix: spec.mix,
      exact: [
        `closed model: ${spec.virtualUsers} Locust users, each sending its next request after the previous one (all its attempts) and its think time`,
      ],
      approximations: [
        "closed model: Locust spawns the users over about a second (squall starts them all at 0), and each user's think times are Python's draws",
      ],
    };
  }
  const a = spec.arrivals;
  if (a.kind === 'burst') {
    return {
      traffic: { kind: 'burst', durationMs, drainMs, count: a.count, atMs: a.atMs },
      mix: spec.mix,
      exact: [
        `burst: ${a.count} requests at ${a.atMs} ms, numbered r0… as squall numbers them, dealt round-robin to the workers`,
      ],
      approximations: [],
    };
  }
  const poisson = a.kind === 'poisson' || ('poisson' in a && a.poisson === true);
  const segments = [...segmentsOf(a, durationMs)].map((s): [number, number, number, number] => [
    s.startMs,
    s.endMs,
    s.fromRatePerSec,
    s.toRatePerSec,
  ]);
  if (segments.length > MAX_SEGMENTS) {
    throw new SquallError(
      'ERR_SQUALL_INVALID_CONFIG',
      `the arrival curve has ${segments.length} pieces over the scenario's duration; a locustfile holds at most ${MAX_SEGMENTS}`,
      { hint: 'export a shorter duration (a daily curve has 1440 pieces a period)' },
    );
  }
  const shape = `${a.kind} rate curve (${segments.length} ${segments.length === 1 ? 'piece' : 'pieces'}, squall's own segments)`;
  return {
    traffic: { kind: 'open', durationMs, drainMs, segments, poisson },
    mix: spec.mix,
    exact: poisson
      ? [
          `open model: ${shape}; Poisson arrivals, each of the W workers running its own Poisson process at 1/W of the rate (their sum is the same process)`,
        ]
      : [
          `open model: ${shape}; evenly spaced arrivals at squall's exact times, numbered r0, r1, … as squall numbers them and dealt round-robin to the workers`,
        ],
    approximations: poisson
      ? [
          "Poisson arrivals: the same process, but Python's draws, so not squall's arrival times or request ids",
        ]
      : [],
  };
}

/**
 * A trace is replayed request by request: its arrival times, ids (r0, r1, … as squall numbers them) and
 * recorded fields are written into the file and dealt round-robin to the workers, as squall replays it.
 */
function traceTraffic(
  file: string,
  timeScale: number | undefined,
  o: { durationMs: number; drainMs: number },
): TrafficTranslation {
  const trace = loadTrace(file, timeScale === undefined ? {} : { timeScale });
  const inRun = trace.requests.filter((r) => r.arrivalMs < o.durationMs);
  if (inRun.length > MAX_TRACE_REQUESTS) {
    throw new SquallError(
      'ERR_SQUALL_INVALID_CONFIG',
      `the trace has ${inRun.length} requests in the run; a locustfile holds at most ${MAX_TRACE_REQUESTS}`,
      { hint: 'export a shorter duration, or use `squall export k6`, which bins a trace into a rate curve' },
    );
  }
  const requests = inRun.map(
    (r): TraceRow => [
      r.id,
      r.arrivalMs,
      r.endpoint,
      r.model,
      r.promptTokens,
      r.maxTokens,
      r.stream,
      r.apiKey,
      r.user ?? null,
      r.feature ?? null,
    ],
  );
  const streams = inRun.filter((r) => r.stream).length;
  return {
    traffic: {
      kind: 'trace',
      // A trace may run "until its end" (duration Infinity): the last arrival bounds it.
      durationMs: Math.min(o.durationMs, (inRun.at(-1)?.arrivalMs ?? 0) + 1),
      drainMs: o.drainMs,
      requests,
    },
    mix: { ...DEFAULT_MIX, streamFraction: inRun.length > 0 ? streams / inRun.length : 0 },
    exact: [
      `trace replay: the ${requests.length} recorded requests at their recorded times${timeScale && timeScale !== 1 ? ` (×${timeScale} speed)` : ''}, with their ids (r0…), models, keys, sizes, streaming and endpoints, dealt round-robin to the workers`,
    ],
    approximations: [],
  };
}

function segmentsOf(a: Exclude<ArrivalSpec, { kind: 'burst' }>, durationMs: number): Iterable<RateSegment> {
  switch (a.kind) {
    case 'constant':
    case 'poisson':
      return flat(a.ratePerSec, durationMs);
    case 'ramping':
      return rampSegments(a, durationMs);
    case 'spike':
      return spikeSegments(a, durationMs);
    case 'daily':
      return dailySegments(a, durationMs);
  }
}
