import { invalidTraffic, isNonNegativeFinite, isPositiveFinite } from '../errors.ts';
import { clipSegment, curveCount, curveTimes } from './curve.ts';
import type { ArrivalProcess, ArrivalSpec, RateSegment } from './types.ts';

type SpikeSpec = Extract<ArrivalSpec, { kind: 'spike' }>;

export const MAX_SPIKES = 10_000;

/** A steady base rate with flash-sale spikes: the rate steps to the spike's level and back. */
export const spike: ArrivalProcess<SpikeSpec> = {
  validate(spec) {
    if (!isNonNegativeFinite(spec.baseRatePerSec)) {
      throw invalidTraffic(
        'arrivals.base_rate',
        `a base rate cannot be negative, got ${spec.baseRatePerSec}`,
        'use 0 or a positive rate such as 10/s',
      );
    }
    if (spec.spikes.length > MAX_SPIKES) {
      throw invalidTraffic(
        'arrivals.spikes',
        `at most ${MAX_SPIKES} spikes, got ${spec.spikes.length}`,
        'merge spikes',
      );
    }
    const sorted = sortedSpikes(spec);
    sorted.forEach(({ s, i }, k) => {
      if (!isNonNegativeFinite(s.atMs)) {
        throw invalidTraffic(
          `arrivals.spikes.${i}.at`,
          `a spike cannot start at ${s.atMs} ms`,
          'e.g. at: 10m',
        );
      }
      if (!isPositiveFinite(s.durationMs)) {
        throw invalidTraffic(
          `arrivals.spikes.${i}.duration`,
          `a spike must last longer than zero, got ${s.durationMs} ms`,
          'e.g. duration: 2m',
        );
      }
      if (!isNonNegativeFinite(s.ratePerSec)) {
        throw invalidTraffic(
          `arrivals.spikes.${i}.rate`,
          `a spike rate cannot be negative, got ${s.ratePerSec}`,
          'the rate during the spike, e.g. 500/s',
        );
      }
      const prev = sorted[k - 1];
      if (prev && prev.s.atMs + prev.s.durationMs > s.atMs) {
        throw invalidTraffic(
          `arrivals.spikes.${i}`,
          `spike ${i} (at ${s.atMs} ms) overlaps spike ${prev.i} (${prev.s.atMs}–${prev.s.atMs + prev.s.durationMs} ms)`,
          'spikes must not overlap; during a spike its rate replaces the base rate',
        );
      }
    });
    if (spec.baseRatePerSec === 0 && spec.spikes.every((s) => s.ratePerSec === 0)) {
      throw invalidTraffic(
        'arrivals',
        'every rate is zero, so no request would ever arrive',
        'give the base rate or a spike a positive rate',
      );
    }
  },
  times: (spec, durationMs, rng) =>
    curveTimes(spikeSegments(spec, durationMs), durationMs, rng, spec.poisson),
  expectedCount: (spec, durationMs) => curveCount(spikeSegments(spec, durationMs), durationMs),
};

function sortedSpikes(spec: SpikeSpec) {
  return spec.spikes.map((s, i) => ({ s, i })).sort((a, b) => a.s.atMs - b.s.atMs || a.i - b.i);
}

export function* spikeSegments(spec: SpikeSpec, durationMs: number): Generator<RateSegment, void, undefined> {
  const base = spec.baseRatePerSec;
  let cursorMs = 0;
  const step = (endMs: number, ratePerSec: number): RateSegment | undefined =>
    endMs > cursorMs && cursorMs < durationMs
      ? clipSegment(
          { startMs: cursorMs, endMs, fromRatePerSec: ratePerSec, toRatePerSec: ratePerSec },
          durationMs,
        )
      : undefined;
  for (const { s } of sortedSpikes(spec)) {
    const gap = step(s.atMs, base);
    if (gap) yield gap;
    cursorMs = Math.max(cursorMs, s.atMs);
    const during = step(s.atMs + s.durationMs, s.ratePerSec);
    if (during) yield during;
    cursorMs = s.atMs + s.durationMs;
  }
  const tail = step(durationMs, base);
  if (tail) yield tail;
}
