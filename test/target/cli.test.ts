import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The CLI's answers for a service under test that cannot run, and for --upstream mistakes. */
const BIN = fileURLToPath(new URL('../../bin/squall.mjs', import.meta.url));

function squall(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function scenarioFile(command: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'squall-target-cli-'));
  const file = join(dir, 'svc.yaml');
  writeFileSync(
    file,
    `duration: 1s
traffic: { arrivals: { kind: constant, rate: 5/s } }
target:
  command: ${command}
  ready: { url: "http://127.0.0.1:9/healthz", timeout: 2s }
variants:
  - { name: broken }
`,
  );
  return file;
}

describe('squall run with a target', { timeout: 90_000 }, () => {
  it('exits 69 naming the variant when the service cannot start, with no stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'squall-target-cli-out-'));
    const r = squall(['run', scenarioFile('[squall-no-such-program-here]'), '--out', dir, '--quiet']);
    expect(r.code).toBe(69);
    expect(r.err).toMatch(/variant "broken": the service could not start/);
    expect(r.err).toMatch(/hint: /);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('exits 64 for --mode sim, pointing at the target line', () => {
    const file = scenarioFile('[python3, app.py]');
    const r = squall(['run', file, '--mode', 'sim', '--quiet']);
    expect(r.code).toBe(64);
    expect(r.err).toContain(`${file}:3:1  target: --mode sim: a target runs in live mode only`);
  });

  it.each([
    [['--upstream', 'not a url'], /--upstream: expected a URL/],
    [['--upstream', 'ftp://127.0.0.1/v1', '--mode', 'live'], /expected http:\/\/ or https:\/\//],
    [['--upstream', 'http://127.0.0.1:8787/v1', '--mode', 'sim'], /needs --mode live/],
  ])('exits 64 for %j', (args, message) => {
    const r = squall(['run', 'scenarios/ci/smoke.yaml', ...args]);
    expect(r.code).toBe(64);
    expect(r.err).toMatch(message);
  });
});
