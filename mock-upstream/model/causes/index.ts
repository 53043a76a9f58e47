import { capacityReject } from './capacity-reject.ts';
import type { UpstreamCause } from './cause.ts';
import { faultLatency } from './fault-latency.ts';
import { keyState } from './key-state.ts';
import { networkRtt } from './network-rtt.ts';
import { quantizedLimits } from './quantum.ts';
import { serverRetryAfter } from './retry-after.ts';

export type { CauseInput, UpstreamCause } from './cause.ts';

/**
 * The upstream's causes, one line each. Gates run in this order before any fault is drawn; shapes run in
 * this order on every decision (the network round trip last: it is added to whatever the answer takes).
 */
export const UPSTREAM_CAUSES: readonly UpstreamCause[] = [
  keyState,
  quantizedLimits,
  capacityReject,
  faultLatency,
  serverRetryAfter,
  networkRtt,
];
