import { describe, expect, it } from 'vitest';
import { AttemptDraws } from '../../../mock-upstream/model/draws.ts';
import { sampleLatencyMs, streamGapsMs } from '../../../mock-upstream/model/latency.ts';
import type { LatencySpec } from '../../../mock-upstream/types.ts';
import { Rng } from '../../../src/sim/rng.ts';

function draws(spec: LatencySpec, n = 20_000, seed = 'lat'): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => sampleLatencyMs(spec, rng)).sort((a, b) => a - b);
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

describe('sampleLatencyMs', () => {
  it('fixed is always the value', () => {
    expect(new Set(draws({ kind: 'fixed', ms: 250 }, 100))).toEqual(new Set([250]));
  });

  it('uniform stays within [minMs, maxMs] and fills it', () => {
    const d = draws({ kind: 'uniform', minMs: 100, maxMs: 300 });
    expect(d[0]!).toBeGreaterThanOrEqual(100);
    expect(d.at(-1)!).toBeLessThan(300);
    expect(quantile(d, 0.5)).toBeGreaterThan(195);
    expect(quantile(d, 0.5)).toBeLessThan(205);
  });

  it('lognormal matches the configured median and p99', () => {
    const d = draws({ kind: 'lognormal', medianMs: 800, p99Ms: 4000 });
    expect(quantile(d, 0.5) / 800).toBeGreaterThan(0.95);
    expect(quantile(d, 0.5) / 800).toBeLessThan(1.05);
    expect(quantile(d, 0.99) / 4000).toBeGreaterThan(0.9);
    expect(quantile(d, 0.99) / 4000).toBeLessThan(1.1);
  });

  it('a capped lognormal never exceeds maxMs and redraws rather than piling up at the cap', () => {
    const d = draws({ kind: 'lognormal', medianMs: 800, p99Ms: 4000, maxMs: 2000 });
    expect(d.at(-1)!).toBeLessThanOrEqual(2000);
    // ~9% of draws exceed 2000 ms uncapped; with three redraws only ~9%^4 stay clamped.
    expect(d.filter((x) => x === 2000).length).toBeLessThan(10);
    // Redrawing truncates the tail, so the median is that of the truncated law: ~738 ms.
    expect(quantile(d, 0.5)).toBeGreaterThan(715);
    expect(quantile(d, 0.5)).toBeLessThan(760);
  });
});

describe('streamGapsMs', () => {
  it('gives one delay per token: 0 before the first, then 1000/tokensPerSec ± jitter', () => {
    const gaps = streamGapsMs(
      { ttft: { kind: 'fixed', ms: 0 }, tokensPerSec: 50, jitter: 0.2 },
      5000,
      new Rng('g'),
    );
    expect(gaps).toHaveLength(5000);
    expect(gaps[0]).toBe(0);
    const rest = gaps.slice(1);
    expect(Math.min(...rest)).toBeGreaterThanOrEqual(16);
    expect(Math.max(...rest)).toBeLessThanOrEqual(24);
    const mean = rest.reduce((s, g) => s + g, 0) / rest.length;
    expect(mean).toBeGreaterThan(19.8);
    expect(mean).toBeLessThan(20.2);
  });

  it.each([
    { tokens: 0, length: 0 },
    { tokens: 1, length: 1 },
  ])('handles tiny streams: $tokens tokens', ({ tokens, length }) => {
    expect(
      streamGapsMs({ ttft: { kind: 'fixed', ms: 0 }, tokensPerSec: 50, jitter: 0 }, tokens, new Rng('g')),
    ).toHaveLength(length);
  });
});

describe('AttemptDraws (counter-based per-attempt draws)', () => {
  it('depends only on (seed, key, stream)', () => {
    const a = new AttemptDraws('s');
    const b = new AttemptDraws('s');
    const first = [a.reseed('k1', 1).next(), a.next()];
    b.reseed('zzz', 1).next();
    expect([b.reseed('k1', 1).next(), b.next()]).toEqual(first);
    expect(a.reseed('k2', 1).next()).not.toBe(first[0]);
    expect(a.reseed('k1', 2).next()).not.toBe(first[0]);
    expect(new AttemptDraws('t').reseed('k1', 1).next()).not.toBe(first[0]);
  });

  it('first draws over consecutive keys are uniform (chi-square over 20 bins)', () => {
    const d = new AttemptDraws('uniformity');
    const bins = new Array<number>(20).fill(0);
    const n = 40_000;
    for (let i = 0; i < n; i++) bins[Math.floor(d.reseed(`#${i}`, 1).next() * 20)]!++;
    const expected = n / 20;
    const chi2 = bins.reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
    // 19 degrees of freedom: p = 0.001 at 43.8.
    expect(chi2).toBeLessThan(43.8);
  });
});
