import type { LatencySpec } from '../../types.ts';
import type { DecideContext } from '../decide.ts';
import { DRAW_STREAM } from '../draws.ts';
import { sampleLatencyMs } from '../latency.ts';
import type { UpstreamCause } from './cause.ts';

/**
 * Network time on every answer: successes, errors, rejections, resets and refusals all take at least one
 * round trip, so no client can make two attempts at the same instant, and a fast rejection is fast, not
 * free. The round trip is drawn per attempt from its own sub-stream (the decision stays a function of
 * seed and attempt key) and added before the answer reaches the client (Decision.networkMs; reply.ts puts
 * it in front of the headers, the reset or the refusal, so every front plays it the same way).
 *
 * Default for scenario files (DEFAULT_RTT): a client and the API in nearby cloud regions, median 5 ms,
 * p99 20 ms, never more than 100 ms. AWS's own inter-region latency dashboard ("AWS Network Manager:
 * Infrastructure Performance", AWS) puts nearby regions at a few ms to ~15 ms, and same-region
 * availability zones at ~0.5-2 ms; a TLS-terminating edge in front of the API adds a few ms more.
 */
export const DEFAULT_RTT: LatencySpec = { kind: 'lognormal', medianMs: 5, p99Ms: 20, maxMs: 100 };

export const networkRtt: UpstreamCause = {
  name: 'network round trip',
  key: 'upstream.network.rtt',
  source: 'AWS Network Manager, Infrastructure Performance (inter-region and intra-region latency), AWS',
  shape(d, { ctx, key }) {
    if (ctx.config.networkRtt !== undefined) d.networkMs = networkMsOf(ctx, key);
  },
};

/** The round trip of the answer to the attempt named `key` (0 without `networkRtt`). */
export function networkMsOf(ctx: DecideContext, key: string): number {
  const spec = ctx.config.networkRtt;
  return spec === undefined ? 0 : sampleLatencyMs(spec, ctx.draws.reseed(key, DRAW_STREAM.rtt));
}
