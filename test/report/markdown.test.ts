import { beforeAll, describe, expect, it } from 'vitest';
import {
  fitMarkdown,
  MARKDOWN_MAX_BYTES,
  renderCompareMarkdown,
  renderMarkdown,
  type ThresholdResult,
  verdictTable,
} from '../../src/report/index.ts';
import type { RunResult } from '../../src/runner/result.ts';
import { smallRun, syntheticResult } from './helpers.ts';

let result: RunResult;
beforeAll(async () => {
  result = await smallRun();
});

function threshold(strategy: string, pass: boolean, i = 0): ThresholdResult {
  return {
    strategy,
    expression: `p(95) < ${800 + i}`,
    metric: 'latency_p95_ms',
    observed: 912.5,
    limit: 800 + i,
    op: '<',
    pass,
    message: pass ? 'ok' : `p(95) = 912.5 ms, over the limit of ${800 + i} ms`,
  };
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

describe('renderMarkdown', () => {
  it('has the header, a verdict row per strategy with the numbers, and the best marked', () => {
    const md = renderMarkdown(result);
    expect(md).toContain('## squall: small-storm');
    expect(md).toContain('| `7` | sim | 4m0s | open |');
    expect(md).toContain('Reproduce: `squall run scenarios/small-storm.yaml --seed 7`');
    const rows = md.split('\n').filter((l) => /^\| (naive|limited|expo)/.test(l));
    expect(rows).toHaveLength(3);
    const best = [...result.strategies].sort((a, b) => b.summary.successRate! - a.summary.successRate!)[0]!;
    const row = rows.find((l) => l.startsWith(`| ${best.name} |`))!;
    expect(row).toContain(`**${(best.summary.successRate! * 100).toFixed(2)}%** ★`);
    expect(md).toContain('### Alerts');
  });

  it('lists thresholds, failures first, with observed value and limit', () => {
    const md = renderMarkdown(result, {
      thresholds: [threshold('expo-jitter-breaker', true), threshold('naive-fixed-2s', false)],
    });
    expect(md).toContain('### Thresholds: ❌ 1 of 2 failed');
    const lines = md.split('\n');
    const fail = lines.findIndex((l) =>
      l.startsWith('| ❌ | naive-fixed-2s | `p(95) < 800` | 912.5 | < 800 |'),
    );
    const pass = lines.findIndex((l) => l.startsWith('| ✅ | expo-jitter-breaker |'));
    expect(fail).toBeGreaterThan(0);
    expect(pass).toBeGreaterThan(fail);
  });

  it('stays under 64 KiB by cutting whole lines, says so, and keeps the failures', () => {
    const many = Array.from({ length: 3000 }, (_, i) => threshold(`strategy-${i % 6}`, i % 500 !== 7, i));
    const md = renderMarkdown(syntheticResult({ strategies: 6, seconds: 60 }), { thresholds: many });
    expect(bytes(md)).toBeLessThanOrEqual(MARKDOWN_MAX_BYTES);
    expect(bytes(md)).toBeGreaterThan(MARKDOWN_MAX_BYTES - 2048);
    expect(md).toMatch(/> ⚠️ \*\*Truncated:\*\* \d+ more lines left out to stay under 64 KiB/);
    expect(md.match(/^\| ❌ /gm)).toHaveLength(6);
    // Every kept table row is whole.
    for (const line of md.split('\n').filter((l) => l.startsWith('| ')))
      expect(line.endsWith(' |')).toBe(true);
  });

  it('is not truncated when it fits', () => {
    expect(renderMarkdown(result)).not.toContain('Truncated');
  });

  it('escapes pipes in names so table rows keep their columns', () => {
    const r: RunResult = structuredClone(result);
    r.strategies[0]!.name = 'a|b';
    const row = renderMarkdown(r)
      .split('\n')
      .find((l) => l.startsWith('| a\\|b |'))!;
    // Strategy, rank, then every verdict column shown.
    expect(row.split(/(?<!\\)\|/).length - 2).toBe(2 + verdictTable(r).columns.length);
  });
});

describe('fitMarkdown', () => {
  it.each([
    { lines: 10, maxBytes: 1000, truncated: false },
    { lines: 200, maxBytes: 1000, truncated: true },
    { lines: 5000, maxBytes: 64 * 1024, truncated: true },
  ])('$lines lines into $maxBytes bytes', ({ lines, maxBytes, truncated }) => {
    const input = Array.from({ length: lines }, (_, i) => `| line ${i} | ${'é'.repeat(10)} |`);
    const out = fitMarkdown(input, maxBytes);
    expect(bytes(out)).toBeLessThanOrEqual(maxBytes);
    expect(out.includes('Truncated')).toBe(truncated);
    if (truncated) {
      const kept = out.split('\n').filter((l) => l.startsWith('| line')).length;
      expect(out).toContain(`${lines - kept} more lines left out`);
    }
  });
});

describe('renderCompareMarkdown', () => {
  it('shows baseline, candidate and a signed change, flagging what got worse', () => {
    const candidate: RunResult = structuredClone(result);
    candidate.strategies[0]!.summary.successRate = result.strategies[0]!.summary.successRate! - 0.1;
    const md = renderCompareMarkdown(result, candidate);
    const row = md.split('\n').find((l) => l.startsWith('| naive-fixed-2s | Success |'))!;
    expect(row).toContain('**−10.00 pp** 🔴');
    expect(md.split('\n').filter((l) => l.startsWith('| ') && l.includes('| Success |'))).toHaveLength(3);
    expect(md).not.toContain('Not like for like');
    expect(renderCompareMarkdown(result, { ...candidate, seed: '9' })).toContain('different seeds (7 vs 9)');
  });
});

describe('renderCompareMarkdown, new columns', () => {
  it('counts unfinished requests and never judges failure latency', () => {
    const candidate: RunResult = structuredClone(result);
    const s = candidate.strategies[0]!.summary;
    s.requests.unfinished = (s.requests.unfinished ?? 0) + 12;
    s.failureLatencyMs = { ...s.failureLatencyMs, count: 5, p95: (s.failureLatencyMs.p95 ?? 0) + 500 };
    const md = renderCompareMarkdown(result, candidate);
    const lines = md.split('\n');
    const at = lines.findIndex((l) => l.startsWith('| naive-fixed-2s | Success |'));
    const rowOf = (label: string) => lines.slice(at).find((l) => l.includes(`| ${label} |`))!;
    expect(rowOf('Unfinished')).toContain('**+12** 🔴');
    expect(rowOf('Failure p95')).not.toMatch(/🔴|🟢/);
  });
});

describe('renderMarkdown with several seeds', () => {
  it('shows means with their interval in the verdict table and a per-seed table', () => {
    const r = syntheticResult({ strategies: 2, seconds: 60 });
    const entry = (values: number[]) => ({
      values,
      interval: { n: 2, mean: 0.85, sd: 0.07, low: 0.2, high: 1, confidence: 0.95 },
    });
    const seedsCI = {
      seeds: ['1', '2'],
      confidence: 0.95,
      strategies: {
        'strategy-0': { success_rate: entry([0.8, 0.9]) },
        'strategy-1': { success_rate: entry([0.7, 0.95]) },
      },
    };
    const md = renderMarkdown({ ...r, seedsCI } as RunResult);
    expect(md).toContain('85.00% [20.00%–100.00%]');
    expect(md).toContain('mean over 2 seeds [95% interval]');
    expect(md).toContain('### Per seed');
    expect(md).toContain('| strategy-1 | `2` | 95.00% |');
  });
});
