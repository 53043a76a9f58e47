import { invalidTraffic, isNonNegativeFinite } from '../errors.ts';
import type { ArrivalProcess, ArrivalSpec } from './types.ts';

type BurstSpec = Extract<ArrivalSpec, { kind: 'burst' }>;

export const MAX_BURST = 1_000_000;

/** N requests at one instant (a cron job, a retry wave, a thundering herd after an outage). */
export const burst: ArrivalProcess<BurstSpec> = {
  validate(spec) {
    if (!(Number.isInteger(spec.count) && spec.count > 0 && spec.count <= MAX_BURST)) {
      throw invalidTraffic(
        'arrivals.count',
        `a burst needs a whole number of requests from 1 to ${MAX_BURST}, got ${spec.count}`,
        'e.g. count: 500',
      );
    }
    if (!isNonNegativeFinite(spec.atMs)) {
      throw invalidTraffic('arrivals.at', `a burst cannot happen at ${spec.atMs} ms`, 'e.g. at: 30s');
    }
  },
  *times(spec, durationMs) {
    if (spec.atMs >= durationMs) return;
    for (let i = 0; i < spec.count; i++) yield spec.atMs;
  },
  expectedCount: (spec, durationMs) => (spec.atMs < durationMs ? spec.count : 0),
};
