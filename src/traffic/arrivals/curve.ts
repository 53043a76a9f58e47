import type { Rng } from '../../sim/rng.ts';
import type { RateSegment } from './types.ts';

/**
 * Arrivals from a time-varying rate by inverting its integral Λ(t) (expected arrivals in [0, t)):
 * - evenly spaced: the k-th arrival (k = 0, 1, …) is the first t with Λ(t) > k, so a constant rate gives
 *   exactly 0, 1/r, 2/r, … and a ramp integrates to its area;
 * - Poisson: the same map applied to a unit-rate Poisson process (sums of Exp(1) draws). This is the
 *   time-change theorem; it gives exactly the non-homogeneous Poisson process that thinning would, with
 *   one draw per arrival and no rate bound to know in advance.
 * Segments are consumed lazily, so a curve of millions of pieces never sits in memory.
 */

/** Arrival times are kept to whole microseconds, so float noise such as 29.999999999 ms never shows. */
export function roundMicros(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

export function segmentCount(s: RateSegment): number {
  return (((s.fromRatePerSec + s.toRatePerSec) / 2) * (s.endMs - s.startMs)) / 1000;
}

/** Offset into the segment (ms) at which `d` expected arrivals have accumulated, 0 ≤ d ≤ segmentCount. */
function offsetForCount(s: RateSegment, d: number): number {
  if (d <= 0) return 0;
  const lengthMs = s.endMs - s.startMs;
  // Λ(τ) = bτ + aτ², per ms; this root form stays exact when a → 0 and when a < 0 (ramping down).
  const b = s.fromRatePerSec / 1000;
  const a = (s.toRatePerSec - s.fromRatePerSec) / (2 * lengthMs * 1000);
  const offsetMs = (2 * d) / (b + Math.sqrt(Math.max(0, b * b + 4 * a * d)));
  return Math.min(lengthMs, offsetMs);
}

/** Times at which Λ first exceeds each target (targets must not decrease), stopping at durationMs. */
function* timesAtCounts(
  segments: Iterable<RateSegment>,
  nextTarget: () => number,
  durationMs: number,
): Generator<number, void, undefined> {
  let before = 0;
  let target = nextTarget();
  for (const s of segments) {
    if (s.startMs >= durationMs) return;
    const count = segmentCount(s);
    while (target < before + count) {
      const t = roundMicros(s.startMs + offsetForCount(s, target - before));
      if (t >= durationMs) return;
      yield t;
      target = nextTarget();
    }
    before += count;
  }
}

export function evenlySpaced(
  segments: Iterable<RateSegment>,
  durationMs: number,
): Generator<number, void, undefined> {
  let k = 0;
  return timesAtCounts(segments, () => k++, durationMs);
}

export function poissonTimes(
  segments: Iterable<RateSegment>,
  durationMs: number,
  rng: Rng,
): Generator<number, void, undefined> {
  let unitTime = 0;
  return timesAtCounts(
    segments,
    () => {
      unitTime += rng.exponential(1);
      return unitTime;
    },
    durationMs,
  );
}

export function curveTimes(
  segments: Iterable<RateSegment>,
  durationMs: number,
  rng: Rng,
  poisson: boolean | undefined,
): Generator<number, void, undefined> {
  return poisson ? poissonTimes(segments, durationMs, rng) : evenlySpaced(segments, durationMs);
}

/** Λ(durationMs): the mean number of arrivals. */
export function curveCount(segments: Iterable<RateSegment>, durationMs: number): number {
  let total = 0;
  for (const s of segments) {
    if (s.startMs >= durationMs) break;
    total += segmentCount(s);
  }
  return total;
}

/** Cuts a segment at durationMs, interpolating the rate at the cut. */
export function clipSegment(s: RateSegment, durationMs: number): RateSegment {
  if (s.endMs <= durationMs) return s;
  const f = (durationMs - s.startMs) / (s.endMs - s.startMs);
  return {
    ...s,
    endMs: durationMs,
    toRatePerSec: s.fromRatePerSec + f * (s.toRatePerSec - s.fromRatePerSec),
  };
}
