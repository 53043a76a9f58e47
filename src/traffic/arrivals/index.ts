import type { Rng } from '../../sim/rng.ts';
import { invalidTraffic } from '../errors.ts';
import { burst } from './burst.ts';
import { constant } from './constant.ts';
import { daily } from './daily.ts';
import { poisson } from './poisson.ts';
import { ramping } from './ramping.ts';
import { spike } from './spike.ts';
import type { ArrivalKind, ArrivalProcess, ArrivalSpec } from './types.ts';

export type { ArrivalKind, ArrivalProcess, ArrivalSpec, RateSegment } from './types.ts';

type Registry = { [K in ArrivalKind]: ArrivalProcess<Extract<ArrivalSpec, { kind: K }>> };

/** Every arrival process by kind. A new process is one file plus one line here. */
export const ARRIVAL_PROCESSES: Registry = { constant, poisson, ramping, spike, daily, burst };

export const ARRIVAL_KINDS = Object.keys(ARRIVAL_PROCESSES) as ArrivalKind[];

function processFor<S extends ArrivalSpec>(spec: S): ArrivalProcess<S> {
  const process = (ARRIVAL_PROCESSES as Record<string, ArrivalProcess<ArrivalSpec> | undefined>)[spec.kind];
  if (!process) {
    throw invalidTraffic(
      'arrivals.kind',
      `unknown arrival process ${JSON.stringify(spec.kind)}`,
      `known kinds: ${ARRIVAL_KINDS.join(', ')}`,
    );
  }
  return process as ArrivalProcess<S>;
}

/** Throws ERR_SQUALL_INVALID_CONFIG naming the field, before anything runs. */
export function validateArrivals(spec: ArrivalSpec): void {
  processFor(spec).validate(spec);
}

/** Arrival times in ms, ascending, in [0, durationMs), lazily. Pass `rng.fork('arrivals')`. */
export function arrivalTimes(
  spec: ArrivalSpec,
  durationMs: number,
  rng: Rng,
): Generator<number, void, undefined> {
  return processFor(spec).times(spec, durationMs, rng);
}

/** The mean number of arrivals in [0, durationMs). */
export function expectedArrivals(spec: ArrivalSpec, durationMs: number): number {
  return processFor(spec).expectedCount(spec, durationMs);
}
