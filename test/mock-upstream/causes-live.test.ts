import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpFront } from '../../mock-upstream/fronts/http.ts';
import { RateLimits } from '../../mock-upstream/model/buckets.ts';
import { applyBucketOp, type BucketOp } from '../../mock-upstream/shared/ops.ts';
import { RedisBuckets } from '../../mock-upstream/shared/redis.ts';
import { createUpstream } from '../../mock-upstream/upstream.ts';
import { RealClock } from '../../src/sim/clock.ts';
import { Rng } from '../../src/sim/rng.ts';

/**
 * The upstream causes outside simulated time: over real sockets on loopback (the HTTP front plays the
 * decision's delays and headers), and in the Redis-shared buckets, whose script has its own copy of the
 * bucket math and must quantize exactly as the in-memory buckets do.
 */

const CHAT = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}';

async function post(
  baseURL: string,
  apiKey = 'sk-live',
): Promise<{ status: number; headers: Headers; ms: number }> {
  const t0 = performance.now();
  const r = await fetch(`${baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: CHAT,
  });
  await r.arrayBuffer();
  return { status: r.status, headers: r.headers, ms: performance.now() - t0 };
}

describe('the upstream causes over HTTP on loopback', () => {
  it('a capacity 429 carries its Retry-After and takes at least the round trip; a quantum refuses a wave', async () => {
    const upstream = createUpstream({
      seed: 1,
      upstream: {
        latency: { fixed: '0ms' },
        network: { rtt: '80ms' },
        rate_limits: { requests_per_min: 600, tokens_per_min: 100_000_000, quantum: '1s' },
        phases: [{ start: '1h', end: '2h', faults: { '503': 1 } }],
      },
    });
    const front = await startHttpFront(upstream, { port: 0, clock: new RealClock() });
    try {
      const t0 = performance.now();
      const wave = await Promise.all(Array.from({ length: 60 }, () => post(front.baseURL)));
      const waveMs = performance.now() - t0;
      const passed = wave.filter((r) => r.status === 200).length;
      // 600 RPM per second: 10 pass at once, plus one per 100 ms the wave took to arrive (an upper bound
      // measured here, so a slow machine widens it rather than failing).
      expect(passed).toBeGreaterThanOrEqual(10);
      expect(passed).toBeLessThanOrEqual(10 + Math.ceil(waveMs / 100));
      expect(passed).toBeLessThan(60);
      // Rejections and successes alike take the round trip (a lower bound: never flaky on a slow machine).
      for (const r of wave) expect(r.ms).toBeGreaterThanOrEqual(75);
      const limited = wave.find((r) => r.status === 429)!;
      expect(limited.headers.get('x-ratelimit-limit-requests')).toBe('600');
    } finally {
      await front.close();
    }

    const busy = createUpstream({
      seed: 1,
      upstream: {
        // Long enough that the second request arrives while the first is served, however slow the machine.
        latency: { fixed: '3s' },
        network: { rtt: '0ms' },
        capacity: { max_concurrent: 1, max_queue: 0, reject: { status: 429, retry_after: '90s' } },
      },
    });
    const busyFront = await startHttpFront(busy, { port: 0, clock: new RealClock() });
    try {
      const [a, b] = await Promise.all([post(busyFront.baseURL), post(busyFront.baseURL)]);
      const rejected = a!.status === 429 ? a! : b!;
      expect([a!.status, b!.status].sort()).toEqual([200, 429]);
      expect(rejected.headers.get('retry-after')).toBe('90');
    } finally {
      await busyFront.close();
    }
  }, 30_000);
});

describe('slow failures and expired keys over HTTP on loopback', () => {
  it('a 503 takes its fault latency and an expired key is refused for its whole phase', async () => {
    const upstream = createUpstream({
      seed: 2,
      upstream: {
        network: { rtt: '0ms' },
        fault_latency: { '503': '250ms' },
        phases: [
          { start: 0, end: '1h', faults: { '503': 1 }, scope: { api_keys: ['sk-live'] } },
          { start: 0, end: '1h', expired_keys: ['sk-old'] },
        ],
      },
    });
    const front = await startHttpFront(upstream, { port: 0, clock: new RealClock() });
    try {
      const slow = await post(front.baseURL);
      expect(slow.status).toBe(503);
      expect(slow.ms).toBeGreaterThanOrEqual(240);
      const expired = await Promise.all(Array.from({ length: 5 }, () => post(front.baseURL, 'sk-old')));
      expect(expired.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    } finally {
      await front.close();
    }
  }, 30_000);
});

function redisServerPath(): string | undefined {
  for (const p of ['/usr/bin/redis-server', '/usr/local/bin/redis-server']) if (existsSync(p)) return p;
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const REDIS = redisServerPath();

describe.skipIf(!REDIS)('quantized buckets in Redis', () => {
  let dir: string;
  let redis: ChildProcess | undefined;
  let redisURL: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'squall-redis-quantum-'));
    const port = await freePort();
    redisURL = `redis://127.0.0.1:${port}`;
    redis = spawn(
      REDIS!,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 15_000);
      redis!.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (/Ready to accept connections/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }, 30_000);

  afterAll(async () => {
    if (redis && redis.exitCode === null) {
      await new Promise<void>((resolve) => {
        redis!.once('exit', () => resolve());
        redis!.kill('SIGTERM');
      });
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('answer exactly what one RateLimits answers with quanta, operation by operation', async () => {
    const defaults = { requestsPerMin: 600, tokensPerMin: 60_000, quantumMs: 1000 };
    const byKey = {
      'sk-slow': { requestsPerMin: 30, quantumMs: 10_000 },
      'sk-minute': { quantumMs: 60_000 },
    };
    const store = new RedisBuckets(redisURL, defaults, byKey, { keyPrefix: 'squall:test:quantum:' });
    await store.connect();
    try {
      const local = new RateLimits(defaults, byKey);
      const rng = new Rng('redis-quantum').fork('ops');
      let nowMs = 2_000_000.25;
      const outcomes = new Set<string>();
      for (let i = 0; i < 400; i++) {
        nowMs += rng.int(3) === 0 ? 0 : rng.uniform(0, 400);
        const apiKey = rng.pick(['sk-a', 'sk-slow', 'sk-minute']);
        const kind = rng.pick(['check', 'check', 'check', 'charge', 'snapshot'] as const);
        const override = rng.chance(0.2) ? { quantumMs: 100 + rng.int(2000) } : undefined;
        const op: BucketOp =
          kind === 'check'
            ? { kind, apiKey, nowMs, requestedTokens: rng.int(3_000), ...(override ? { override } : {}) }
            : kind === 'charge'
              ? { kind, apiKey, nowMs, ...(override ? { override } : {}) }
              : { kind, apiKey, nowMs };
        const want = applyBucketOp(local, op);
        const got = await store.apply(op);
        expect(got, `op ${i}: ${JSON.stringify(op)}`).toEqual(want);
        outcomes.add(got.outcome);
      }
      expect([...outcomes].sort()).toEqual(['ok', 'requests', 'tokens']);
    } finally {
      await store.close();
    }
  }, 60_000);
});
