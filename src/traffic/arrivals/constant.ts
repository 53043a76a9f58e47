import { invalidTraffic, isPositiveFinite } from '../errors.ts';
import { curveCount, curveTimes } from './curve.ts';
import type { ArrivalProcess, ArrivalSpec, RateSegment } from './types.ts';

type ConstantSpec = Extract<ArrivalSpec, { kind: 'constant' }>;

/** k6 `constant-arrival-rate`: one arrival every 1/rate, the first at 0. */
export const constant: ArrivalProcess<ConstantSpec> = {
  validate(spec) {
    if (!isPositiveFinite(spec.ratePerSec)) {
      throw invalidTraffic(
        'arrivals.rate',
        `a rate must be greater than zero, got ${spec.ratePerSec}`,
        'use a positive rate such as 2000/min',
      );
    }
  },
  times: (spec, durationMs, rng) =>
    curveTimes(flat(spec.ratePerSec, durationMs), durationMs, rng, spec.poisson),
  expectedCount: (spec, durationMs) => curveCount(flat(spec.ratePerSec, durationMs), durationMs),
};

export function flat(ratePerSec: number, durationMs: number): RateSegment[] {
  return [{ startMs: 0, endMs: durationMs, fromRatePerSec: ratePerSec, toRatePerSec: ratePerSec }];
}
