import { describe, expect, it } from 'vitest';
import { type VerdictKey, verdictTable } from '../../src/report/index.ts';
import type { RunResult } from '../../src/runner/result.ts';
import { syntheticResult } from './helpers.ts';

/** A synthetic run whose strategies carry the given values in one place each. */
function runWith(edit: Array<(r: RunResult['strategies'][number]) => void>): RunResult {
  const r = syntheticResult({ strategies: edit.length, seconds: 60 });
  for (const [i, s] of r.strategies.entries()) edit[i]!(s);
  return r;
}

const success = (v: number | null) => (s: RunResult['strategies'][number]) => {
  s.summary.successRate = v;
};
const recovery =
  (...ms: Array<number | null>) =>
  (s: RunResult['strategies'][number]) => {
    s.summary.recovery = ms.map((recoveryMs, i) => ({
      name: `w${i}`,
      startMs: 0,
      endMs: 1000,
      recoveryMs,
      baselineSuccessRate: 1,
    }));
  };

/** Rows in the scenario's order (the table itself is ranked by the objective). */
function rowsOf(r: RunResult, thresholds?: Parameters<typeof verdictTable>[1]) {
  return [...verdictTable(r, thresholds).rows].sort((a, b) => a.index - b.index);
}

function bestOf(r: RunResult, key: VerdictKey): boolean[] {
  return rowsOf(r).map((row) => row.cells[key].best);
}

describe('verdictTable best marking', () => {
  it.each([
    {
      name: 'higher success wins',
      edits: [success(0.9), success(0.95), success(0.8)],
      best: [false, true, false],
    },
    {
      name: 'ties are all marked',
      edits: [success(0.95), success(0.95), success(0.8)],
      best: [true, true, false],
    },
    { name: 'all equal marks nothing', edits: [success(0.9), success(0.9)], best: [false, false] },
    { name: 'a single strategy is not "best"', edits: [success(0.9)], best: [false] },
    { name: 'no value is never best', edits: [success(null), success(0.5)], best: [false, false] },
  ])('$name', ({ edits, best }) => {
    expect(bestOf(runWith(edits), 'successRate')).toEqual(best);
  });

  it('ranks recovery by the slowest window, "never" last', () => {
    const r = runWith([recovery(1000, 9000), recovery(5000, 4000), recovery(1000, null)]);
    const rows = rowsOf(r);
    expect(rows.map((x) => x.cells.recovery.value)).toEqual([9000, 5000, null]);
    expect(rows.map((x) => x.cells.recovery.text)).toEqual(['9.00 s', '5.00 s', 'never']);
    expect(rows.map((x) => x.cells.recovery.best)).toEqual([false, true, false]);
  });

  it('ignores fault windows that last to the end of the run (nothing to recover in)', () => {
    const r = runWith([recovery(null), recovery(null)]);
    for (const s of r.strategies) s.summary.recovery[0]!.endMs = s.summary.durationMs;
    expect(rowsOf(r).map((x) => x.cells.recovery.text)).toEqual(['—', '—']);
  });

  it('lower is better for latency, amplification, wasted retries and cost', () => {
    const r = runWith([
      (s) => {
        s.summary.successLatencyMs = { ...s.summary.successLatencyMs, p95: 100 };
        s.summary.amplification = 2;
        s.summary.attempts.wastedRetries = 0;
        s.summary.cost = null;
      },
      (s) => {
        s.summary.successLatencyMs = { ...s.summary.successLatencyMs, p95: 200 };
        s.summary.amplification = 1.1;
        s.summary.attempts.wastedRetries = 5;
        s.summary.cost = { pricePer1kTokens: 1, total: 3, abandoned: 0 };
      },
      (s) => {
        s.summary.successLatencyMs = { ...s.summary.successLatencyMs, p95: 300 };
        s.summary.amplification = 1.5;
        s.summary.attempts.wastedRetries = 5;
        s.summary.cost = { pricePer1kTokens: 1, total: 2, abandoned: 0 };
      },
    ]);
    expect(bestOf(r, 'p95')).toEqual([true, false, false]);
    expect(bestOf(r, 'amplification')).toEqual([false, true, false]);
    expect(bestOf(r, 'wastedRetries')).toEqual([true, false, false]);
    expect(bestOf(r, 'cost')).toEqual([false, false, true]);
    expect(rowsOf(r)[0]!.cells.cost.text).toBe('—');
  });

  it('tallies thresholds per strategy, null when none apply', () => {
    const r = runWith([success(0.9), success(0.8)]);
    const t = (strategy: string, pass: boolean) => ({
      strategy,
      expression: 'x',
      metric: 'x',
      observed: 1,
      limit: 1,
      op: '<',
      pass,
      message: '',
    });
    const rows = rowsOf(r, [t('strategy-0', true), t('strategy-0', false), t('strategy-0', true)]);
    expect(rows[0]!.thresholds).toEqual({ passed: 2, total: 3 });
    expect(rows[1]!.thresholds).toBeNull();
  });
});

describe('verdictTable honesty', () => {
  it('never lets failing fast win a latency column: latency is of successes, failure latency is apart', () => {
    const r = runWith([
      // A breaker: fails in 1 ms, its few successes are slow.
      (s) => {
        s.summary.latencyMs = { ...s.summary.latencyMs, p50: 1, p95: 2 };
        s.summary.successLatencyMs = { ...s.summary.successLatencyMs, p50: 900, p95: 3000 };
        s.summary.failureLatencyMs = { ...s.summary.failureLatencyMs, p50: 1, p95: 1 };
      },
      (s) => {
        s.summary.latencyMs = { ...s.summary.latencyMs, p50: 500, p95: 1500 };
        s.summary.successLatencyMs = { ...s.summary.successLatencyMs, p50: 500, p95: 1500 };
        s.summary.failureLatencyMs = { ...s.summary.failureLatencyMs, p50: 30_000, p95: 30_000 };
      },
    ]);
    expect(bestOf(r, 'p50')).toEqual([false, true]);
    expect(bestOf(r, 'p95')).toEqual([false, true]);
    // Shown, but never marked: a faster failure is not a better one.
    expect(bestOf(r, 'failureP95')).toEqual([false, false]);
    expect(rowsOf(r).map((x) => x.cells.failureP95.text)).toEqual(['1.00 ms', '30.0 s']);
  });

  it('shows unfinished requests in their own column, fewer is better', () => {
    const r = runWith([
      (s) => {
        s.summary.requests.unfinished = 180;
      },
      (s) => {
        s.summary.requests.unfinished = 0;
      },
    ]);
    const v = verdictTable(r);
    expect(v.columns.map((c) => c.key)).toContain('unfinished');
    expect(rowsOf(r).map((x) => x.cells.unfinished.text)).toEqual(['180', '0']);
    expect(bestOf(r, 'unfinished')).toEqual([false, true]);
  });

  it('ranks rows by the objective, success rate by default', () => {
    const r = runWith([success(0.5), success(0.9), success(0.7)]);
    const v = verdictTable(r);
    expect(v.objective.name).toBe('success_rate');
    expect(v.rows.map((x) => [x.rank, x.strategy])).toEqual([
      [1, 'strategy-1'],
      [2, 'strategy-2'],
      [3, 'strategy-0'],
    ]);
  });

  it('ranks by a named objective, lower first for a latency, ties sharing a rank', () => {
    const r = runWith([
      (s) => {
        s.summary.successLatencyMs = { ...s.summary.successLatencyMs, p99: 800 };
      },
      (s) => {
        s.summary.successLatencyMs = { ...s.summary.successLatencyMs, p99: 200 };
      },
      (s) => {
        s.summary.successLatencyMs = { ...s.summary.successLatencyMs, p99: 800 };
      },
    ]);
    const v = verdictTable({ ...r, objective: 'p(99)' });
    expect(v.objective.key).toBe('p99');
    expect(v.rows.map((x) => [x.rank, x.strategy])).toEqual([
      [1, 'strategy-1'],
      [2, 'strategy-0'],
      [2, 'strategy-2'],
    ]);
  });

  it('leaves out a Cost column of dashes when no price is set, and other traffic when there is none', () => {
    const r = runWith([
      (s) => {
        s.summary.cost = null;
      },
      (s) => {
        s.summary.cost = null;
      },
    ]);
    const keys = verdictTable(r).columns.map((c) => c.key);
    expect(keys).not.toContain('cost');
    expect(keys).not.toContain('otherSuccess');
    const priced = runWith([(s) => void s, (s) => void s]);
    expect(verdictTable(priced).columns.map((c) => c.key)).toContain('cost');
  });

  it("shows the app's other traffic (blast radius) when the summary has it", () => {
    const r = runWith([
      (s) => {
        Object.assign(s.summary, {
          otherTraffic: { offered: 100, successRate: 0.4, latencyMs: { p50: 10, p95: 9000, p99: 9500 } },
        });
      },
      (s) => {
        Object.assign(s.summary, {
          otherTraffic: { offered: 100, successRate: 1, latencyMs: { p50: 10, p95: 20, p99: 30 } },
        });
      },
    ]);
    const v = verdictTable(r);
    expect(v.columns.map((c) => c.key)).toEqual(expect.arrayContaining(['otherSuccess', 'otherP95']));
    expect(rowsOf(r).map((x) => x.cells.otherSuccess.text)).toEqual(['40.00%', '100.00%']);
    expect(bestOf(r, 'otherSuccess')).toEqual([false, true]);
  });

  it('with several seeds shows the mean and its 95% interval in every cell, and "never" when a seed never recovered', () => {
    const r = runWith([success(0.9), success(0.8)]);
    const entry = (values: number[]) => ({
      values,
      interval: { n: values.length, mean: 0.85, sd: 0.05, low: 0.8, high: 0.9, confidence: 0.95 },
    });
    const seedsCI = {
      seeds: ['1', '2', '3'],
      confidence: 0.95,
      strategies: {
        'strategy-0': {
          success_rate: entry([0.8, 0.85, 0.9]),
          recovery_time: { values: [1000, null, 2000], interval: null, infinite: 1 },
        },
        'strategy-1': { success_rate: entry([0.8, 0.85, 0.9]) },
      },
    };
    const v = verdictTable({ ...r, seedsCI });
    expect(v.seeds).toBe(3);
    const [first] = [...v.rows].sort((a, b) => a.index - b.index);
    expect(first!.cells.successRate).toMatchObject({ value: 0.85, text: '85.00% [80.00%–90.00%]' });
    expect(first!.cells.recovery.text).toBe('never (1 of 3 seeds)');
  });
});
