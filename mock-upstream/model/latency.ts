import type { LatencySpec, StreamTiming } from '../types.ts';
import type { UniformSource } from './draws.ts';

/** z-score of the 99th percentile of the standard normal: turns (median, p99) into a lognormal sigma. */
const Z_P99 = 2.326_347_874;
/** A capped lognormal redraws this many times before clamping, so the cap trims the tail without a spike at maxMs. */
const CAP_REDRAWS = 3;

/** Standard normal by Box-Muller from two uniforms (1 - u keeps log away from 0). */
export function standardNormal(rng: UniformSource): number {
  const u = 1 - rng.next();
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Lognormal given the median and the 99th percentile, which is how people describe latency. */
export function sampleLognormal(medianMs: number, p99Ms: number, rng: UniformSource): number {
  const sigma = p99Ms > medianMs ? Math.log(p99Ms / medianMs) / Z_P99 : 0;
  return medianMs * Math.exp(sigma * standardNormal(rng));
}

/** One latency draw in ms (never negative). */
export function sampleLatencyMs(spec: LatencySpec, rng: UniformSource): number {
  switch (spec.kind) {
    case 'fixed':
      return Math.max(0, spec.ms);
    case 'uniform':
      return Math.max(0, spec.minMs + (spec.maxMs - spec.minMs) * rng.next());
    case 'lognormal': {
      let ms = sampleLognormal(spec.medianMs, spec.p99Ms, rng);
      if (spec.maxMs === undefined) return ms;
      for (let i = 0; i < CAP_REDRAWS && ms > spec.maxMs; i++)
        ms = sampleLognormal(spec.medianMs, spec.p99Ms, rng);
      return Math.min(ms, spec.maxMs);
    }
  }
}

/**
 * Delays of the tokens of a stream, one per token: entry i is the wait before token i is sent, so it lines up
 * with BodyPart.delayMs. Entry 0 is 0 (the first token goes out after the time to first token, which is
 * the decision's latencyMs); every later entry is an inter-token gap of 1000 / tokensPerSec × (1 ± jitter·u)
 * with u uniform in [-1, 1).
 */
export function streamGapsMs(timing: StreamTiming, tokens: number, rng: UniformSource): number[] {
  const n = Math.max(0, Math.floor(tokens));
  const baseMs = timing.tokensPerSec > 0 ? 1000 / timing.tokensPerSec : 0;
  const jitter = Math.min(1, Math.max(0, timing.jitter));
  const gaps = new Array<number>(n);
  if (n > 0) gaps[0] = 0;
  for (let i = 1; i < n; i++) gaps[i] = baseMs * (1 + jitter * (2 * rng.next() - 1));
  return gaps;
}
