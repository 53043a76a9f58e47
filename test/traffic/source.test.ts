import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LogicalRequest } from '../../src/strategies/types.ts';
import { DEFAULT_MIX, type RequestMix } from '../../src/traffic/mix.ts';
import { createTraffic, type TrafficSpec } from '../../src/traffic/source.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
const SEED = 'source-test';

const MIX: RequestMix = {
  ...DEFAULT_MIX,
  models: [
    { name: 'gpt-4o-mini', weight: 1 },
    { name: 'gpt-4o', weight: 1 },
  ],
  streamFraction: 0.5,
  users: { count: 50 },
};

const take = (it: Iterable<LogicalRequest>, n = Number.POSITIVE_INFINITY): LogicalRequest[] => {
  const out: LogicalRequest[] = [];
  for (const r of it) {
    if (out.length >= n) break;
    out.push(r);
  }
  return out;
};

const dir = mkdtempSync(join(tmpdir(), 'squall-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('open traffic', () => {
  const spec: TrafficSpec = { model: 'open', arrivals: { kind: 'poisson', ratePerSec: 20 }, mix: MIX };

  it('every call to arrivals() yields the identical trace (one call per strategy)', () => {
    const traffic = createTraffic(spec, 5 * MIN, SEED);
    const first = take(traffic.arrivals());
    expect(first.length).toBeGreaterThan(5000);
    expect(take(traffic.arrivals())).toEqual(first);
    expect(take(createTraffic(spec, 5 * MIN, SEED).arrivals())).toEqual(first);
  });

  it('another seed gives another trace', () => {
    const a = take(createTraffic(spec, MIN, 'seed-a').arrivals(), 100);
    const b = take(createTraffic(spec, MIN, 'seed-b').arrivals(), 100);
    expect(b.map((r) => r.arrivalMs)).not.toEqual(a.map((r) => r.arrivalMs));
  });

  it('request attributes do not depend on the arrival process (request i is request i)', () => {
    const poisson = take(createTraffic(spec, MIN, SEED).arrivals(), 500);
    const constant = take(
      createTraffic({ ...spec, arrivals: { kind: 'constant', ratePerSec: 20 } }, MIN, SEED).arrivals(),
      500,
    );
    const strip = (r: LogicalRequest) => ({ ...r, arrivalMs: 0 });
    expect(constant.map(strip)).toEqual(poisson.map(strip));
  });

  it('is labelled open and knows how many requests to expect', () => {
    const t = createTraffic(
      { model: 'open', arrivals: { kind: 'constant', ratePerSec: 2000 / 60 }, mix: MIX },
      2 * HOUR,
      SEED,
    );
    expect(t.kind).toBe('open');
    expect(t.origin).toBe('arrivals');
    expect(t.expectedCount).toBe(240_000);
    expect(t.description).toMatch(/^open model: constant 33\.33\/s/);
  });

  it('is lazy: the first 10 requests of a 2 h, 2000/min run come at once', () => {
    const t = createTraffic(
      { model: 'open', arrivals: { kind: 'constant', ratePerSec: 2000 / 60 }, mix: MIX },
      2 * HOUR,
      SEED,
    );
    const started = performance.now();
    const first = take(t.arrivals(), 10);
    expect(performance.now() - started).toBeLessThan(50);
    expect(first.map((r) => r.id)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9']);
    expect(first.map((r) => r.arrivalMs)).toEqual([0, 30, 60, 90, 120, 150, 180, 210, 240, 270]);
  });
});

describe('closed traffic', () => {
  const spec: TrafficSpec = {
    model: 'closed',
    virtualUsers: 3,
    thinkTimeMs: { kind: 'lognormal', median: 1000, p99: 5000 },
    mix: MIX,
  };

  it("each user's k-th request is the same whenever it is sent and in whatever order users are asked", () => {
    const a = createTraffic(spec, MIN, SEED).closed!;
    const b = createTraffic(spec, MIN, SEED).closed!;
    const forward = [a.request(0, 0, 0), a.request(1, 0, 0), a.request(2, 5, 900)];
    const backward = [b.request(2, 5, 12_345), b.request(1, 0, 7), b.request(0, 0, 3)].reverse();
    const strip = (r: LogicalRequest) => ({ ...r, arrivalMs: 0 });
    expect(backward.map(strip)).toEqual(forward.map(strip));
    expect(forward.map((r) => r.id)).toEqual(['v0.0', 'v1.0', 'v2.5']);
    expect(b.request(2, 5, 12_345).arrivalMs).toBe(12_345);
  });

  it('think times are keyed by (user, iteration) and follow the distribution', () => {
    const c = createTraffic(spec, MIN, SEED).closed!;
    expect(c.nextThinkMs(1, 4)).toBe(createTraffic(spec, MIN, SEED).closed!.nextThinkMs(1, 4));
    const thinks = Array.from({ length: 4000 }, (_, k) => c.nextThinkMs(k % 3, Math.floor(k / 3))).sort(
      (x, y) => x - y,
    );
    const median = thinks[2000]!;
    expect(median).toBeGreaterThan(900);
    expect(median).toBeLessThan(1100);
    expect(new Set(thinks).size).toBeGreaterThan(1000);
  });

  it('is labelled closed, says what that means, and has no arrival schedule', () => {
    const t = createTraffic(spec, MIN, SEED);
    expect(t.kind).toBe('closed');
    expect(t.closed!.virtualUsers).toBe(3);
    expect(t.description).toMatch(/^closed model: 3 virtual users/);
    expect(t.description).toMatch(/offered load falls as responses slow down/);
    expect(() => t.arrivals()).toThrow(/closed/);
  });

  it('refuses a virtual user that does not exist', () => {
    expect(() => createTraffic(spec, MIN, SEED).closed!.request(3, 0, 0)).toThrow(/no virtual user 3/);
  });
});

describe('trace traffic', () => {
  const file = 'scenarios/traces/checkout-burst.ndjson';

  it('replays the trace, dropping requests at or after the end of the run', () => {
    const t = createTraffic({ model: 'trace', file }, 1000, SEED);
    expect(t.kind).toBe('open');
    expect(t.origin).toBe('trace');
    expect(t.expectedCount).toBe(5);
    expect(take(t.arrivals()).map((r) => r.arrivalMs)).toEqual([0, 120, 120, 400, 450]);
    expect(t.description).toMatch(/trace replay .* 5 requests \(5 after the run's end dropped\)/);
  });

  it('time-scaled replay fits more of the trace in the same run', () => {
    const t = createTraffic({ model: 'trace', file, timeScale: 2 }, 1000, SEED);
    expect(t.expectedCount).toBe(9);
    expect(t.description).toMatch(/at 2× speed/);
  });

  it('hands each strategy its own copies of the requests', () => {
    const t = createTraffic({ model: 'trace', file }, HOUR, SEED);
    const first = take(t.arrivals());
    first[0]!.model = 'mutated';
    expect(take(t.arrivals())[0]!.model).toBe('gpt-4o-mini');
  });
});

describe('createTraffic refuses what cannot run, before anything runs', () => {
  const bad = join(dir, 'bad.ndjson');
  writeFileSync(bad, '{"timestamp": 0, "model": "m"}\n');

  it.each<[string, TrafficSpec, number, string, RegExp]>([
    [
      'a rate of zero',
      { model: 'open', arrivals: { kind: 'constant', ratePerSec: 0 }, mix: MIX },
      MIN,
      'ERR_SQUALL_INVALID_CONFIG',
      /arrivals\.rate/,
    ],
    [
      'a duration that is not a duration',
      { model: 'open', arrivals: { kind: 'constant', ratePerSec: 1 }, mix: MIX },
      Number.NaN,
      'ERR_SQUALL_INVALID_CONFIG',
      /traffic\.duration/,
    ],
    [
      'an endless open run',
      { model: 'open', arrivals: { kind: 'constant', ratePerSec: 1 }, mix: MIX },
      Number.POSITIVE_INFINITY,
      'ERR_SQUALL_INVALID_CONFIG',
      /traffic\.duration/,
    ],
    [
      'far too many requests',
      { model: 'open', arrivals: { kind: 'constant', ratePerSec: 2000 }, mix: MIX },
      14 * 24 * HOUR,
      'ERR_SQUALL_INVALID_CONFIG',
      /the limit is 50,000,000/,
    ],
    [
      'a burst after the run ends',
      { model: 'open', arrivals: { kind: 'burst', count: 5, atMs: 2 * MIN }, mix: MIX },
      MIN,
      'ERR_SQUALL_INVALID_CONFIG',
      /no request would arrive/,
    ],
    [
      'a bad mix',
      { model: 'open', arrivals: { kind: 'constant', ratePerSec: 1 }, mix: { ...MIX, streamFraction: -1 } },
      MIN,
      'ERR_SQUALL_INVALID_CONFIG',
      /stream_fraction/,
    ],
    [
      'zero virtual users',
      { model: 'closed', virtualUsers: 0, thinkTimeMs: { kind: 'fixed', value: 0 }, mix: MIX },
      MIN,
      'ERR_SQUALL_INVALID_CONFIG',
      /virtual_users/,
    ],
    [
      'a negative think time',
      { model: 'closed', virtualUsers: 1, thinkTimeMs: { kind: 'fixed', value: -1 }, mix: MIX },
      MIN,
      'ERR_SQUALL_INVALID_CONFIG',
      /think_time/,
    ],
    [
      'an unreadable trace file',
      { model: 'trace', file: join(dir, 'missing.csv') },
      MIN,
      'ERR_SQUALL_SCENARIO_FILE',
      /cannot read the trace file/,
    ],
    [
      'a trace with a bad line',
      { model: 'trace', file: bad },
      MIN,
      'ERR_SQUALL_SCENARIO_FILE',
      /bad\.ndjson:1 {2}prompt_tokens: missing/,
    ],
    [
      'a time scale of zero',
      { model: 'trace', file: bad, timeScale: 0 },
      MIN,
      'ERR_SQUALL_INVALID_CONFIG',
      /time_scale/,
    ],
  ])('%s', (_, spec, durationMs, code, message) => {
    let caught: unknown;
    try {
      createTraffic(spec, durationMs, SEED);
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ code, message: expect.stringMatching(message) });
    expect((caught as { hint?: string }).hint).toBeTruthy();
  });
});
