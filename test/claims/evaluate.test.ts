import { describe, expect, it } from 'vitest';
import { evaluateClaim, intervalVerdict } from '../../src/claims/evaluate.ts';
import type { ThresholdOp } from '../../src/metrics/thresholds.ts';
import type { RunResult } from '../../src/runner/result.ts';
import { parseScenario } from '../../src/scenario/plan.ts';
import { syntheticResult } from '../report/helpers.ts';

/**
 * Judging claims over seeds. Results are built by hand (one per seed, two strategies) with the per-seed
 * amplification set, so each case's interval is known exactly.
 */
function runs(a: number[], b: number[]): RunResult[] {
  return a.map((x, i) => {
    const r = syntheticResult({ strategies: 2, seconds: 10, seed: `s${i}` });
    r.seed = String(i + 1);
    r.strategies[0]!.name = 'a';
    r.strategies[1]!.name = 'b';
    r.strategies[0]!.summary.amplification = x;
    r.strategies[1]!.summary.amplification = b[i]!;
    return r;
  });
}

const SCENARIO = (check: string) => `duration: 1m
traffic: { arrivals: { kind: constant, rate: 60/min } }
strategies: [{ name: a }, { name: b }]
claims:
  - text: the claim
    source: an article, a section
    article: "1.5x"
    check: '${check}'
`;

function claim(check: string) {
  return parseScenario('c.yaml', SCENARIO(check)).scenario.claims![0]!;
}

describe('intervalVerdict', () => {
  // [op, low, high, against, verdict]: every operator on both sides, straddling, and touching the boundary.
  const cases: Array<[ThresholdOp, number, number, number, string]> = [
    ['>', 0.1, 0.3, 0, 'confirmed'],
    ['>', 0, 0.3, 0, 'inconclusive'],
    ['>', -0.1, 0.3, 0, 'inconclusive'],
    ['>', -0.3, 0, 0, 'contradicted'],
    ['>', 0, 0, 0, 'contradicted'],
    ['>=', 0, 0.3, 0, 'confirmed'],
    ['>=', 0, 0, 0, 'confirmed'],
    ['>=', -0.3, 0, 0, 'inconclusive'],
    ['>=', -0.3, -0.1, 0, 'contradicted'],
    ['<', -0.3, -0.1, 0, 'confirmed'],
    ['<', -0.3, 0, 0, 'inconclusive'],
    ['<', 0, 0.3, 0, 'contradicted'],
    ['<', 0, 0, 0, 'contradicted'],
    ['<=', -0.3, 0, 0, 'confirmed'],
    ['<=', 0, 0, 0, 'confirmed'],
    ['<=', 0, 0.3, 0, 'inconclusive'],
    ['<=', 0.1, 0.3, 0, 'contradicted'],
    ['==', 2, 2, 2, 'confirmed'],
    ['==', 1.9, 2.1, 2, 'inconclusive'],
    ['==', 2.1, 2.3, 2, 'contradicted'],
    ['!=', 2.1, 2.3, 2, 'confirmed'],
    ['!=', 1.9, 2.1, 2, 'inconclusive'],
    ['!=', 2, 2, 2, 'contradicted'],
    ['>', 0.96, 0.99, 0.95, 'confirmed'],
    ['>', 0.9, 0.95, 0.95, 'contradicted'],
  ];
  it.each(cases)('%s on [%d, %d] against %d: %s', (op, low, high, t, verdict) => {
    expect(intervalVerdict(low, high, op, t)).toBe(verdict);
  });
});

describe('evaluateClaim', () => {
  it('confirms a comparison whose paired difference lies wholly on its side', () => {
    const r = evaluateClaim(
      claim('"a".amplification > "b".amplification'),
      runs([2, 2.2, 2.1, 2.3, 2], [1, 1.1, 1, 1.2, 1.1]),
    );
    expect(r.verdict).toBe('confirmed');
    expect(r.measured.quantity).toBe('"a".amplification − "b".amplification');
    expect(r.measured.seeds).toBe(5);
    expect(r.measured.values.map((v) => Math.round(v! * 10) / 10)).toEqual([1, 1.1, 1.1, 1.1, 0.9]);
    expect(r.measured.mean).toBeCloseTo(1.04, 10);
    expect(r.measured.ci95![0]).toBeGreaterThan(0);
    expect(r.measured.left.mean).toBeCloseTo(2.12, 10);
    expect(r.measured.right.mean).toBeCloseTo(1.08, 10);
    expect(r).toMatchObject({ text: 'the claim', source: 'an article, a section', article: '1.5x' });
  });

  it('contradicts it when the difference lies wholly on the other side, and is inconclusive when seeds disagree', () => {
    const c = claim('"a".amplification > "b".amplification');
    expect(evaluateClaim(c, runs([1, 1, 1, 1, 1], [2, 2.1, 2, 2.2, 2])).verdict).toBe('contradicted');
    const mixed = evaluateClaim(c, runs([2, 1, 2, 1, 2], [1, 2, 1, 2, 1]));
    expect(mixed.verdict).toBe('inconclusive');
    expect(mixed.measured.ci95![0]).toBeLessThan(0);
    expect(mixed.measured.ci95![1]).toBeGreaterThan(0);
  });

  it('pairs the seeds: a shared seed-to-seed swing does not hide a consistent difference', () => {
    // Unpaired, the two sides' intervals overlap widely; paired, b beats a by 0.1 in every seed.
    const a = [1, 3, 5, 2, 4];
    const r = evaluateClaim(
      claim('"a".amplification < "b".amplification'),
      runs(
        a,
        a.map((x) => x + 0.1),
      ),
    );
    expect(r.verdict).toBe('confirmed');
    expect(r.measured.ci95![0]).toBeCloseTo(-0.1, 10);
    expect(r.measured.ci95![1]).toBeCloseTo(-0.1, 10);
  });

  it('judges a metric against a number on the metric itself', () => {
    const r = evaluateClaim(
      claim('"a".amplification <= 1.5'),
      runs([1.1, 1.2, 1.1, 1.3, 1.2], [9, 9, 9, 9, 9]),
    );
    expect(r.verdict).toBe('confirmed');
    expect(r.measured.quantity).toBe('"a".amplification');
    expect(r.measured.against).toBe(1.5);
    expect(r.measured.mean).toBeCloseTo(1.18, 10);
  });

  it('is inconclusive with one seed: no spread, no interval', () => {
    const r = evaluateClaim(claim('"a".amplification > "b".amplification'), runs([3], [1]));
    expect(r.verdict).toBe('inconclusive');
    expect(r.reason).toMatch(/at least 2/);
  });

  it('says which side has no value instead of judging it', () => {
    const rs = runs([2, 2, 2], [1, 1, 1]);
    rs[1]!.strategies[1]!.summary.amplification = null;
    const r = evaluateClaim(claim('"a".amplification > "b".amplification'), rs);
    expect(r.verdict).toBe('inconclusive');
    expect(r.reason).toMatch(/"b".amplification has no value in seed 2/);
    expect(r.measured.values).toEqual([1, null, 1]);
  });

  it('judges seed by seed when a side never recovered (an infinite value has no interval)', () => {
    const rs = runs([1, 1, 1], [1, 1, 1]);
    for (const r of rs) {
      r.strategies[0]!.summary.recovery = [{ ...r.strategies[0]!.summary.recovery[0]!, recoveryMs: 5000 }];
      r.strategies[1]!.summary.recovery = [{ ...r.strategies[1]!.summary.recovery[0]!, recoveryMs: null }];
    }
    const r = evaluateClaim(claim('"a".recovery_time < "b".recovery_time'), rs);
    expect(r.verdict).toBe('confirmed');
    expect(r.measured.ci95).toBeNull();
    expect(r.reason).toMatch(/never recovered in 3 of 3 seeds.*holds in 3 of 3/);
  });
});
