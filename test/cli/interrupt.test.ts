import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { squall } from '../helpers/cli.ts';

// Each test here starts squall processes; on a 2-core machine shared by several test runs one start can
// take a minute (two runs of these files beside eight people's work: a test of two starts took over
// 120 s). The tests wait for what the process does, never for the clock, so only this generous limit
// depends on the machine's load.
vi.setConfig({ testTimeout: 300_000 });

/**
 * Ctrl-C at any moment of `squall run`: exit 130 and a result marked partial, never a process killed
 * without one. The moments are set by what the process does (it starts listening; it prints its first
 * progress line), not by guessing how long a loaded machine takes to get there.
 */
const LONG = `name: long
seed: 3
duration: 4h
traffic:
  arrivals: { kind: constant, rate: 100/s }
upstream:
  rate_limits: { requests_per_min: 10000, tokens_per_min: 50000000 }
  phases:
    - { start: 0s, end: 20s, faults: { "500": 0.3 } }
strategies:
  - name: single
thresholds:
  all: [success_rate >= 0.99]
`;

function expectPartialResult(out: string): void {
  const stamps = readdirSync(join(out, 'long'));
  expect(stamps).toHaveLength(1);
  const folder = join(out, 'long', stamps[0]!);
  const result = JSON.parse(readFileSync(join(folder, 'result.json'), 'utf8'));
  expect(result.partial).toBe(true);
  expect(result.scenario.name).toBe('long');
  expect(readdirSync(folder).sort()).toEqual(['junit.xml', 'report.html', 'result.json', 'summary.md']);
}

describe('squall run: Ctrl-C', () => {
  it.each([
    ['the moment it starts listening (while squall loads)', 0],
    ['250 ms later', 250],
    ['1 s later', 1000],
  ])(
    'at %s: exit 130 and a partial result',
    async (_, ms) => {
      const dir = mkdtempSync(join(tmpdir(), 'squall-sigint-'));
      writeFileSync(join(dir, 'long.yaml'), LONG);
      const r = await squall(['run', join(dir, 'long.yaml'), '--out', dir, '--quiet'], {
        interruptAfterListeningMs: ms,
      });
      expect({ code: r.code, signal: r.signal }).toEqual({ code: 130, signal: null });
      expect(r.stderr).toMatch(/interrupted; writing a partial result/);
      expect(r.stdout).toMatch(/report: /);
      expectPartialResult(dir);
      // The launcher listens from its first lines, before squall's modules load (the run used to start
      // listening only once they had, and a Ctrl-C in that second or so killed it without a result).
      expect(r.probe).toMatch(/bin\/squall\.mjs/);
      expect(r.probe).not.toMatch(/commands\/run\.ts/);
    },
    60_000,
  );

  it('mid-simulation (after the first progress line): exit 130, a partial result with requests in it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'squall-sigint-'));
    writeFileSync(join(dir, 'long.yaml'), LONG);
    const r = await squall(['run', join(dir, 'long.yaml'), '--out', dir], {
      interruptOnStderr: /simulated, \d+ requests/,
    });
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 130, signal: null });
    expect(r.stdout).toMatch(/long \(PARTIAL: interrupted\)/);
    expectPartialResult(dir);
    const folder = join(dir, 'long', readdirSync(join(dir, 'long'))[0]!);
    const result = JSON.parse(readFileSync(join(folder, 'result.json'), 'utf8'));
    expect(result.strategies[0].summary.requests.offered).toBeGreaterThan(0);
  });
});
