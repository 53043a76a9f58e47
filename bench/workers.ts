/**
 * Requests per second of `squall serve --workers 2` against one process, on this machine, with autocannon.
 * Each server is a real `squall serve` child (the CLI path users run); autocannon runs here. The upstream
 * has no latency and limits far above the load, so the number is the serving cost itself, including the
 * shared rate-limit check (one IPC round trip to the primary per attempt with --workers).
 *
 *   node bench/workers.ts [seconds=5] [connections=64] [workers=2]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { serve, stop } from './serve-child.ts';

const durationSec = Number(process.argv[2] ?? 5);
const connections = Number(process.argv[3] ?? 64);
const workers = Number(process.argv[4] ?? 2);

const SCENARIO = `
seed: bench
upstream:
  latency: { fixed: 0 }
  rate_limits: { requests_per_min: 100000000, tokens_per_min: 2000000000 }
  capacity: { max_concurrent: 100000, max_queue: 0 }
  phases:
    - { name: calm, start: 0, end: 24h, faults: { "429": 0, "500": 0, "503": 0, timeout: 0 } }
`;

async function measure(label: string, args: string[]): Promise<number> {
  const { child, baseURL } = await serve(args);
  try {
    const r = await autocannon({
      url: `${baseURL}/chat/completions`,
      method: 'POST',
      connections,
      duration: durationSec,
      headers: { authorization: 'Bearer sk-bench', 'content-type': 'application/json' },
      body: '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"max_tokens":16}',
    });
    const bad = r.non2xx + r.errors + r.timeouts;
    const rps = r.requests.average;
    console.log(
      `${label.padEnd(22)} ${rps.toFixed(0).padStart(8)} req/s   p99 ${r.latency.p99} ms   non-2xx/errors ${bad}`,
    );
    return rps;
  } finally {
    await stop(child);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'squall-bench-workers-'));
try {
  const scenario = join(dir, 'bench.yaml');
  writeFileSync(scenario, SCENARIO);
  console.log(
    `squall serve throughput: ${durationSec}s per run, ${connections} connections, ${availableParallelism()} cores (autocannon shares them)`,
  );
  const one = await measure('1 process', ['--scenario', scenario]);
  const many = await measure(`--workers ${workers}`, ['--scenario', scenario, '--workers', String(workers)]);
  console.log(`ratio (--workers ${workers} / 1 process): ${(many / one).toFixed(2)}x`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
