import { describe, expect, it } from 'vitest';
import { Schedule } from '../../../mock-upstream/model/schedule.ts';
import type { IncidentProcessConfig, PhaseConfig } from '../../../mock-upstream/types.ts';
import { isSquallError } from '../../../src/errors.ts';
import { Rng } from '../../../src/sim/rng.ts';

const A = { endpoint: 'chat.completions', model: 'gpt-4o-mini', apiKey: 'sk-key-A' } as const;
const B = { endpoint: 'chat.completions', model: 'gpt-4o-mini', apiKey: 'sk-key-B' } as const;

function schedule(phases: PhaseConfig[], incidents: IncidentProcessConfig[] = [], seed = 'sched'): Schedule {
  return new Schedule(phases, incidents, new Rng(seed));
}

function p500(s: Schedule, tMs: number, target: typeof A | typeof B = A): number {
  return s.active(tMs, target).faults.get('500') ?? 0;
}

describe('Schedule: windows', () => {
  it.each([
    { tMs: 999, active: false },
    { tMs: 1000, active: true },
    { tMs: 1999, active: true },
    { tMs: 2000, active: false },
  ])('a phase is active in [startMs, endMs): t=$tMs → $active', ({ tMs, active }) => {
    const s = schedule([{ name: 'outage', startMs: 1000, endMs: 2000, faults: { '500': 1 } }]);
    const a = s.active(tMs, A);
    expect(a.phases).toEqual(active ? ['outage'] : []);
    expect(a.faults.get('500') ?? 0).toBe(active ? 1 : 0);
  });

  it('finds the right phases when time jumps back and forth (segment cache)', () => {
    const s = schedule([
      { name: 'a', startMs: 0, endMs: 100, faults: { '500': 0.1 } },
      { name: 'b', startMs: 100, endMs: 200, faults: { '502': 0.2 } },
      { name: 'c', startMs: 50, endMs: 150, faults: { '503': 0.3 } },
    ]);
    const seen = [0, 60, 120, 180, 10, 199, 200, 55].map((t) => s.active(t, A).phases);
    expect(seen).toEqual([['a'], ['a', 'c'], ['b', 'c'], ['b'], ['a'], ['b'], [], ['a', 'c']]);
  });
});

describe('Schedule: ramps', () => {
  it.each([
    { tMs: 0, p: 0 },
    { tMs: 500, p: 0.4 },
    { tMs: 1000, p: 0.8 },
    { tMs: 2000, p: 0.8 },
    { tMs: 3500, p: 0.4 },
    { tMs: 3900, p: 0.08 },
  ])('scales the probability linearly up then down: t=$tMs → p=$p', ({ tMs, p }) => {
    const s = schedule([
      { startMs: 0, endMs: 4000, rampUpMs: 1000, rampDownMs: 1000, faults: { '500': 0.8 } },
    ]);
    expect(p500(s, tMs)).toBeCloseTo(p, 9);
  });
});

describe('Schedule: flapping', () => {
  it.each([
    { tMs: 0, on: true },
    { tMs: 99, on: true },
    { tMs: 100, on: false },
    { tMs: 299, on: false },
    { tMs: 300, on: true },
    { tMs: 450, on: false },
    { tMs: 900, on: true },
    { tMs: 999, on: true },
    { tMs: 1000, on: false },
  ])('on for onMs, off for offMs, starting on, within the window: t=$tMs → $on', ({ tMs, on }) => {
    const s = schedule([
      { name: 'flappy', startMs: 0, endMs: 1000, flap: { onMs: 100, offMs: 200 }, faults: { '502': 1 } },
    ]);
    expect(s.active(tMs, A).phases).toEqual(on ? ['flappy'] : []);
  });
});

describe('Schedule: scopes and combination', () => {
  it('one key always fails while another never does (Oct 2023 auth-cache incident)', () => {
    const s = schedule([
      {
        name: 'shard-down',
        startMs: 0,
        endMs: 10_000,
        scope: { apiKeys: ['sk-key-A'] },
        faults: { '500': 1 },
      },
    ]);
    expect([p500(s, 5000, A), p500(s, 5000, B)]).toEqual([1, 0]);
    expect(s.active(5000, B).phases).toEqual([]);
  });

  it.each([
    { scope: { models: ['gpt-4o'] }, matches: false },
    { scope: { models: ['gpt-4o-mini'] }, matches: true },
    { scope: { endpoints: ['embeddings' as const] }, matches: false },
    { scope: { endpoints: ['chat.completions' as const], apiKeys: ['sk-key-A'] }, matches: true },
  ])('scope $scope matches a chat attempt on gpt-4o-mini: $matches', ({ scope, matches }) => {
    const s = schedule([{ startMs: 0, endMs: 10, scope, faults: { '500': 1 } }]);
    expect(p500(s, 1)).toBe(matches ? 1 : 0);
  });

  it('combines phases giving the same fault as independent causes: 1 − Π(1 − p)', () => {
    const s = schedule([
      { startMs: 0, endMs: 10, faults: { '500': 0.5, '503': 0.1 } },
      { startMs: 0, endMs: 10, faults: { '500': 0.5 } },
    ]);
    const a = s.active(1, A);
    expect(a.faults.get('500')).toBeCloseTo(0.75, 12);
    expect(a.faults.get('503')).toBeCloseTo(0.1, 12);
  });

  it('the latest-starting active phase wins latency, limits and capacity', () => {
    const s = schedule([
      { name: 'slow', startMs: 0, endMs: 100, latency: { kind: 'fixed', ms: 5000 }, maxConcurrent: 3 },
      {
        name: 'slower',
        startMs: 50,
        endMs: 100,
        latency: { kind: 'fixed', ms: 9000 },
        rateLimits: { requestsPerMin: 5 },
      },
    ]);
    expect(s.active(10, A)).toMatchObject({ latency: { kind: 'fixed', ms: 5000 }, maxConcurrent: 3 });
    expect(s.active(60, A)).toMatchObject({
      latency: { kind: 'fixed', ms: 9000 },
      maxConcurrent: 3,
      rateLimits: { requestsPerMin: 5 },
    });
  });
});

describe('Schedule: random incidents', () => {
  const process: IncidentProcessConfig = {
    name: 'blip',
    mtbfMs: 60_000,
    mttrMs: 10_000,
    horizonMs: 3_600_000,
    faults: { '503': 0.9 },
  };

  it('are the same for a seed and different for another', () => {
    const a = schedule([], [process], 'seed-1').phasesList();
    const again = schedule([], [process], 'seed-1').phasesList();
    const other = schedule([], [process], 'seed-2').phasesList();
    expect(again).toEqual(a);
    expect(other).not.toEqual(a);
  });

  it('become named phases inside the horizon, with plausible gaps and durations', () => {
    const list = schedule([], [process], 'seed-1').phasesList();
    expect(list.length).toBeGreaterThan(20);
    expect(list.length).toBeLessThan(100);
    list.forEach((p, i) => {
      expect(p.name).toBe(`blip#${i}`);
      expect(p.source).toBe('incident');
      expect(p.startMs).toBeGreaterThanOrEqual(0);
      expect(p.startMs).toBeLessThan(process.horizonMs);
      expect(p.endMs).toBeGreaterThan(p.startMs);
      if (i > 0) expect(p.startMs).toBeGreaterThan(list[i - 1]!.endMs);
    });
    const meanDuration = list.reduce((s, p) => s + (p.endMs - p.startMs), 0) / list.length;
    expect(meanDuration).toBeGreaterThan(5_000);
    expect(meanDuration).toBeLessThan(20_000);
  });

  it('are active while they last', () => {
    const s = schedule([], [process], 'seed-1');
    const first = s.phasesList()[0]!;
    expect(s.active(first.startMs, A).faults.get('503')).toBe(0.9);
    expect(s.active(first.endMs, A).faults.get('503')).toBeUndefined();
  });

  it('adding a second process does not move the first one (forked streams)', () => {
    const alone = schedule([], [process], 'seed-1').phasesList();
    const withOther = schedule([], [process, { ...process, name: 'other' }], 'seed-1').phasesList();
    expect(withOther.filter((p) => p.name.startsWith('blip#'))).toEqual(alone);
  });
});

describe('Schedule: validation', () => {
  const ok: PhaseConfig = { name: 'fine', startMs: 0, endMs: 10 };
  it.each([
    { bad: { name: 'bad', startMs: 10, endMs: 10 }, field: 'endMs' },
    { bad: { name: 'bad', startMs: 10, endMs: 5 }, field: 'endMs' },
    { bad: { name: 'bad', startMs: 0, endMs: 10, faults: { '500': 1.5 } }, field: 'faults.500' },
    { bad: { name: 'bad', startMs: 0, endMs: 10, faults: { '500': -0.1 } }, field: 'faults.500' },
    { bad: { name: 'bad', startMs: 0, endMs: 10, faults: { '418': 0.1 } }, field: 'faults.418' },
    { bad: { name: 'bad', startMs: 0, endMs: 10, rampUpMs: -1 }, field: 'rampUpMs' },
    { bad: { name: 'bad', startMs: 0, endMs: 10, rampDownMs: -5 }, field: 'rampDownMs' },
    { bad: { name: 'bad', startMs: 0, endMs: 10, flap: { onMs: 0, offMs: 10 } }, field: 'flap.onMs' },
    { bad: { name: 'bad', startMs: 0, endMs: 10, flap: { onMs: 10, offMs: -1 } }, field: 'flap.offMs' },
    { bad: { name: 'bad', startMs: 0, endMs: 10, scope: { endpoints: ['chat'] } }, field: 'scope.endpoints' },
  ])('names the phase and the field: $field', ({ bad, field }) => {
    const err = catchError(() => schedule([ok, bad as PhaseConfig]));
    expect(isSquallError(err, 'ERR_SQUALL_INVALID_CONFIG')).toBe(true);
    expect((err as Error).message).toContain('phases[1] "bad"');
    expect((err as Error).message).toContain(field);
    expect((err as { hint?: string }).hint).toBeTruthy();
  });

  it.each([
    { bad: { mtbfMs: 0 }, field: 'mtbfMs' },
    { bad: { mttrMs: -1 }, field: 'mttrMs' },
    { bad: { mtbfMs: 1, horizonMs: 1e9 }, field: 'mtbfMs' },
  ])('names the incident process and the field: $field', ({ bad, field }) => {
    const base: IncidentProcessConfig = {
      mtbfMs: 1000,
      mttrMs: 100,
      horizonMs: 10_000,
      faults: { '500': 1 },
    };
    const err = catchError(() => schedule([], [base, { ...base, name: 'storm', ...bad }]));
    expect(isSquallError(err, 'ERR_SQUALL_INVALID_CONFIG')).toBe(true);
    expect((err as Error).message).toContain('incidents[1] "storm"');
    expect((err as Error).message).toContain(field);
  });

  it('unnamed phases are called by their index', () => {
    const err = catchError(() => schedule([{ startMs: 5, endMs: 1 }]));
    expect((err as Error).message).toMatch(/^phases\[0\]: endMs/);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}
