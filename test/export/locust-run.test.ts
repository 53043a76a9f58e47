import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportLocust } from '../../src/export/locust.ts';
import { loadScenario, runScenario } from '../../src/scenario/plan.ts';

/**
 * The Locust export run for real: `squall serve --workers 2` with the scenario's upstream, a Locust master
 * and two Locust workers on loopback, the exported locustfile, and Locust's own CSV statistics compared with
 * squall's simulated run of the same scenario. Skipped, loudly, only when `locust` is not installed.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/squall.mjs');
const SCENARIO = join(ROOT, 'scenarios/ci/locust-distributed.yaml');
const STRATEGY = 'sdk-defaults';

const hasLocust = spawnSync('locust', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasLocust) {
  console.warn(
    '\n*** SKIPPED test/export/locust-run.test.ts: `locust` is not installed (Debian: apt-get install python3-locust) ***\n',
  );
}

const children: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'squall-locust-'));
afterAll(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function start(cmd: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(cmd, args, {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => out };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Locust's `<prefix>_stats.csv` rows by "Type Name". */
function readStats(file: string): Map<string, Record<string, string>> {
  const [head, ...rows] = readFileSync(file, 'utf8').trim().split('\n');
  const cols = head!.split(',');
  const out = new Map<string, Record<string, string>>();
  for (const row of rows) {
    const cells = row.split(',');
    const rec = Object.fromEntries(cols.map((c, i) => [c, cells[i] ?? '']));
    out.set(`${rec.Type} ${rec.Name}`, rec);
  }
  return out;
}

describe.skipIf(!hasLocust)('squall export locust: a distributed run on loopback', () => {
  let exitCode: number | null = null;
  let masterLog = '';
  let stats = new Map<string, Record<string, string>>();
  let summary: {
    requests: { offered: number; succeeded: number; unfinished: number };
    attempts: number;
    thresholds: Array<{ source: string; passed: boolean }>;
  };

  beforeAll(async () => {
    const loaded = loadScenario(SCENARIO);
    const file = join(dir, 'locustfile.py');
    writeFileSync(file, exportLocust(loaded, { strategy: STRATEGY }).locustfile);

    const serve = start(process.execPath, [
      BIN,
      'serve',
      '--port',
      '0',
      '--workers',
      '2',
      '--scenario',
      SCENARIO,
    ]);
    const url = await new Promise<string>((resolve, reject) => {
      serve.child.stdout!.on('data', () => {
        const m = /^(http:\/\/\S+)\n/.exec(serve.out());
        if (m) resolve(m[1]!);
      });
      serve.child.on('exit', () => reject(new Error(`squall serve exited: ${serve.out()}`)));
    });

    const port = await freePort();
    const master = start(
      'locust',
      [
        ...['-f', file, '--master', '--headless', '--only-summary', '--expect-workers', '2'],
        // Generous only for a loaded machine: the workers usually connect within seconds.
        ...['--expect-workers-max-wait', '120', '--master-bind-host', '127.0.0.1'],
        ...['--master-bind-port', String(port), '--host', url, '--csv', join(dir, 'run')],
      ],
      { SQUALL_SUMMARY: join(dir, 'summary.json') },
    );
    for (let i = 0; i < 2; i++) {
      start('locust', ['-f', file, '--worker', '--master-host', '127.0.0.1', '--master-port', String(port)]);
    }
    exitCode = await master.exited;
    masterLog = master.out();
    try {
      stats = readStats(join(dir, 'run_stats.csv'));
      summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    } catch (e) {
      throw new Error(
        `the Locust master (exit ${exitCode}) left no statistics: ${e}\n${masterLog.slice(-4000)}`,
      );
    }
    // The run is bounded by the scenario (20 s, a 10 s drain at most, then the shape stops it); the
    // timeout only covers process start-up on a loaded machine.
  }, 240_000);

  it("every one of squall's 400 arrivals is a LOGICAL row, none unfinished, and the thresholds pass (exit 0)", () => {
    const logical = stats.get('LOGICAL /chat/completions');
    expect(logical, masterLog).toBeDefined();
    // 20 requests a second for 20 s, evenly spaced: exactly squall's 400 arrivals, split between 2 workers.
    expect(Number(logical!['Request Count'])).toBe(400);
    expect(summary.requests.offered).toBe(400);
    expect(summary.requests.unfinished).toBe(0);
    expect(summary.attempts).toBe(Number(stats.get('ATTEMPT /chat/completions')!['Request Count']));
    expect(summary.thresholds.map((t) => [t.source, t.passed])).toEqual([
      ['success_rate >= 0.98', true],
      ['amplification <= 1.2', true],
      ['p(95) < 10s', true],
    ]);
    expect(exitCode, masterLog).toBe(0);
  });

  it("Locust's success rate and attempts per logical request match squall's simulated run (3 points, 5%)", async () => {
    const logical = stats.get('LOGICAL /chat/completions')!;
    const attempts = stats.get('ATTEMPT /chat/completions')!;
    const requests = Number(logical['Request Count']);
    const locustSuccess = 1 - Number(logical['Failure Count']) / requests;
    const locustAmplification = Number(attempts['Request Count']) / requests;

    const sim = await runScenario(loadScenario(SCENARIO));
    const s = sim.runs[0]!.strategies.find((x) => x.name === STRATEGY)!;
    const simSuccess = s.summary.successRate!;
    const simAmplification = s.summary.amplification!;

    // The retries must have happened for the comparison to say anything.
    expect(simAmplification).toBeGreaterThan(1.05);
    expect(Math.abs(locustSuccess - simSuccess)).toBeLessThanOrEqual(0.03);
    expect(Math.abs(locustAmplification / simAmplification - 1)).toBeLessThanOrEqual(0.05);
  }, 120_000);
});
