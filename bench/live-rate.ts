/**
 * Wall-time load (issue 4): the driver holds 2,000 requests per minute against the mock upstream on
 * loopback and reports how late it sends (intended vs actual send time; goal p99 < 5 ms), then finds the
 * highest rate it sustains, and prints autocannon's maximum against the same server for reference.
 *
 *   node bench/live-rate.ts [--hold-seconds 30] [--step-seconds 8]
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { runStrategyLive } from '../src/runner/run-strategy.ts';
import { upstreamConfigFrom } from '../src/scenario/upstream-schema.ts';
import { buildStrategy } from '../src/strategies/build.ts';
import { createTraffic, DEFAULT_MIX } from '../src/traffic/index.ts';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const holdSec = arg('hold-seconds', 30);
const stepSec = arg('step-seconds', 8);

const upstream = upstreamConfigFrom('live-bench', {
  latency: { median: '20ms', p99: '80ms' },
  rate_limits: { requests_per_min: 10_000_000, tokens_per_min: 2_000_000_000 },
  capacity: { max_concurrent: 100_000, max_queue: 0 },
});
const mix = {
  ...DEFAULT_MIX,
  promptTokens: { kind: 'fixed' as const, value: 100 },
  maxTokens: { kind: 'fixed' as const, value: 64 },
};

async function hold(ratePerMin: number, seconds: number) {
  const durationMs = seconds * 1000;
  const traffic = createTraffic(
    { model: 'open', arrivals: { kind: 'constant', ratePerSec: ratePerMin / 60 }, mix },
    durationMs,
    'live',
  );
  const r = await runStrategyLive({
    strategy: await buildStrategy({
      name: 'expo',
      policies: [
        {
          type: 'retry',
          maxAttempts: 3,
          backoff: { kind: 'exponential', baseMs: 100, capMs: 2000, jitter: 'full' },
        },
      ],
    }),
    usesGlobals: false,
    traffic,
    upstream,
    seed: 'live',
    durationMs,
    drainMs: 5_000,
    requestDeadlineMs: 10_000,
    faultWindows: [],
  });
  const s = r.summary;
  return {
    'rate rpm': ratePerMin,
    offered: s.requests.offered,
    'completed %': ((100 * s.requests.completed) / Math.max(1, s.requests.offered)).toFixed(1),
    'success %': ((s.successRate ?? 0) * 100).toFixed(1),
    'send lag p50 ms': r.arrivalLagMs.p50.toFixed(2),
    'send lag p99 ms': r.arrivalLagMs.p99.toFixed(2),
    'latency p99 ms': (s.latencyMs.p99 ?? 0).toFixed(1),
    lagP99: r.arrivalLagMs.p99,
    completedShare: s.requests.completed / Math.max(1, s.requests.offered),
  };
}

const rows = [await hold(2000, holdSec)];
let best = 2000;
for (const rpm of [6000, 12000, 24000, 48000, 96000]) {
  const row = await hold(rpm, stepSec);
  rows.push(row);
  // Sustained: everything completed and the driver sent on time (p99 lag under 50 ms).
  if (row.completedShare >= 0.999 && row.lagP99 < 50) best = rpm;
  else break;
}
console.table(rows.map(({ lagP99: _l, completedShare: _c, ...r }) => r));

// autocannon's maximum against the same kind of server (a separate process, no latency) for reference.
const servers = fileURLToPath(new URL('./servers.ts', import.meta.url));
const child: ChildProcess = fork(servers, ['mock'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const port = await new Promise<number>((resolve) =>
  child.once('message', (m) => resolve((m as { port: number }).port)),
);
const ac = await autocannon({
  url: `http://127.0.0.1:${port}/v1/chat/completions`,
  method: 'POST',
  headers: { authorization: 'Bearer sk-bench', 'content-type': 'application/json' },
  body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 64 }),
  connections: 50,
  duration: stepSec,
});
child.kill();
const first = rows[0]!;
console.log(
  `at 2000 rpm: send lag p99 ${first['send lag p99 ms']} ms (goal < 5 ms); highest sustained rate ${best} rpm (${Math.round(best / 60)} req/s) with retries on; ` +
    `autocannon max against the mock: ${Math.round(ac.requests.average)} req/s; node ${process.version}`,
);
