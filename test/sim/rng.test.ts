import { describe, expect, it } from 'vitest';
import { fieldUniforms, KeyedStreams, Rng } from '../../src/sim/rng.ts';

describe('Rng', () => {
  it('same seed, same draws; different seeds differ', () => {
    const a = new Rng('42');
    const b = new Rng('42');
    const c = new Rng('43');
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
  });

  it('KeyedStreams.at(key) is the stream of Rng.keyed(seed, prefix + key), for any key order', () => {
    const streams = new KeyedStreams('seed-7', 'content/');
    for (const key of ['req_1', 'abc#2', '', 'ünïcødé', 'req_1']) {
      const expected = Rng.keyed('seed-7', `content/${key}`);
      const got = streams.at(key);
      const want = Array.from({ length: 6 }, () => expected.next());
      expect(Array.from({ length: 6 }, () => got.next())).toEqual(want);
    }
  });

  it('fieldUniforms: a function of (seed, key, field) only, uniform in [0, 1)', () => {
    expect(fieldUniforms('s', 'mix/1/')('model')).toBe(fieldUniforms('s', 'mix/1/')('model'));
    expect(fieldUniforms('s', 'mix/1/')('model')).not.toBe(fieldUniforms('s', 'mix/2/')('model'));
    expect(fieldUniforms('s', 'mix/1/')('model')).not.toBe(fieldUniforms('t', 'mix/1/')('model'));
    const xs = Array.from({ length: 20_000 }, (_, i) => fieldUniforms('s', `mix/${i}/`)('stream'));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    // sd of the mean is 0.29 / sqrt(20000) = 0.002.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    const below = xs.filter((x) => x < 0.1).length / xs.length;
    expect(Math.abs(below - 0.1)).toBeLessThan(0.01);
  });
});
