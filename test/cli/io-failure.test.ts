import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { writeAtomic } from '../../src/cli/reports.ts';
import { isSquallError } from '../../src/errors.ts';
import { squall } from '../helpers/cli.ts';

// Each test here starts squall processes; on a 2-core machine shared by several test runs one start can
// take a minute (two runs of these files beside eight people's work: a test of two starts took over
// 120 s). The tests wait for what the process does, never for the clock, so only this generous limit
// depends on the machine's load.
vi.setConfig({ testTimeout: 300_000 });

/**
 * Disks that fail: a report folder that cannot be written exits 74 (EX_IOERR) naming the path and the
 * cause, leaves no temporary file, and keeps the run in the system temp folder. The failures are real
 * ones that also happen as root (which chmod would not stop): a path under a regular file (ENOTDIR), a
 * rename onto a folder.
 */
const QUICK = `name: quick
seed: 3
duration: 10s
traffic:
  arrivals: { kind: constant, rate: 2/s }
strategies:
  - name: single
thresholds:
  all: [success_rate >= 0.5]
`;

function setup(): { dir: string; scenario: string; fallbackRoot: string } {
  const dir = mkdtempSync(join(tmpdir(), 'squall-io-'));
  const scenario = join(dir, 'quick.yaml');
  writeFileSync(scenario, QUICK);
  // The fallback goes to os.tmpdir(), which follows TMPDIR: a folder of the test's own.
  const fallbackRoot = join(dir, 'tmp');
  mkdirSync(fallbackRoot);
  return { dir, scenario, fallbackRoot };
}

describe('writeAtomic', () => {
  it('a rename that fails leaves no .tmp file and throws ERR_SQUALL_IO naming the path and cause', () => {
    const dir = mkdtempSync(join(tmpdir(), 'squall-io-'));
    // The target is a folder with a file in it: the temporary file is written, the rename fails.
    const target = join(dir, 'result.json');
    mkdirSync(target);
    writeFileSync(join(target, 'keep'), 'x');
    let thrown: unknown;
    try {
      writeAtomic(target, '{}');
    } catch (e) {
      thrown = e;
    }
    expect(isSquallError(thrown, 'ERR_SQUALL_IO')).toBe(true);
    expect((thrown as Error).message).toMatch(
      /^cannot write .*result\.json \((EISDIR|ENOTEMPTY|EEXIST|EPERM): /,
    );
    expect(readdirSync(dir)).toEqual(['result.json']);
  });

  it('a folder that cannot be made (a file in its path) is ENOTDIR, even as root', () => {
    const dir = mkdtempSync(join(tmpdir(), 'squall-io-'));
    writeFileSync(join(dir, 'file'), 'x');
    expect(() => writeAtomic(join(dir, 'file', 'sub', 'a.json'), '{}')).toThrow(/ENOTDIR/);
    expect(readdirSync(dir)).toEqual(['file']);
  });
});

describe('squall run with an --out it cannot write', () => {
  it('exits 74, names the path and cause, keeps result.json in the temp folder, prints the table', async () => {
    const { scenario, fallbackRoot } = setup();
    const r = await squall(['run', scenario, '--out', '/dev/null/reports'], {
      env: { TMPDIR: fallbackRoot },
    });
    expect(r.code).toBe(74);
    expect(r.stderr).toMatch(
      /squall: cannot write \/dev\/null\/reports\/quick\/\S+ \(ENOTDIR: not a directory/,
    );
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    const kept = /the result is kept in (\S+result\.json) instead/.exec(r.stderr)?.[1];
    expect(kept?.startsWith(join(fallbackRoot, 'squall-quick-'))).toBe(true);
    const result = JSON.parse(readFileSync(kept!, 'utf8'));
    expect(result.scenario.name).toBe('quick');
    expect(result.strategies[0].summary.requests.offered).toBe(20);
    // The table and the verdicts are still printed, with where the report went.
    expect(r.stdout).toMatch(/single/);
    expect(r.stdout).toMatch(/thresholds: 1 passed, 0 failed; report: .*squall-quick-/);
    const fallback = join(kept!, '..');
    expect(readdirSync(fallback).sort()).toEqual(['junit.xml', 'report.html', 'result.json', 'summary.md']);
  });

  it('an --out that is a file: exit 74 the same way', async () => {
    const { dir, scenario, fallbackRoot } = setup();
    const file = join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    const r = await squall(['run', scenario, '--out', file, '--quiet'], { env: { TMPDIR: fallbackRoot } });
    expect(r.code).toBe(74);
    expect(r.stderr).toMatch(/cannot write .*not-a-folder\/quick\/.* \((ENOTDIR|EEXIST)/);
    expect(readdirSync(fallbackRoot)).toHaveLength(1);
  });

  it('when the temp folder fails too: exit 74, says the result was not saved, still prints the verdicts', async () => {
    const { scenario } = setup();
    const r = await squall(['run', scenario, '--out', '/dev/null/reports'], {
      env: { TMPDIR: '/dev/null/tmp' },
    });
    expect(r.code).toBe(74);
    expect(r.stderr).toMatch(/the result was not saved/);
    expect(r.stdout).toMatch(/thresholds: 1 passed, 0 failed; report: not saved/);
  });

  it('a step summary that cannot be written is a warning; the run and its exit code stand', async () => {
    const { dir, scenario } = setup();
    const r = await squall(['run', scenario, '--out', dir, '--quiet'], {
      env: { GITHUB_STEP_SUMMARY: '/dev/null/summary.md' },
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/step summary not written: cannot write \/dev\/null\/summary\.md \(ENOTDIR/);
  });

  it('squall init into a folder it cannot write exits 74, naming the path', async () => {
    const r = await squall(['init', '/dev/null/new.yaml']);
    expect(r.code).toBe(74);
    expect(r.stderr).toMatch(/squall: cannot write \/dev\/null\/new\.yaml \(ENOTDIR/);
  });

  it('squall report into a folder it cannot write exits 74 too', async () => {
    const { dir, scenario } = setup();
    expect((await squall(['run', scenario, '--out', dir, '--quiet'])).code).toBe(0);
    const stamp = readdirSync(join(dir, 'quick'))[0]!;
    const r = await squall(['report', join(dir, 'quick', stamp, 'result.json'), '--out', '/dev/null/r']);
    expect(r.code).toBe(74);
    expect(r.stderr).toMatch(/squall: cannot write \/dev\/null\/r\/\S+ \(ENOTDIR/);
  });
});
