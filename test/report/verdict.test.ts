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
    s.summary.recovery = ms.map((recoveryMs, i) => ({ name: `w${i}`, startMs: 0, endMs: 1000, recoveryMs }));
  };

function bestOf(r: RunResult, key: VerdictKey): boolean[] {
  return verdictTable(r).rows.map((row) => row.cells[key].best);
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
    const rows = verdictTable(r).rows;
    expect(rows.map((x) => x.cells.recovery.value)).toEqual([9000, 5000, null]);
    expect(rows.map((x) => x.cells.recovery.text)).toEqual(['9.00 s', '5.00 s', 'never']);
    expect(rows.map((x) => x.cells.recovery.best)).toEqual([false, true, false]);
  });

  it('ignores fault windows that last to the end of the run (nothing to recover in)', () => {
    const r = runWith([recovery(null), recovery(null)]);
    for (const s of r.strategies) s.summary.recovery[0]!.endMs = s.summary.durationMs;
    expect(verdictTable(r).rows.map((x) => x.cells.recovery.text)).toEqual(['—', '—']);
  });

  it('lower is better for latency, amplification, wasted retries and cost', () => {
    const r = runWith([
      (s) => {
        s.summary.latencyMs.p95 = 100;
        s.summary.amplification = 2;
        s.summary.attempts.wastedRetries = 0;
        s.summary.cost = null;
      },
      (s) => {
        s.summary.latencyMs.p95 = 200;
        s.summary.amplification = 1.1;
        s.summary.attempts.wastedRetries = 5;
        s.summary.cost = { pricePer1kTokens: 1, total: 3, abandoned: 0 };
      },
      (s) => {
        s.summary.latencyMs.p95 = 300;
        s.summary.amplification = 1.5;
        s.summary.attempts.wastedRetries = 5;
        s.summary.cost = { pricePer1kTokens: 1, total: 2, abandoned: 0 };
      },
    ]);
    expect(bestOf(r, 'p95')).toEqual([true, false, false]);
    expect(bestOf(r, 'amplification')).toEqual([false, true, false]);
    expect(bestOf(r, 'wastedRetries')).toEqual([true, false, false]);
    expect(bestOf(r, 'cost')).toEqual([false, false, true]);
    expect(verdictTable(r).rows[0]!.cells.cost.text).toBe('—');
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
    const rows = verdictTable(r, [t('strategy-0', true), t('strategy-0', false), t('strategy-0', true)]).rows;
    expect(rows[0]!.thresholds).toEqual({ passed: 2, total: 3 });
    expect(rows[1]!.thresholds).toBeNull();
  });
});
