import { invalidTraffic, isNonNegativeFinite, isPositiveFinite } from '../errors.ts';
import { clipSegment, curveCount, curveTimes } from './curve.ts';
import type { ArrivalProcess, ArrivalSpec, RateSegment } from './types.ts';

type RampingSpec = Extract<ArrivalSpec, { kind: 'ramping' }>;

/** A limit on everything: more stages than this is a generated file gone wrong. */
export const MAX_STAGES = 10_000;

/** k6 `ramping-arrival-rate`: each stage ramps linearly to its target; traffic ends with the last stage. */
export const ramping: ArrivalProcess<RampingSpec> = {
  validate(spec) {
    if (!isNonNegativeFinite(spec.startRatePerSec)) {
      throw invalidTraffic(
        'arrivals.start_rate',
        `a start rate cannot be negative, got ${spec.startRatePerSec}`,
        'use 0 or a positive rate such as 10/s',
      );
    }
    if (spec.stages.length === 0 || spec.stages.length > MAX_STAGES) {
      throw invalidTraffic(
        'arrivals.stages',
        `expected 1 to ${MAX_STAGES} stages, got ${spec.stages.length}`,
        'e.g. stages: [{ duration: 5m, target: 100/s }, { duration: 10m, target: 100/s }]',
      );
    }
    spec.stages.forEach((stage, i) => {
      if (!isPositiveFinite(stage.durationMs)) {
        throw invalidTraffic(
          `arrivals.stages.${i}.duration`,
          `a stage must last longer than zero, got ${stage.durationMs} ms`,
          'write a duration such as 30s or 5m',
        );
      }
      if (!isNonNegativeFinite(stage.targetRatePerSec)) {
        throw invalidTraffic(
          `arrivals.stages.${i}.target`,
          `a target rate cannot be negative, got ${stage.targetRatePerSec}`,
          'use 0 (ramp down) or a positive rate such as 100/s',
        );
      }
    });
    if (spec.startRatePerSec === 0 && spec.stages.every((s) => s.targetRatePerSec === 0)) {
      throw invalidTraffic(
        'arrivals.stages',
        'every rate is zero, so no request would ever arrive',
        'give at least one stage a positive target such as 100/s',
      );
    }
  },
  times: (spec, durationMs, rng) => curveTimes(rampSegments(spec, durationMs), durationMs, rng, spec.poisson),
  expectedCount: (spec, durationMs) => curveCount(rampSegments(spec, durationMs), durationMs),
};

export function* rampSegments(
  spec: RampingSpec,
  durationMs: number,
): Generator<RateSegment, void, undefined> {
  let startMs = 0;
  let fromRatePerSec = spec.startRatePerSec;
  for (const stage of spec.stages) {
    if (startMs >= durationMs) return;
    const endMs = startMs + stage.durationMs;
    yield clipSegment({ startMs, endMs, fromRatePerSec, toRatePerSec: stage.targetRatePerSec }, durationMs);
    startMs = endMs;
    fromRatePerSec = stage.targetRatePerSec;
  }
}
