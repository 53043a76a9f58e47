import { beforeAll, describe, expect, it } from 'vitest';
import { renderTerminalTable, type ThresholdResult, verdictTable } from '../../src/report/index.ts';
import type { RunResult } from '../../src/runner/result.ts';
import { smallRun } from './helpers.ts';

let result: RunResult;
beforeAll(async () => {
  result = await smallRun();
});

const ANSI = /\u001b\[[0-9;]*m/g;

const thresholds: ThresholdResult[] = [
  {
    strategy: 'naive-fixed-2s',
    expression: 'p(95) < 800',
    metric: 'latency_p95_ms',
    observed: 10_800,
    limit: 800,
    op: '<',
    pass: false,
    message: 'too slow',
  },
  {
    strategy: 'limited-queue',
    expression: 'success_rate > 0.5',
    metric: 'success_rate',
    observed: 0.67,
    limit: 0.5,
    op: '>',
    pass: true,
    message: 'ok',
  },
];

function tableLines(text: string): string[] {
  const lines = text.replace(ANSI, '').split('\n');
  const head = lines.findIndex((l) => l.startsWith('Strategy'));
  return lines.slice(head, head + 2 + result.strategies.length);
}

describe('renderTerminalTable', () => {
  it('has every verdict column and one aligned row per strategy', () => {
    const lines = tableLines(renderTerminalTable(result));
    const v = verdictTable(result);
    for (const c of v.columns) expect(lines[0]).toContain(c.label);
    expect(lines[0]).toContain('Unfinished');
    const widths = new Set(lines.map((l) => [...l].length));
    expect(widths.size).toBe(1);
    // Rows are ranked by the objective (success rate), best first.
    v.rows.forEach((r, i) => {
      const s = result.strategies[r.index]!;
      expect(lines[2 + i]!.startsWith(s.name)).toBe(true);
      expect(lines[2 + i]).toContain(`${(s.summary.successRate! * 100).toFixed(2)}%`);
    });
  });

  it('has no colour codes unless asked, and marks the best with * instead', () => {
    const plain = renderTerminalTable(result);
    expect(plain).not.toMatch(ANSI);
    expect(plain).toMatch(/\d\*/);
    const coloured = renderTerminalTable(result, { color: true });
    expect(coloured).toMatch(ANSI);
    expect(coloured).toContain('\u001b[32m\u001b[1m');
    expect(coloured.replace(ANSI, '')).not.toMatch(/\d\*/);
  });

  it('adds a thresholds column and lists each threshold with observed value and limit', () => {
    const text = renderTerminalTable(result, { thresholds });
    const lines = tableLines(text);
    expect(lines[0]).toMatch(/Thresholds$/);
    const row = (name: string) => lines.find((l) => l.startsWith(name))!;
    expect(row('naive-fixed-2s')).toMatch(/✗ 0\/1$/);
    expect(row('limited-queue')).toMatch(/✓ 1\/1$/);
    expect(row('expo-jitter-breaker')).toMatch(/—$/);
    expect(text).toContain('thresholds: 1 of 2 failed');
    expect(text).toMatch(/✗ naive-fixed-2s\s+p\(95\) < 800\s+observed 10800, limit < 800 {2}too slow/);
    expect(text).toMatch(/✓ limited-queue\s+success_rate > 0\.5\s+observed 0\.67, limit > 0\.5\n/);
  });

  it('writes observed values and limits in their unit: `5.00 s`, `< 1m0s`, not `5000 < 60000`', () => {
    const text = renderTerminalTable(result, {
      thresholds: [
        {
          strategy: 'naive-fixed-2s',
          expression: 'recovery_time < 1m',
          metric: 'recovery_time',
          observed: 5000,
          limit: 60_000,
          op: '<',
          unit: 'ms',
          pass: true,
          message: 'ok',
        },
        {
          strategy: 'limited-queue',
          expression: 'success_rate >= 95%',
          metric: 'success_rate',
          observed: 0.67,
          limit: 0.95,
          op: '>=',
          unit: 'fraction',
          pass: false,
          message: 'too low',
        },
      ],
    });
    expect(text).toContain('observed 5.00 s, limit < 1m0s');
    expect(text).toContain('observed 67.00%, limit >= 95.00%');
    expect(text).not.toContain('60000');
  });

  it('ends with the command that reproduces the run', () => {
    expect(renderTerminalTable(result).trimEnd().split('\n').at(-1)).toBe(`reproduce: ${result.reproduce}`);
  });
});
