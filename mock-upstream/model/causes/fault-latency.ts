import { DRAW_STREAM } from '../draws.ts';
import { outcomeRow } from '../fault-kinds.ts';
import { sampleLatencyMs } from '../latency.ts';
import type { UpstreamCause } from './cause.ts';

/**
 * Latency per fault kind (`upstream.fault_latency`, per phase too): how long the upstream takes to fail
 * that way, whichever step produced the outcome (a scheduled 503 and a capacity 503 alike). Outages are
 * slow where reality is slow (a gateway that answers 502 after its own 60 s timeout, an overloaded
 * engine answering 503 after seconds) and fast where it is fast (a limiter's 429). A phase's entry beats
 * the upstream's; a kind with neither keeps its row's default (fault-kinds.ts). For a kind that hangs
 * (timeout, stream stalls) the latency is how long the server holds the connection, capped by maxHangMs.
 *
 * Source: the seed article "How I Learned to Stop Worrying and Build Resilient OpenAI API Calls" (the
 * breaker story): a competitor's "threads were all blocked waiting on OpenAI responses" during an outage,
 * which a 0 ms 503 cannot reproduce.
 */
export const faultLatency: UpstreamCause = {
  name: 'latency per fault kind',
  key: 'upstream.fault_latency, phases[].fault_latency',
  source:
    'seed article "How I Learned to Stop Worrying and Build Resilient OpenAI API Calls" (threads blocked on failing calls)',
  shape(d, { ctx, fx, key }) {
    if (d.outcome === 'ok') return;
    const spec = fx.faultLatency?.[d.outcome] ?? ctx.config.faultLatency?.[d.outcome];
    if (spec === undefined) return;
    const ms = sampleLatencyMs(spec, ctx.draws.reseed(key, DRAW_STREAM.faultLatency));
    if (outcomeRow(d.outcome).hangs) d.hangMs = Math.min(ms, ctx.config.maxHangMs);
    else d.latencyMs = ms;
  },
};
