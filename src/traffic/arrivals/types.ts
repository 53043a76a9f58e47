import type { Rng } from '../../sim/rng.ts';

/**
 * Open-model arrival processes: when logical requests arrive, independent of how fast they are answered.
 * Rates are per second and times are ms from the start of the run. `poisson: true` turns an evenly spaced
 * shape into a Poisson process with the same time-varying rate (k6 spaces evenly, so that is the default).
 */
export type ArrivalSpec =
  | { kind: 'constant'; ratePerSec: number; poisson?: boolean }
  | { kind: 'poisson'; ratePerSec: number }
  | {
      kind: 'ramping';
      startRatePerSec: number;
      /** Linear ramps from the previous rate to `targetRatePerSec`, k6 `ramping-arrival-rate` style.
       *  Traffic ends with the last stage, as in k6; hold a rate with a stage whose target does not change. */
      stages: Array<{ durationMs: number; targetRatePerSec: number }>;
      poisson?: boolean;
    }
  | {
      kind: 'spike';
      baseRatePerSec: number;
      /** During a spike the rate is `ratePerSec` (it replaces the base rate). Spikes must not overlap. */
      spikes: Array<{ atMs: number; durationMs: number; ratePerSec: number }>;
      poisson?: boolean;
    }
  | {
      kind: 'daily';
      meanRatePerSec: number;
      /** 0..1: the rate swings between mean·(1 − amplitude) and mean·(1 + amplitude). */
      amplitude: number;
      /** Default 24 h. */
      periodMs?: number;
      /** When the rate peaks; default half a period (midday when the run starts at midnight). */
      peakAtMs?: number;
      poisson?: boolean;
    }
  | { kind: 'burst'; count: number; atMs: number };

export type ArrivalKind = ArrivalSpec['kind'];

/** A piece of a rate curve: the rate moves linearly from `fromRatePerSec` to `toRatePerSec` over [startMs, endMs). */
export interface RateSegment {
  startMs: number;
  endMs: number;
  fromRatePerSec: number;
  toRatePerSec: number;
}

/** One arrival process: one file, one registry line. */
export interface ArrivalProcess<S extends ArrivalSpec> {
  /** Throws ERR_SQUALL_INVALID_CONFIG (field, hint) for a spec that cannot run. */
  validate(spec: S): void;
  /** Arrival times in ms, ascending, in [0, durationMs), generated lazily. Same rng state → same times. */
  times(spec: S, durationMs: number, rng: Rng): Generator<number, void, undefined>;
  /** The mean number of arrivals in [0, durationMs) (exact for evenly spaced shapes up to rounding). */
  expectedCount(spec: S, durationMs: number): number;
}
