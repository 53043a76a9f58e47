import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimits } from '../../mock-upstream/model/buckets.ts';
import { UpstreamModel } from '../../mock-upstream/model/model.ts';
import { applyBucketOp, type BucketOp, InMemorySharedBuckets } from '../../mock-upstream/shared/ops.ts';
import { RedisBuckets } from '../../mock-upstream/shared/redis.ts';
import { parseStartTime } from '../../mock-upstream/shared/start-time.ts';
import type { Reply } from '../../mock-upstream/types.ts';
import { Upstream } from '../../mock-upstream/upstream.ts';
import { Rng } from '../../src/sim/rng.ts';
import { chatAttempt, upstreamConfig } from './model/fixtures.ts';

const BIN = fileURLToPath(new URL('../../bin/squall.mjs', import.meta.url));
const CHAT = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}';
/** Start of the shared schedule: fixed, so both processes count from the same instant. */
const START_MS = 1_767_225_600_000;

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

/** Starts a child and resolves when `ready` matches its stdout; kills it on timeout. */
function startChild(
  cmd: string,
  args: string[],
  ready: RegExp,
): Promise<{ child: ChildProcess; line: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} did not start in time\nstdout: ${out}\nstderr: ${err}`));
    }, 15_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, line: m[0] });
      }
    });
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited with ${code}\nstdout: ${out}\nstderr: ${err}`));
    });
  });
}

function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function serve(args: string[]): Promise<{ child: ChildProcess; baseURL: string }> {
  const { child, line } = await startChild(
    process.execPath,
    [BIN, 'serve', '--port', '0', ...args],
    /^http:\/\/\S+\/v1$/m,
  );
  return { child, baseURL: line };
}

async function chat(baseURL: string, apiKey: string, attemptKey?: string): Promise<number> {
  const res = await fetch(`${baseURL}/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${apiKey}`,
      'content-type': 'application/json',
      ...(attemptKey ? { 'x-squall-attempt-key': attemptKey } : {}),
    },
    body: CHAT,
  });
  await res.arrayBuffer();
  return res.status;
}

/** RPM 20 for everyone; a separate, unlimited key for the schedule comparison, which alone gets 500s half the time. */
const SCENARIO = `
seed: 11
upstream:
  latency: { fixed: 0 }
  rate_limits: { requests_per_min: 20 }
  rate_limits_by_key:
    sk-schedule: { requests_per_min: 1000000 }
  phases:
    - { name: flaky, start: 0, end: 100000h, faults: { "500": 0.5 }, scope: { api_keys: [sk-schedule] } }
`;

describe('shared buckets decide what one in-memory RateLimits decides', () => {
  it('decideShared over in-memory shared buckets equals decide over own buckets, attempt by attempt', async () => {
    const config = upstreamConfig({
      rateLimits: { requestsPerMin: 30, tokensPerMin: 20_000 },
      phases: [
        {
          name: 'mixed',
          startMs: 0,
          endMs: 3_600_000,
          faults: { '500': 0.2, '502': 0.1 },
        },
      ],
    });
    const plain = new UpstreamModel(config, { startMs: 0 });
    const shared = new UpstreamModel(config, { startMs: 0 });
    const buckets = new InMemorySharedBuckets(config.rateLimits);
    const rng = new Rng('scale-out').fork('attempts');
    let nowMs = 0;
    const outcomes = new Set<string>();
    for (let i = 0; i < 300; i++) {
      nowMs += rng.int(400);
      const attempt = chatAttempt({
        apiKey: rng.pick(['sk-a', 'sk-b']),
        promptTokens: rng.int(3000),
        maxTokens: rng.int(1000),
      });
      const a = plain.decide(attempt, nowMs);
      const b = await shared.decideShared(attempt, nowMs, buckets);
      expect(b).toEqual(a);
      outcomes.add(a.outcome);
    }
    // The sequence exercised faults, both 429 kinds and success, or the comparison proved little.
    expect([...outcomes].sort()).toEqual(expect.arrayContaining(['429', '500', 'ok']));
  });

  it('over shared buckets, answers are the same bytes whatever order the store answers in', async () => {
    const config = upstreamConfig({ models: ['gpt-4o-mini'], latency: { kind: 'fixed', ms: 0 } });
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    const bodies = async (reverse: boolean) => {
      const inner = new InMemorySharedBuckets(config.rateLimits);
      // A store whose answers come back in reverse order of the requests (or in order).
      const held: Array<() => void> = [];
      const buckets = {
        label: 'test',
        close: async () => {},
        apply: (op: BucketOp) =>
          new Promise<ReturnType<typeof applyBucketOp>>((resolve) => {
            held.push(() => resolve(applyBucketOp(inner.limits, op)));
          }),
      };
      const u = new Upstream(config, { startMs: 0, sharedBuckets: buckets });
      const replies = Array.from({ length: 5 }, () =>
        u.respond(
          {
            method: 'POST',
            path: '/v1/chat/completions',
            headers: { authorization: 'Bearer sk-a' },
            bodyText: body,
          },
          10,
        ),
      );
      for (const release of reverse ? held.reverse() : held) release();
      return (await Promise.all(replies)).map((r: Reply) =>
        r.kind === 'response' ? r.parts[0]!.data : r.kind,
      );
    };
    const inOrder = await bodies(false);
    expect(new Set(inOrder).size).toBe(5);
    expect(await bodies(true)).toEqual(inOrder);
  });

  it('parses --start-time as epoch ms or zoned ISO and refuses a time without a zone', () => {
    expect(parseStartTime('1767225600000')).toBe(START_MS);
    expect(parseStartTime('2026-01-01T00:00:00Z')).toBe(START_MS);
    expect(parseStartTime('2026-01-01T01:00:00+01:00')).toBe(START_MS);
    expect(() => parseStartTime('2026-01-01T00:00:00')).toThrow(/--start-time/);
    expect(() => parseStartTime('soon')).toThrow(/--start-time/);
  });
});

describe('squall serve --workers 2 (buckets in the primary)', () => {
  let dir: string;
  let server: { child: ChildProcess; baseURL: string } | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'squall-scale-'));
    writeFileSync(join(dir, 'scenario.yaml'), SCENARIO);
    server = await serve([
      '--workers',
      '2',
      '--scenario',
      join(dir, 'scenario.yaml'),
      '--start-time',
      String(START_MS),
    ]);
  }, 30_000);

  afterAll(async () => {
    await stopChild(server?.child);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a burst across both workers gets one RPM limit, not one per worker', async () => {
    // Separate connections, so the cluster spreads them over both workers.
    const statuses = await Promise.all(Array.from({ length: 60 }, () => chat(server!.baseURL, 'sk-burst')));
    expect(new Set(statuses)).toEqual(new Set([200, 429]));
    const charged = statuses.filter((s) => s === 200).length;
    // 20 RPM refills one request every 3 s; the burst takes far less. Per-worker buckets would let 40 through.
    expect(charged).toBeGreaterThanOrEqual(20);
    expect(charged).toBeLessThanOrEqual(21);
  });
});

const REDIS = redisServerPath();
if (!REDIS) {
  console.warn(
    '\n*** SKIPPED: redis-server not found; the Redis scale-out tests did not run. Install it: apt-get install -y redis-server ***\n',
  );
}

describe.skipIf(!REDIS)('two squall serve processes sharing Redis', () => {
  let dir: string;
  let redisURL: string;
  let redis: ChildProcess | undefined;
  const servers: Array<{ child: ChildProcess; baseURL: string }> = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'squall-redis-'));
    writeFileSync(join(dir, 'scenario.yaml'), SCENARIO);
    const port = await freePort();
    redis = (
      await startChild(
        REDIS!,
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
        /Ready to accept connections/,
      )
    ).child;
    redisURL = `redis://127.0.0.1:${port}`;
    const args = [
      '--scenario',
      join(dir, 'scenario.yaml'),
      '--redis',
      redisURL,
      '--start-time',
      '2026-01-01T00:00:00Z',
    ];
    servers.push(await serve(args), await serve(args));
  }, 30_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => stopChild(s.child)));
    await stopChild(redis);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a burst across both processes respects one global RPM limit', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 60 }, (_, i) => chat(servers[i % 2]!.baseURL, 'sk-burst')),
    );
    expect(new Set(statuses)).toEqual(new Set([200, 429]));
    const charged = statuses.filter((s) => s === 200).length;
    expect(charged).toBeGreaterThanOrEqual(20);
    expect(charged).toBeLessThanOrEqual(21);
  });

  it('both processes publish the same schedule and start', async () => {
    const [a, b] = await Promise.all(
      servers.map(async (s) => {
        const root = s.baseURL.replace(/\/v1$/, '');
        const schedule = await (await fetch(`${root}/__squall/schedule`)).json();
        const state = (await (await fetch(`${root}/__squall/state`)).json()) as { startMs: number };
        return { schedule, startMs: state.startMs };
      }),
    );
    expect(a!.startMs).toBe(START_MS);
    expect(b).toEqual(a);
  });

  it('the same x-squall-attempt-key gets the same decision from either process', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `attempt-${i}`);
    const a = await Promise.all(keys.map((k) => chat(servers[0]!.baseURL, 'sk-schedule', k)));
    const b = await Promise.all(keys.map((k) => chat(servers[1]!.baseURL, 'sk-schedule', k)));
    expect(b).toEqual(a);
    // Half of them fail by the schedule: the comparison covers both outcomes.
    expect(a).toContain(500);
    expect(a).toContain(200);
  });

  it('Redis buckets answer exactly what one RateLimits answers, operation by operation', async () => {
    const defaults = { requestsPerMin: 12, tokensPerMin: 5_000 };
    const byKey = { 'sk-big': { requestsPerMin: 600 } };
    const store = new RedisBuckets(redisURL, defaults, byKey, { keyPrefix: 'squall:test:exact:' });
    await store.connect();
    try {
      const local = new RateLimits(defaults, byKey);
      const rng = new Rng('redis-exact').fork('ops');
      let nowMs = 1_000_000.5;
      const outcomes = new Set<string>();
      for (let i = 0; i < 400; i++) {
        nowMs += rng.int(3) === 0 ? 0 : rng.uniform(0, 4000);
        const apiKey = rng.pick(['sk-a', 'sk-b', 'sk-big']);
        const kind = rng.pick(['check', 'check', 'check', 'charge', 'snapshot'] as const);
        const override = rng.chance(0.2) ? { requestsPerMin: 5 + rng.int(20) } : undefined;
        const op: BucketOp =
          kind === 'check'
            ? { kind, apiKey, nowMs, requestedTokens: rng.int(6_000), ...(override ? { override } : {}) }
            : kind === 'charge'
              ? { kind, apiKey, nowMs, ...(override ? { override } : {}) }
              : { kind, apiKey, nowMs };
        const want = applyBucketOp(local, op);
        const got = await store.apply(op);
        expect(got, `op ${i}: ${JSON.stringify(op)}`).toEqual(want);
        outcomes.add(got.outcome);
      }
      expect([...outcomes].sort()).toEqual(['ok', 'requests', 'tokens', 'too_large']);
    } finally {
      await store.close();
    }
  });
});
