import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/sim/clock.ts';
import { hashUniform, Rng } from '../../src/sim/rng.ts';

describe('VirtualClock', () => {
  it('fires timers in (time, insertion) order and jumps straight to them', async () => {
    const clock = new VirtualClock(1000);
    const seen: string[] = [];
    clock.setTimeout(() => seen.push(`b@${clock.now()}`), 50);
    clock.setTimeout(() => seen.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => seen.push(`c@${clock.now()}`), 50);
    const cancelled = clock.setTimeout(() => seen.push('never'), 20);
    clock.clearTimeout(cancelled);
    await clock.run();
    expect(seen).toEqual(['a@1010', 'b@1050', 'c@1050']);
  });

  it('lets promise chains settle between timers (sleep inside async loops)', async () => {
    const clock = new VirtualClock();
    const stamps: number[] = [];
    const loop = (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(1000);
        stamps.push(clock.now());
      }
    })();
    await clock.run();
    await loop;
    expect(stamps).toEqual([1000, 2000, 3000]);
  });

  it('stops at untilMs and leaves later timers pending', async () => {
    const clock = new VirtualClock();
    let fired = 0;
    clock.setTimeout(() => fired++, 100);
    clock.setTimeout(() => fired++, 300);
    await clock.advance(200);
    expect([fired, clock.now(), clock.pending]).toEqual([1, 200, 1]);
  });

  it('aborting a sleep rejects it and cancels its timer', async () => {
    const clock = new VirtualClock();
    const ac = new AbortController();
    const p = clock.sleep(1000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(clock.pending).toBe(0);
  });

  it('fails loudly when a simulation runs away', async () => {
    const clock = new VirtualClock();
    const tick = () => clock.setTimeout(tick, 0);
    tick();
    await expect(clock.run({ maxTimers: 1000 })).rejects.toMatchObject({ code: 'ERR_SQUALL_SIM_LIMIT' });
  });
});

describe('Rng', () => {
  it('gives the same draws for the same seed and label, different ones for another label', () => {
    const a = new Rng(42).fork('faults');
    const b = new Rng(42).fork('faults');
    const c = new Rng(42).fork('latency');
    const da = [a.next(), a.next(), a.next()];
    expect([b.next(), b.next(), b.next()]).toEqual(da);
    expect(c.next()).not.toBe(da[0]);
  });

  it('forking a new consumer does not change an existing stream', () => {
    const root1 = new Rng('s');
    const x = root1.fork('x');
    const first = x.next();
    const root2 = new Rng('s');
    root2.fork('y').next();
    expect(root2.fork('x').next()).toBe(first);
  });

  it('lognormal has the requested median and p99', () => {
    const r = new Rng(7);
    const xs = Array.from({ length: 20000 }, () => r.lognormal(100, 1000)).sort((p, q) => p - q);
    expect(xs[10000]!).toBeGreaterThan(90);
    expect(xs[10000]!).toBeLessThan(110);
    expect(xs[19800]!).toBeGreaterThan(850);
    expect(xs[19800]!).toBeLessThan(1200);
  });

  it('hashUniform is a pure function of (seed, key) and spreads over [0,1)', () => {
    expect(hashUniform('1', 'a#0')).toBe(hashUniform('1', 'a#0'));
    const xs = Array.from({ length: 10000 }, (_, i) => hashUniform('1', `k${i}`));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
  });
});

describe('VirtualClock bookkeeping', () => {
  it('clearing a timer that already fired is a no-op', async () => {
    const clock = new VirtualClock();
    const h = clock.setTimeout(() => {}, 10);
    await clock.run();
    clock.clearTimeout(h);
    clock.clearTimeout(h);
    expect(clock.pending).toBe(0);
    let fired = false;
    clock.setTimeout(() => {
      fired = true;
    }, 5);
    expect(clock.pending).toBe(1);
    await clock.run();
    expect(fired).toBe(true);
  });
});

describe('VirtualClock memory', () => {
  it('cancelled timers do not pile up: a run of set-then-clear long timeouts stays bounded', async () => {
    const clock = new VirtualClock();
    let held = 0;
    for (let i = 0; i < 100_000; i++) {
      // Like a per-request 10-minute timeout that the request's completion clears.
      const h = clock.setTimeout(() => {}, 600_000);
      clock.setTimeout(() => clock.clearTimeout(h), 5);
      if (i % 1000 === 0) {
        await clock.advance(5);
        held = Math.max(held, clock.heapSize);
      }
    }
    await clock.run();
    expect(held).toBeLessThan(4_000);
    expect(clock.pending).toBe(0);
  });
});
