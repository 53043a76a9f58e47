import { invalidTraffic, isNonNegativeFinite, isPositiveFinite } from '../errors.ts';
import { clipSegment, curveCount, curveTimes } from './curve.ts';
import type { ArrivalProcess, ArrivalSpec, RateSegment } from './types.ts';

type DailySpec = Extract<ArrivalSpec, { kind: 'daily' }>;

export const DAY_MS = 24 * 3_600_000;
/** The cosine is followed in this many straight pieces per period (one per minute of a day); the count
 *  differs from the exact integral by a few parts per million, and the peak falls exactly on a piece edge. */
const PIECES_PER_PERIOD = 1440;
const MIN_PERIOD_MS = 1000;

/** A day-shaped curve: rate(t) = mean · (1 + amplitude · cos(2π (t − peakAt) / period)). */
export const daily: ArrivalProcess<DailySpec> = {
  validate(spec) {
    if (!isPositiveFinite(spec.meanRatePerSec)) {
      throw invalidTraffic(
        'arrivals.mean_rate',
        `a rate must be greater than zero, got ${spec.meanRatePerSec}`,
        'use a positive rate such as 2000/min',
      );
    }
    if (!(spec.amplitude >= 0 && spec.amplitude <= 1)) {
      throw invalidTraffic(
        'arrivals.amplitude',
        `expected an amplitude between 0 and 1, got ${spec.amplitude}`,
        '0.6 swings the rate between 40% and 160% of the mean',
      );
    }
    if (spec.periodMs !== undefined && !(isPositiveFinite(spec.periodMs) && spec.periodMs >= MIN_PERIOD_MS)) {
      throw invalidTraffic(
        'arrivals.period',
        `a period must be at least 1s, got ${spec.periodMs} ms`,
        'e.g. 24h',
      );
    }
    if (spec.peakAtMs !== undefined && !isNonNegativeFinite(spec.peakAtMs)) {
      throw invalidTraffic('arrivals.peak_at', `cannot peak at ${spec.peakAtMs} ms`, 'e.g. peak_at: 14h');
    }
  },
  times: (spec, durationMs, rng) =>
    curveTimes(dailySegments(spec, durationMs), durationMs, rng, spec.poisson),
  expectedCount: (spec, durationMs) => curveCount(dailySegments(spec, durationMs), durationMs),
};

export function* dailySegments(spec: DailySpec, durationMs: number): Generator<RateSegment, void, undefined> {
  const periodMs = spec.periodMs ?? DAY_MS;
  const peakAtMs = spec.peakAtMs ?? periodMs / 2;
  const stepMs = periodMs / PIECES_PER_PERIOD;
  const rateAt = (tMs: number) =>
    spec.meanRatePerSec * (1 + spec.amplitude * Math.cos((2 * Math.PI * (tMs - peakAtMs)) / periodMs));
  // Piece edges sit at peakAt + j·step, so the peak is an edge whatever the run's start.
  let j = Math.floor((0 - peakAtMs) / stepMs);
  for (;;) {
    const startMs = Math.max(0, peakAtMs + j * stepMs);
    const endMs = peakAtMs + (j + 1) * stepMs;
    j++;
    if (endMs <= startMs) continue;
    if (startMs >= durationMs) return;
    yield clipSegment(
      { startMs, endMs, fromRatePerSec: rateAt(startMs), toRatePerSec: rateAt(endMs) },
      durationMs,
    );
  }
}
