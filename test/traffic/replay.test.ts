import { describe, expect, it } from 'vitest';
import type { LogicalRequest } from '../../src/strategies/types.ts';
import {
  createTraffic,
  DEFAULT_MIX,
  replayArrivals,
  type TrafficSource,
  type TrafficSpec,
} from '../../src/traffic/index.ts';

/**
 * Arrivals drawn once and replayed (src/traffic/replay.ts): every pass after the first must give exactly
 * the requests a fresh draw gives (same fields, same key set, same values), and anything short of a whole
 * first pass must not be replayed.
 */
const MIN = 60_000;

const OPEN_RICH: TrafficSpec = {
  model: 'open',
  arrivals: { kind: 'poisson', ratePerSec: 40 },
  mix: {
    ...DEFAULT_MIX,
    models: [
      { name: 'gpt-4o-mini', weight: 3 },
      { name: 'gpt-4o', weight: 1 },
    ],
    maxTokens: { kind: 'lognormal', median: 200, p99: 2000 },
    streamFraction: 0.4,
    apiKeys: [
      { key: 'sk-a', weight: 1 },
      { key: 'sk-b', weight: 1 },
    ],
    users: { count: 50, zipf: 1.1 },
    features: [
      { name: 'chat', weight: 3 },
      { name: 'search', weight: 1 },
    ],
    endpoints: [
      { name: 'chat.completions', weight: 3 },
      { name: 'embeddings', weight: 1 },
      { name: 'responses', weight: 1 },
    ],
  },
};
const OPEN_PLAIN: TrafficSpec = {
  model: 'open',
  arrivals: { kind: 'constant', ratePerSec: 33 },
  mix: DEFAULT_MIX,
};

const all = (source: TrafficSource): LogicalRequest[] => [...source.arrivals()];

/** The default mix under `seed`, each request passed through `edit`, counting the passes drawn. */
function drawn(seed: string, edit: (r: LogicalRequest) => LogicalRequest = (r) => r) {
  const base = createTraffic(OPEN_PLAIN, MIN, seed);
  const counter = { draws: 0 };
  const source: TrafficSource = {
    ...base,
    *arrivals() {
      counter.draws++;
      for (const r of base.arrivals()) yield edit(r);
    },
  };
  return { base, source, counter };
}

describe('replayArrivals', () => {
  for (const [name, spec] of [
    ['a mix with every field (users, features, endpoints, streams, keys)', OPEN_RICH],
    ['the default mix (no user, no feature key at all)', OPEN_PLAIN],
  ] as const) {
    it(`replays exactly what a fresh draw gives: ${name}`, () => {
      const fresh = all(createTraffic(spec, 3 * MIN, 'replay'));
      const replayed = replayArrivals(createTraffic(spec, 3 * MIN, 'replay'));
      const first = all(replayed);
      const second = all(replayed);
      const third = all(replayed);
      expect(fresh.length).toBeGreaterThan(5000);
      // toStrictEqual: an absent `user` key must stay absent, not become `user: undefined`.
      expect(first).toStrictEqual(fresh);
      expect(second).toStrictEqual(fresh);
      expect(third).toStrictEqual(fresh);
      // The same key order too, so replayed requests have the shape drawn ones have.
      expect(second.map((r) => Object.keys(r).join())).toEqual(fresh.map((r) => Object.keys(r).join()));
      // Replayed objects are new ones: a strategy that writes on a request cannot reach the next run.
      expect(second[0]).not.toBe(first[0]);
    });
  }

  it('keeps ids that are not the open model’s r<index> (and the summary fields of the source)', () => {
    const { base, source } = drawn('ids', (r) => ({ ...r, id: r.id === 'r7' ? 'custom-7' : r.id }));
    const replayed = replayArrivals(source);
    const first = all(replayed);
    expect(all(replayed)).toStrictEqual(first);
    expect(all(replayed)[7]!.id).toBe('custom-7');
    expect(replayed.expectedCount).toBe(base.expectedCount);
    expect(replayed.description).toBe(base.description);
  });

  it('records nothing from a pass that stopped early: the next pass draws afresh', () => {
    const { base, source, counter } = drawn('early');
    const replayed = replayArrivals(source);
    const it = replayed.arrivals()[Symbol.iterator]();
    for (let i = 0; i < 10; i++) it.next(); // a run cut short
    const whole = all(replayed);
    expect(counter.draws).toBe(2);
    expect(whole).toStrictEqual(all(base));
    all(replayed);
    expect(counter.draws).toBe(2); // the whole second pass was recorded
  });

  it('stops recording beyond its limit and draws every pass afresh, the same requests', () => {
    const { source, counter } = drawn('cap');
    const replayed = replayArrivals(source, 100);
    const first = all(replayed);
    expect(first.length).toBeGreaterThan(100);
    expect(all(replayed)).toStrictEqual(first);
    expect(all(replayed)).toStrictEqual(first);
    expect(counter.draws).toBe(3);
  });

  it('never replays a token count columns could not hold exactly: it draws every pass afresh', () => {
    const { source, counter } = drawn('odd', (r) => (r.id === 'r5' ? { ...r, promptTokens: 2 ** 33 } : r));
    const replayed = replayArrivals(source);
    const first = all(replayed);
    expect(all(replayed)).toStrictEqual(first);
    expect(all(replayed)[5]!.promptTokens).toBe(2 ** 33);
    expect(counter.draws).toBe(3);
  });

  it('leaves a trace replay alone (its requests are in memory already)', () => {
    const trace = createTraffic(
      { model: 'trace', file: 'scenarios/traces/checkout-burst.ndjson' },
      Infinity,
      'trace',
    );
    expect(trace.origin).toBe('trace');
    expect(replayArrivals(trace)).toBe(trace);
  });

  it('leaves closed traffic alone (it has no schedule to replay)', () => {
    const closed = createTraffic(
      { model: 'closed', virtualUsers: 3, thinkTimeMs: { kind: 'fixed', value: 1000 }, mix: DEFAULT_MIX },
      MIN,
      'closed',
    );
    expect(replayArrivals(closed)).toBe(closed);
  });
});
