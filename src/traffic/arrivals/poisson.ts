import type { Rng } from '../../sim/rng.ts';
import { constant, flat } from './constant.ts';
import { curveCount, poissonTimes } from './curve.ts';
import type { ArrivalProcess, ArrivalSpec } from './types.ts';

type PoissonSpec = Extract<ArrivalSpec, { kind: 'poisson' }>;

/** Exponential gaps with mean 1/rate: independent arrivals, the way real users show up. */
export const poisson: ArrivalProcess<PoissonSpec> = {
  validate: (spec) => constant.validate({ kind: 'constant', ratePerSec: spec.ratePerSec }),
  times: (spec, durationMs: number, rng: Rng) =>
    poissonTimes(flat(spec.ratePerSec, durationMs), durationMs, rng),
  expectedCount: (spec, durationMs) => curveCount(flat(spec.ratePerSec, durationMs), durationMs),
};
