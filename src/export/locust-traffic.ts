import { SquallError } from '../errors.ts';
import { flat } from '../traffic/arrivals/constant.ts';
import { dailySegments } from '../traffic/arrivals/daily.ts';
import { rampSegments } from '../traffic/arrivals/ramping.ts';
import { spikeSegments } from '../traffic/arrivals/spike.ts';
import type { ArrivalSpec, RateSegment } from '../traffic/arrivals/types.ts';
import type { Dist } from '../traffic/dist.ts';
import type { RequestMix } from '../traffic/mix.ts';
import type { TrafficSpec } from '../traffic/source.ts';

/**
 * squall traffic → the TRAFFIC and MIX constants of a locustfile. The open model's rate curve is written
 * as squall's own rate segments (the same ones squall inverts to place arrivals), so the locustfile's
 * dispatchers compute the very arrival times squall does; the closed model maps to Locust's own users.
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
  | { kind: 'closed'; durationMs: number; drainMs: number; virtualUsers: number; thinkTimeMs: Dist };

export interface TrafficTranslation {
  traffic: LocustTraffic;
  mix: RequestMix;
  exact: string[];
  approximations: string[];
}

/** Rate segments kept in the file; past this (a daily curve over weeks) the file would be megabytes. */
export const MAX_SEGMENTS = 20_000;

export function toLocustTraffic(
  spec: TrafficSpec,
  o: { durationMs: number; drainMs: number },
): TrafficTranslation {
  const { durationMs, drainMs } = o;
  if (spec.model === 'trace') {
    throw new SquallError('ERR_SQUALL_INVALID_CONFIG', 'a trace replay cannot be exported to Locust yet', {
      hint: '`squall export k6` bins a trace into a rate curve; for Locust, describe the traffic with arrivals',
    });
  }
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
