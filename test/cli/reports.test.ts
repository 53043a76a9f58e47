import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendStepSummary, STEP_SUMMARY_LIMIT_BYTES, writeAtomic } from '../../src/cli/reports.ts';
import { evaluateThresholds, parseThreshold } from '../../src/metrics/thresholds.ts';
import { renderJunit } from '../../src/report/junit.ts';
import { parseScenario, runScenario } from '../../src/scenario/plan.ts';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'squall-reports-'));
}

describe('GitHub step summary', () => {
  it('does nothing when GITHUB_STEP_SUMMARY is unset', () => {
    expect(appendStepSummary('# hi', {})).toBe('unset');
  });

  it('appends, and never grows the file past 1 MiB', () => {
    const file = join(tmp(), 'summary.md');
    writeFileSync(file, 'x'.repeat(STEP_SUMMARY_LIMIT_BYTES - 10_000));
    expect(appendStepSummary('# small\n', { GITHUB_STEP_SUMMARY: file })).toBe('written');
    const big = `# big\n${'| row | ✓ |\n'.repeat(5_000)}`;
    expect(appendStepSummary(big, { GITHUB_STEP_SUMMARY: file })).toBe('truncated');
    expect(statSync(file).size).toBeLessThanOrEqual(STEP_SUMMARY_LIMIT_BYTES);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/summary truncated/);
    expect(text).not.toMatch(/\uFFFD/);
    expect(appendStepSummary(big, { GITHUB_STEP_SUMMARY: file })).toBe('skipped');
    expect(statSync(file).size).toBeLessThanOrEqual(STEP_SUMMARY_LIMIT_BYTES);
  });
});

describe('atomic writes', () => {
  it('leaves only the final file behind', () => {
    const dir = tmp();
    writeAtomic(join(dir, 'a', 'b.json'), '{}');
    expect(readdirSync(join(dir, 'a'))).toEqual(['b.json']);
    writeAtomic(join(dir, 'a', 'b.json'), '{"x":1}');
    expect(readFileSync(join(dir, 'a', 'b.json'), 'utf8')).toBe('{"x":1}');
  });
});

describe('JUnit XML', () => {
  it('has one test case per threshold per strategy, failures carrying observed value, limit and seed', async () => {
    const loaded = parseScenario(
      'j.yaml',
      `name: j
seed: 5
duration: 10s
traffic: { arrivals: { kind: constant, rate: 120/min } }
upstream: { rate_limits: { requests_per_min: 10000, tokens_per_min: 50000000 } }
strategies: [{ name: a }, { name: b }, { name: c }]
`,
    );
    const run = await runScenario(loaded);
    const verdicts = evaluateThresholds(
      [
        { scope: 'a', expr: parseThreshold('success_rate >= 0.5') },
        { scope: 'b', expr: parseThreshold('amplification > 5') },
      ],
      run.runs,
    );
    const xml = renderJunit(run.result, verdicts);
    expect(xml).toMatch(/<testsuites name="squall" tests="3" failures="1"/);
    expect(xml).toMatch(/<testcase classname="squall\.j\.a" name="success_rate &gt;= 0\.5" time="0"\/>/);
    expect(xml).toMatch(
      /<testcase classname="squall\.j\.b" name="amplification &gt; 5" time="0">\n\s+<failure type="threshold"/,
    );
    // In the metric's unit (amplification is a ratio), as every report writes it.
    expect(xml).toMatch(
      /observed: 1\.00×\nlimit: &gt; 5\.00×\nseed: 5\nreproduce: squall run j\.yaml --seed 5/,
    );
    // A strategy without thresholds still shows that it ran.
    expect(xml).toMatch(/<testcase classname="squall\.j\.c" name="ran"/);
    // Every offered request is accounted for in the suite's output, unfinished ones included.
    expect(xml).toMatch(
      /<system-out>[\s\S]*\bc: offered 20, succeeded 20, failed 0, unfinished 0; Success 100\.00%/,
    );
  });
});
