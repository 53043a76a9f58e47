import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isSquallError, SquallError } from '../../src/errors.ts';
import {
  MIN_REQUESTS_FOR_WORKERS,
  type Plan,
  parallelismOf,
  runExperiment,
} from '../../src/runner/experiment.ts';
import { runInWorkers, type WorkerRunData } from '../../src/runner/parallel.ts';
import type { RunResult } from '../../src/runner/result.ts';
import type { Progress } from '../../src/runner/run-strategy.ts';
import { loadScenario, toPlan } from '../../src/scenario/plan.ts';
import { buildStrategy } from '../../src/strategies/build.ts';

/**
 * Strategies on worker threads (src/runner/parallel.ts): the same result.json as one after another, the
 * same progress, the same errors, a partial result on abort, and no thread left behind.
 */
// These tests simulate tens of thousands of requests on worker threads (and start processes): seconds on
// an idle machine, minutes on a 2-core machine shared by several test runs (two runs of this file beside
// eight people's work took over 120 s for one test). Their
// assertions are about results, not time; only this limit depends on the load.
vi.setConfig({ testTimeout: 300_000 });

const FIXTURE = fileURLToPath(new URL('./fixtures/four-strategies.yaml', import.meta.url));
const FIXTURE_DIR = dirname(FIXTURE);
const BIN = fileURLToPath(new URL('../../bin/squall.mjs', import.meta.url));

/** The fixture as `squall run` plans it: every strategy carries its config as a spec. */
function fixturePlan(o: Partial<Plan> = {}): Plan {
  return { ...toPlan(loadScenario(FIXTURE), '11', 'test'), ...o };
}

/** result.json without wall-clock fields (`wall`, at the top and per strategy): all that may differ. */
const withoutWall = (r: unknown) => JSON.stringify(r, (k, v) => (k === 'wall' ? undefined : v));

/** A strategy entry as a scenario file would give it, with its spec. */
function entry(config: { name: string; adapter?: unknown }): Plan['strategies'][number] {
  return {
    name: config.name,
    usesGlobals: config.adapter !== undefined,
    build: () => buildStrategy(config, { baseDir: FIXTURE_DIR }),
    spec: { config, baseDir: FIXTURE_DIR },
  };
}

afterEach(() => {
  delete process.env.SQUALL_TEST_THREAD_LOG;
});

describe('strategies on worker threads', () => {
  it('give a result.json byte-identical to one after another (wall-clock fields aside), on any number of workers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'squall-parallel-'));
    try {
      // The module strategy notes which thread loaded it: proof that a worker, not this thread, ran it.
      const threadLog = join(dir, 'threads.log');
      process.env.SQUALL_TEST_THREAD_LOG = threadLog;
      const plan = fixturePlan();
      expect(plan.strategies.map((s) => s.name)).toEqual([
        'naive',
        'expo',
        'real-openai-sdk',
        'flaky-module',
      ]);
      expect(parallelismOf(plan, { workers: 4 })).toEqual({ workers: 4 });

      const sequential = await runExperiment(plan, { workers: 1 });
      const loadedBy = () => readFileSync(threadLog, 'utf8').trim().split('\n').map(Number);
      expect(loadedBy()).toEqual([threadId]);
      const four = await runExperiment(plan, { workers: 4 });
      const two = await runExperiment(plan, { workers: 2 }); // a queue: each worker runs two
      const workerThreads = loadedBy().slice(1);
      expect(workerThreads).toHaveLength(2);
      for (const id of workerThreads) expect(id).not.toBe(threadId);

      expect(withoutWall(four)).toBe(withoutWall(sequential));
      expect(withoutWall(two)).toBe(withoutWall(sequential));
      // What is compared is a real run: every strategy offered the whole trace, the SDK made its own
      // retries, the module's throws were recorded against it.
      const byName = Object.fromEntries(sequential.strategies.map((s) => [s.name, s]));
      for (const s of sequential.strategies) expect(s.summary.requests.offered).toBe(1800);
      expect(byName['real-openai-sdk']!.summary.attempts.total).toBeGreaterThan(1800);
      expect(byName['flaky-module']!.strategyErrors.length).toBeGreaterThan(0);
      expect(byName['flaky-module']!.strategyErrors[0]).toMatch(
        /^strategy "flaky-module" threw on .*: flaky: gave up on/,
      );
      expect(sequential.partial).toBe(false);
      // Wall-clock fields are there in both (they are only left out of the comparison).
      for (const s of four.strategies) expect(s.wall.wallMs).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('forward the same progress, strategy by strategy, as one after another', async () => {
    const collect = async (workers: number) => {
      const seen = new Map<string, Progress[]>();
      await runExperiment(fixturePlan(), {
        workers,
        onProgress: (p) => {
          const list = seen.get(p.strategy) ?? [];
          list.push({ ...p });
          seen.set(p.strategy, list);
        },
      });
      return seen;
    };
    const sequential = await collect(1);
    const parallel = await collect(3);
    expect([...parallel.keys()].sort()).toEqual([...sequential.keys()].sort());
    for (const [name, list] of sequential) {
      expect(list.length).toBeGreaterThan(180); // once a simulated second
      expect(parallel.get(name)).toEqual(list);
    }
  });

  it('stop on abort: the running strategies come back partial, the ones not started are left out', async () => {
    const ac = new AbortController();
    let abortedBy: string | undefined;
    const r = await runExperiment(fixturePlan({ durationMs: 30 * 60_000 }), {
      workers: 2,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.simulatedMs >= 5 * 60_000 && !ac.signal.aborted) {
          abortedBy = p.strategy;
          ac.abort();
        }
      },
    });
    expect(r.partial).toBe(true);
    // Two workers: only the first two strategies were ever dispatched; the other two never started. The
    // one whose progress triggered the abort was running; the other had started or not, depending on how
    // fast its thread came up (a loaded machine decides that, not the code), and is partial or left out.
    const names = r.strategies.map((s) => s.name);
    expect(['naive', 'expo']).toContain(abortedBy);
    expect(names).toContain(abortedBy);
    expect(names.every((n) => n === 'naive' || n === 'expo')).toBe(true);
    for (const s of r.strategies) {
      expect(s.summary.requests.offered).toBeGreaterThan(0);
      // Stopped at a slice after the abort, or (a thread that raced ahead of the abort message) complete:
      // either way accounted for, and marked.
      if (s.partial) expect(s.summary.requests.offered).toBeLessThan(30 * 600);
    }
  });

  it('an aborted run leaves no thread behind: its process exits by itself', () => {
    const script = fileURLToPath(new URL('./fixtures/abort-run.ts', import.meta.url));
    // The limit only catches a process that never exits; it is generous because a loaded 2-core machine
    // can take tens of seconds to start Node, load squall and two worker threads.
    const child = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 280_000 });
    expect(child.signal).toBeNull(); // not killed by the timeout
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    const out = JSON.parse(child.stdout) as {
      partial: boolean;
      strategies: Array<{ name: string; partial: boolean; offered: number }>;
    };
    expect(out.partial).toBe(true);
    // Only the first two strategies were dispatched; whether the second thread had started when the
    // abort came depends on the machine's load (see the test above), so it may be left out.
    const names = out.strategies.map((s) => s.name);
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((n) => n === 'naive' || n === 'expo')).toBe(true);
    expect(out.strategies.every((s) => s.offered > 0)).toBe(true);
  });

  it('a strategy that fails to build surfaces as it does sequentially: the same error, the earliest in plan order', () => {
    const script = fileURLToPath(new URL('./fixtures/failing-run.ts', import.meta.url));
    const child = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 280_000 });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    const { sequential, parallel } = JSON.parse(child.stdout);
    expect(sequential).toMatchObject({ squall: true, code: 'ERR_SQUALL_STRATEGY' });
    expect(sequential.message).toMatch(
      /^strategy "broken-first" adapter\.path: cannot load "\.\/no-such-module\.mjs"/,
    );
    expect(sequential.hint).toMatch(/relative paths/);
    expect(parallel).toEqual(sequential);
  });

  it('a strategy that fails to build in a worker throws a SquallError with its code and hint in this thread too', async () => {
    const plan = fixturePlan({
      strategies: [
        entry({ name: 'fine' }),
        entry({ name: 'broken', adapter: { type: 'module', path: './no-such-module.mjs' } }),
      ],
    });
    const e = await runExperiment(plan, { workers: 2 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(e).toBeInstanceOf(SquallError);
    expect(e).toMatchObject({
      code: 'ERR_SQUALL_STRATEGY',
      hint: "relative paths are resolved against the scenario file's folder",
    });
    expect((e as Error).message).toMatch(
      /^strategy "broken" adapter\.path: cannot load "\.\/no-such-module\.mjs"/,
    );
  });
});

describe('the worker heap limit', () => {
  it('turns a strategy that outgrows it into ERR_SQUALL_SIM_LIMIT naming the strategy, not a crashed process', async () => {
    const plan = fixturePlan();
    const data: WorkerRunData = {
      traffic: plan.traffic,
      upstream: plan.upstream,
      seed: plan.seed,
      durationMs: plan.durationMs,
      drainMs: plan.drainMs,
      requestDeadlineMs: plan.requestDeadlineMs,
      faultWindows: [],
      progress: false,
    };
    // It keeps 1 MB per request: 1,800 requests would need 1.8 GB.
    const config = { name: 'leaky', adapter: { type: 'module', path: './leaky-strategy.mjs' } };
    const jobs = [{ index: 0, name: 'leaky', usesGlobals: true, spec: { config, baseDir: FIXTURE_DIR } }];
    await expect(
      runInWorkers(jobs, data, {
        workers: 1,
        resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
      }),
    ).rejects.toMatchObject({
      code: 'ERR_SQUALL_SIM_LIMIT',
      message: 'strategy "leaky" needed more than 64 MB of heap in its worker thread',
    });
  });
});

describe('when strategies run on workers', () => {
  const big = (o: Partial<Plan> = {}) => fixturePlan({ durationMs: 3 * 3_600_000, ...o }); // 108,000 each

  it('by default: one worker per core, up to one per strategy, for a run big enough to pay for them', () => {
    const cores = availableParallelism();
    expect(parallelismOf(big())).toEqual(
      cores >= 2 ? { workers: Math.min(4, cores) } : { workers: 1, sequentialBecause: 'one core' },
    );
    // 4 × 1,800 requests: starting threads would cost more than it saves.
    const small = parallelismOf(fixturePlan());
    expect(small.workers).toBe(1);
    expect(small.sequentialBecause).toMatch(/about 7200 requests in all/);
    expect(7200).toBeLessThan(MIN_REQUESTS_FOR_WORKERS);
    // Asked for explicitly, they are used whatever the size.
    expect(parallelismOf(fixturePlan(), { workers: 3 })).toEqual({ workers: 3 });
    expect(parallelismOf(fixturePlan(), { workers: 16 })).toEqual({ workers: 4 });
  });

  it('never in live mode, for one strategy, or with workers: 1', () => {
    expect(parallelismOf(big({ mode: 'live' }), { workers: 4 })).toEqual({
      workers: 1,
      sequentialBecause: 'live mode measures wall time',
    });
    const one = big();
    one.strategies = one.strategies.slice(0, 1);
    expect(parallelismOf(one, { workers: 4 }).workers).toBe(1);
    expect(parallelismOf(big(), { workers: 1 }).workers).toBe(1);
  });

  it('a plan that cannot cross threads: sequential by default (with the reason), an error when workers were asked for', () => {
    const noSpec = big();
    noSpec.strategies = noSpec.strategies.map(({ spec: _spec, ...rest }) => rest);
    expect(parallelismOf(noSpec).sequentialBecause).toMatch(/"naive", "expo", .* have no spec/);
    expect(() => parallelismOf(noSpec, { workers: 2 })).toThrow(
      /workers: 2: strategies "naive".* have no spec/,
    );

    const withFunction = big();
    (withFunction.upstream as unknown as Record<string, unknown>).onDecision = () => {};
    expect(parallelismOf(withFunction).sequentialBecause).toBe(
      'plan.upstream.onDecision is a function, not plain data a worker thread can receive',
    );
    class Weights {
      chat = 1;
    }
    const withInstance = big();
    withInstance.strategies[1]!.spec = { config: { name: 'expo', weights: new Weights() } };
    let error: unknown;
    try {
      parallelismOf(withInstance, { workers: 2 });
    } catch (e) {
      error = e;
    }
    expect(isSquallError(error, 'ERR_SQUALL_INVALID_CONFIG')).toBe(true);
    expect((error as Error).message).toBe(
      'workers: 2: plan.strategies[1].spec.config.weights is an instance of Weights, not plain data a worker thread can receive',
    );
  });

  it('a worker count that is not a whole number >= 1 is refused before anything runs', async () => {
    for (const workers of [0, -1, 1.5, Number.NaN]) {
      await expect(runExperiment(fixturePlan(), { workers })).rejects.toMatchObject({
        code: 'ERR_SQUALL_INVALID_CONFIG',
        message: `workers: expected a whole number >= 1, got ${workers}`,
      });
    }
  });
});

describe('squall run --workers', () => {
  const squall = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, GITHUB_STEP_SUMMARY: '' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
  const resultOf = (out: string): RunResult => {
    const root = join(out, 'parallel-fixture');
    return JSON.parse(readFileSync(join(root, readdirSync(root)[0]!, 'result.json'), 'utf8')) as RunResult;
  };

  it('writes the same result.json with --workers 3 as with --workers 1 (plain node, module stacks and all)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'squall-workers-'));
    try {
      const [one, three] = await Promise.all([
        squall(['run', FIXTURE, '--workers', '1', '--quiet', '--out', join(out, '1')]),
        squall(['run', FIXTURE, '--workers', '3', '--quiet', '--out', join(out, '3')]),
      ]);
      expect(one.stderr).toBe('');
      expect(three.stderr).toBe('');
      expect([one.code, three.code]).toEqual([0, 0]);
      expect(withoutWall(resultOf(join(out, '3')))).toBe(withoutWall(resultOf(join(out, '1'))));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('refuses a worker count that is not a whole number from 1 to 256 (exit 64)', async () => {
    const r = await squall(['run', FIXTURE, '--workers', '0', '--quiet', '--out', tmpdir()]);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/--workers: expected a whole number from 1 to 256, got "0"/);
  });
});
