/**
 * Live driver speed (issue 16 §4), measured side by side against one real `squall serve` child (the mock in
 * its own process, so the driver's CPU is not mixed with the server's). Per round, paired:
 *   1. autocannon (50 connections) against it: its rate and its own CPU per request, for reference;
 *   2. the driver holding a fixed rate: its CPU per request (process.cpuUsage() around the run);
 *   3. the driver stepping up the rate: the highest rate it sustains (every request completed, send lag
 *      p99 < 5 ms), as a share of autocannon's rate in the same round;
 *   4. two floors: `node:http` alone (keep-alive, 50 requests in flight, nothing else) against the same
 *      server, the client the driver uses, CPU per request; and how late a bare 1 ms timer fires (p99)
 *      with no work at all: send lag cannot be lower than the operating system lets this process run.
 * Medians of the rounds are printed last (the machines are shared: paired rounds and CPU per request are
 * steadier than any one wall-time figure). A retry policy is on, as a user's run would have one.
 *
 *   node bench/live-rate.ts [--rounds 3] [--hold-seconds 5] [--hold-rate 1000] [--step-seconds 3]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { runStrategyLive } from '../src/runner/run-strategy.ts';
import { upstreamConfigFrom } from '../src/scenario/upstream-schema.ts';
import { buildStrategy } from '../src/strategies/build.ts';
import { createTraffic, DEFAULT_MIX } from '../src/traffic/index.ts';
import { serve, stop } from './serve-child.ts';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const rounds = arg('rounds', 3);
const holdSec = arg('hold-seconds', 5);
const holdRate = arg('hold-rate', 1000);
const stepSec = arg('step-seconds', 3);
const STEPS_PER_SEC = [250, 500, 1000, 2000, 4000, 8000, 16000];
const LAG_P99_GOAL_MS = 5;

// Serving cost only: no latency, no network time, limits far above the load, a schedule with 0% faults.
const SCENARIO = `
seed: bench
upstream:
  latency: { fixed: 0 }
  network: { rtt: 0ms }
  rate_limits: { requests_per_min: 100000000, tokens_per_min: 2000000000 }
  capacity: { max_concurrent: 100000, max_queue: 0 }
  phases:
    - { name: calm, start: 0, end: 24h, faults: { "429": 0, "500": 0, "503": 0, timeout: 0 } }
`;
// The driver's own upstream config is unused with upstreamURL; the mix matches autocannon's body size.
const localUpstream = upstreamConfigFrom('live-bench', {});
const mix = {
  ...DEFAULT_MIX,
  promptTokens: { kind: 'fixed' as const, value: 100 },
  maxTokens: { kind: 'fixed' as const, value: 64 },
};
const strategy = await buildStrategy({
  name: 'expo',
  policies: [
    {
      type: 'retry',
      maxAttempts: 3,
      backoff: { kind: 'exponential', baseMs: 100, capMs: 2000, jitter: 'full' },
    },
  ],
});

async function drive(baseURL: string, ratePerSec: number, seconds: number) {
  const durationMs = seconds * 1000;
  const traffic = createTraffic(
    { model: 'open', arrivals: { kind: 'constant', ratePerSec }, mix },
    durationMs,
    'live',
  );
  const cpu0 = process.cpuUsage();
  const r = await runStrategyLive({
    strategy,
    usesGlobals: false,
    traffic,
    upstream: localUpstream,
    upstreamURL: baseURL,
    seed: 'live',
    durationMs,
    drainMs: 5_000,
    requestDeadlineMs: 10_000,
    faultWindows: [],
  });
  const cpu = process.cpuUsage(cpu0);
  const s = r.summary;
  const offered = Math.max(1, s.requests.offered);
  return {
    cpuUsPerRequest: (cpu.user + cpu.system) / offered,
    lagP99Ms: r.arrivalLagMs.p99,
    completedShare: s.requests.completed / offered,
    successShare: s.successRate ?? 0,
  };
}

async function autocannonRate(baseURL: string) {
  const cpu0 = process.cpuUsage();
  const ac = await autocannon({
    url: `${baseURL}/chat/completions`,
    method: 'POST',
    headers: { authorization: 'Bearer sk-bench', 'content-type': 'application/json' },
    body: AUTOCANNON_BODY,
    connections: 50,
    duration: stepSec,
  });
  const cpu = process.cpuUsage(cpu0);
  return {
    ratePerSec: ac.requests.average,
    cpuUsPerRequest: (cpu.user + cpu.system) / Math.max(1, ac.requests.total),
  };
}

const AUTOCANNON_BODY = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'the '.repeat(100) }],
  max_tokens: 64,
});

/** The HTTP client alone: CPU per request of node:http with a keep-alive agent, 50 in flight. */
async function httpFloor(baseURL: string, total: number) {
  const url = new URL(`${baseURL}/chat/completions`);
  const agent = new Agent({ keepAlive: true });
  const once = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        {
          agent,
          hostname: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            authorization: 'Bearer sk-bench',
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(AUTOCANNON_BODY),
          },
        },
        (res) => {
          res.on('data', () => {});
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end(AUTOCANNON_BODY);
    });
  let sent = 0;
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (sent < total) {
        sent++;
        await once();
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  return (cpu.user + cpu.system) / total;
}

/** p99 of how late a chain of bare 1 ms timers fires, in ms: this process's scheduling floor. */
async function timerLagP99(seconds: number) {
  const late: number[] = [];
  const endAt = performance.now() + seconds * 1000;
  while (performance.now() < endAt) {
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 1));
    late.push(performance.now() - t0 - 1);
  }
  late.sort((a, b) => a - b);
  return late[Math.floor(0.99 * (late.length - 1))]!;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const dir = mkdtempSync(join(tmpdir(), 'squall-live-rate-'));
writeFileSync(join(dir, 'bench.yaml'), SCENARIO);
const { child, baseURL } = await serve(['--scenario', join(dir, 'bench.yaml')]);
const rows: Record<string, string | number>[] = [];
try {
  // Warm-up: modules loaded, code compiled, connections open, on both sides.
  await drive(baseURL, 200, 1);
  for (let round = 1; round <= rounds; round++) {
    const ac = await autocannonRate(baseURL);
    const hold = await drive(baseURL, holdRate, holdSec);
    let best = 0;
    let firstMiss = '';
    for (const rate of STEPS_PER_SEC) {
      const step = await drive(baseURL, rate, stepSec);
      if (step.completedShare >= 0.999 && step.lagP99Ms < LAG_P99_GOAL_MS) best = rate;
      else {
        firstMiss = `${rate}/s: lag p99 ${step.lagP99Ms.toFixed(0)} ms, completed ${(100 * step.completedShare).toFixed(1)}%`;
        break;
      }
    }
    const floorUs = await httpFloor(baseURL, 3000);
    const timerP99 = await timerLagP99(2);
    rows.push({
      round,
      'autocannon req/s': Math.round(ac.ratePerSec),
      'autocannon CPU µs/req': Number(ac.cpuUsPerRequest.toFixed(1)),
      [`driver CPU µs/req at ${holdRate}/s`]: Number(hold.cpuUsPerRequest.toFixed(1)),
      [`lag p99 ms at ${holdRate}/s`]: Number(hold.lagP99Ms.toFixed(2)),
      'driver sustained req/s': best,
      'sustained / autocannon': Number((best / Math.max(1, ac.ratePerSec)).toFixed(3)),
      'first rate missed': firstMiss || '-',
      'node:http alone µs/req': Number(floorUs.toFixed(1)),
      'bare 1 ms timer late p99 ms': Number(timerP99.toFixed(2)),
    });
  }
} finally {
  await stop(child);
  rmSync(dir, { recursive: true, force: true });
}
console.table(rows);
const col = (k: string) => median(rows.map((r) => Number(r[k])));
console.log(
  `medians of ${rounds} rounds: driver CPU ${col(`driver CPU µs/req at ${holdRate}/s`).toFixed(1)} µs/request at ${holdRate}/s (goal ≤ 100); ` +
    `sustained ${col('driver sustained req/s')} req/s with send-lag p99 < ${LAG_P99_GOAL_MS} ms = ${col('sustained / autocannon').toFixed(3)}× autocannon (goal ≥ 0.5×); ` +
    `autocannon ${Math.round(col('autocannon req/s'))} req/s at ${col('autocannon CPU µs/req').toFixed(1)} µs/request; ` +
    `floors: node:http alone ${col('node:http alone µs/req').toFixed(1)} µs/request, a bare 1 ms timer fires ${col('bare 1 ms timer late p99 ms').toFixed(2)} ms late at p99; ` +
    `load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores; node ${process.version}`,
);
