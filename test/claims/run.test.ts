import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseScenario, runScenario } from '../../src/scenario/plan.ts';

/**
 * Claims in the run path: judged over at least 5 seeds whatever the run asks for, written to
 * result.json, shown first in every report, and never a gate (a contradicted claim exits 0).
 */
const SCENARIO = `name: claims-run
seed: 11
duration: 20s
traffic:
  arrivals: { kind: constant, rate: 600/min }
upstream:
  rate_limits: { requests_per_min: 10000, tokens_per_min: 50000000 }
  phases:
    - { name: errors, start: 0s, end: 20s, faults: { "500": 0.1 } }
strategies:
  - name: single
  - name: retrying
    policies:
      - type: retry
        max_attempts: 3
        backoff: { kind: exponential, base_ms: 100ms, cap_ms: 1s, jitter: full }
thresholds:
  all: [amplification <= 2]
claims:
  - text: retrying serves more requests than a single attempt
    source: squall test, a claim that holds
    article: "about 99% vs 90%"
    check: '"retrying".success_rate > "single".success_rate'
  - text: a single attempt serves more requests than retrying
    source: squall test, a claim that does not
    check: '"single".success_rate > "retrying".success_rate'
`;

const BIN = fileURLToPath(new URL('../../bin/squall.mjs', import.meta.url));

function squall(args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GITHUB_STEP_SUMMARY: '' },
    });
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.on('exit', (code) => resolve({ code, stdout }));
  });
}

describe('claims in squall run', () => {
  it('judges claims over 5 seeds when the run asks for 1, leaving tables and thresholds on that one', async () => {
    const loaded = parseScenario('claims-run.yaml', SCENARIO);
    const run = await runScenario(loaded, { workers: 1 });
    expect(run.runs.map((r) => r.seed)).toEqual(['11']);
    expect(run.result.seedsCI).toBeUndefined();
    expect(run.thresholds.every((t) => t.pass)).toBe(true);
    const claims = run.result.claims!;
    expect(claims.map((c) => c.verdict)).toEqual(['confirmed', 'contradicted']);
    for (const c of claims) {
      expect(c.measured.seeds).toBe(5);
      expect(c.measured.values).toHaveLength(5);
      expect(c.measured.ci95![0]).toBeLessThanOrEqual(c.measured.mean!);
    }
    expect(claims[0]).toMatchObject({
      source: 'squall test, a claim that holds',
      article: 'about 99% vs 90%',
    });
    // The first seed's difference is the one the tables show.
    const first = run.runs[0]!.strategies;
    expect(claims[0]!.measured.values[0]).toBeCloseTo(
      first[1]!.summary.successRate! - first[0]!.summary.successRate!,
      12,
    );
    // Same seed, same findings.
    const again = await runScenario(loaded, { workers: 1 });
    expect(again.result.claims).toEqual(claims);
  }, 60_000);

  it('uses the run’s own seeds when it has more, and --claim-seeds when it has fewer', async () => {
    const loaded = parseScenario('claims-run.yaml', SCENARIO);
    const seven = await runScenario(loaded, { seeds: 7, workers: 1 });
    expect(seven.runs).toHaveLength(7);
    expect(seven.result.claims![0]!.measured.seeds).toBe(7);
    const three = await runScenario(loaded, { claimSeeds: 3, workers: 1 });
    expect(three.result.claims![0]!.measured.seeds).toBe(3);
    expect(three.result.reproduce).toMatch(/--claim-seeds 3$/);
  }, 120_000);

  it('exits 0 with a contradicted claim, prints the claims and opens every report with them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'squall-claims-'));
    const file = join(dir, 'claims-run.yaml');
    writeFileSync(file, SCENARIO);
    const out = join(dir, 'out');
    const r = await squall(['run', file, '--out', out, '--no-color']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/claims \(2, judged over 5 seeds; findings, not gates\)/);
    expect(r.stdout).toMatch(/✓ confirmed\s+retrying serves more requests/);
    expect(r.stdout).toMatch(/✗ contradicted\s+a single attempt serves more/);
    const folder = join(out, 'claims-run', readdirSync(join(out, 'claims-run'))[0]!);
    const result = JSON.parse(readFileSync(join(folder, 'result.json'), 'utf8'));
    expect(result.claims.map((c: { verdict: string }) => c.verdict)).toEqual(['confirmed', 'contradicted']);
    const md = readFileSync(join(folder, 'summary.md'), 'utf8');
    expect(md.indexOf('### Claims')).toBeGreaterThan(0);
    expect(md.indexOf('### Claims')).toBeLessThan(md.indexOf('### Verdict'));
    expect(md).toMatch(/\| retrying serves more requests than a single attempt .*\| \*\*confirmed\*\* \|/);
    const html = readFileSync(join(folder, 'report.html'), 'utf8');
    expect(html.indexOf('id="claims-table"')).toBeGreaterThan(0);
    expect(html.indexOf('id="claims-table"')).toBeLessThan(html.indexOf('id="verdict-table"'));
    expect(html).toMatch(/<tr data-verdict="contradicted">/);
    // `squall report` rebuilds them from result.json alone.
    const rebuilt = join(dir, 'rebuilt');
    expect((await squall(['report', join(folder, 'result.json'), '--out', rebuilt])).code).toBe(0);
    expect(readFileSync(join(rebuilt, 'summary.md'), 'utf8')).toBe(md);
  }, 120_000);
});
