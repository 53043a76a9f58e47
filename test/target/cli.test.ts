import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/target/port.ts';

/** The CLI's answers for a service under test that cannot run, and for --upstream mistakes. */
const BIN = fileURLToPath(new URL('../../bin/squall.mjs', import.meta.url));
const RELAY = fileURLToPath(new URL('./fixtures/relay.mjs', import.meta.url));

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

async function answers(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

describe('squall run with a target', { timeout: 90_000 }, () => {
  it('writes the usual reports with the service log beside them, and checks thresholds on variants', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'squall-target-cli-ok-'));
    const file = join(dir, 'relay.yaml');
    writeFileSync(
      file,
      `duration: 2s
drain: 5s
traffic: { arrivals: { kind: constant, rate: 10/s } }
upstream: { latency: { fixed: 10ms } }
target:
  command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(RELAY)}]
  env: { OPENAI_BASE_URL: "{{upstream_url}}", PORT: "${port}", FORWARD: "1" }
  ready: { url: "http://127.0.0.1:${port}/healthz" }
  request: { path: /ask, body: { model: "{{model}}" } }
variants:
  - { name: relay }
thresholds:
  relay: [success_rate >= 0.9, amplification <= 1]
`,
    );
    const out = join(dir, 'reports');
    const r = squall(['run', file, '--out', out, '--quiet']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/thresholds: 2 passed, 0 failed/);
    const [stamp] = readdirSync(join(out, 'relay'));
    const reportDir = join(out, 'relay', stamp!);
    for (const f of ['result.json', 'report.html', 'summary.md', 'junit.xml', 'target-relay.log'])
      expect(existsSync(join(reportDir, f)), f).toBe(true);
    expect(readFileSync(join(reportDir, 'junit.xml'), 'utf8')).toContain('relay');
  });

  it('a SIGTERM to squall mid-run stops the service too', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'squall-target-cli-term-'));
    const file = join(dir, 'long.yaml');
    writeFileSync(
      file,
      `duration: 5m
traffic: { arrivals: { kind: constant, rate: 2/s } }
target:
  command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(RELAY)}]
  env: { OPENAI_BASE_URL: "{{upstream_url}}", PORT: "${port}" }
  ready: { url: "http://127.0.0.1:${port}/healthz" }
  request: { path: /ask, body: {} }
variants:
  - { name: long }
`,
    );
    const child = spawn(process.execPath, [BIN, 'run', file, '--out', join(dir, 'reports'), '--quiet'], {
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_, signal) => resolve(signal)),
    );
    try {
      // Up once its health check answers (bounded: the test's own timeout).
      for (let i = 0; i < 300 && !(await answers(port)); i++) await new Promise((r) => setTimeout(r, 100));
      expect(await answers(port)).toBe(true);
      child.kill('SIGTERM');
      expect(await exited).toBe('SIGTERM');
      expect(await answers(port)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });

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
