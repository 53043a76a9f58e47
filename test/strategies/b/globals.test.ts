import { afterEach, describe, expect, it } from 'vitest';
import { isSquallError } from '../../../src/errors.ts';
import { VirtualClock } from '../../../src/sim/clock.ts';
import { installVirtualGlobals, type VirtualGlobals, withVirtualGlobals } from '../../../src/sim/globals.ts';
import { Rng } from '../../../src/sim/rng.ts';

let installed: VirtualGlobals | undefined;
afterEach(() => {
  installed?.restore();
  installed = undefined;
});

function install(clock: VirtualClock, rng?: Rng): VirtualGlobals {
  installed = installVirtualGlobals(clock, rng ? { rng } : {});
  return installed;
}

describe('virtual globals', () => {
  it('runs global setTimeout in virtual time and restores the real one', async () => {
    const realSetTimeout = globalThis.setTimeout;
    const clock = new VirtualClock(1000);
    install(clock);
    const fired: number[] = [];
    setTimeout(() => fired.push(Date.now()), 60_000);
    setTimeout((a: number, b: number) => fired.push(a + b), 10, 2, 3);
    const wallStart = process.hrtime.bigint();
    await clock.run();
    const wallMs = Number(process.hrtime.bigint() - wallStart) / 1e6;
    expect(fired).toEqual([5, 61_000]);
    expect(wallMs).toBeLessThan(500);
    installed!.restore();
    expect(globalThis.setTimeout).toBe(realSetTimeout);
  });

  it('reads Date.now and performance.now from the clock, and gives the real ones back', async () => {
    const clock = new VirtualClock(42_000);
    install(clock);
    const perf0 = performance.now();
    expect(Date.now()).toBe(42_000);
    await clock.advance(1500);
    expect(Date.now()).toBe(43_500);
    expect(performance.now() - perf0).toBe(1500);
    installed!.restore();
    expect(Date.now()).toBeGreaterThan(1_600_000_000_000);
  });

  it('draws Math.random from the seeded stream during the run only', () => {
    const draws = (seed: string) => {
      const g = installVirtualGlobals(new VirtualClock(), { rng: new Rng(seed) });
      try {
        return [Math.random(), Math.random(), Math.random()];
      } finally {
        g.restore();
      }
    };
    expect(draws('a')).toEqual(draws('a'));
    expect(draws('a')).not.toEqual(draws('b'));
    const r = new Rng('a');
    expect(draws('a')).toEqual([r.next(), r.next(), r.next()]);
    const realRandom = Math.random;
    draws('c');
    expect(Math.random).toBe(realRandom);
  });

  it('repeats intervals until cleared, and clearTimeout/clearInterval are interchangeable', async () => {
    const clock = new VirtualClock();
    install(clock);
    const ticks: number[] = [];
    const h = setInterval(() => {
      ticks.push(clock.now());
      if (ticks.length === 3) clearTimeout(h);
    }, 250);
    const cancelled = setTimeout(() => ticks.push(-1), 100);
    clearInterval(cancelled);
    await clock.run();
    expect(ticks).toEqual([250, 500, 750]);
    expect(installed!.liveTimers).toBe(0);
  });

  it('treats delays below 1 ms as 1 ms, like Node', async () => {
    const clock = new VirtualClock();
    install(clock);
    const at: number[] = [];
    setTimeout(() => at.push(clock.now()), 0);
    setTimeout(() => at.push(clock.now()), -5);
    setTimeout(() => at.push(clock.now()), Number.NaN);
    await clock.run();
    expect(at).toEqual([1, 1, 1]);
  });

  it('supports refresh(), hasRef() and a numeric id, as Node timers do', async () => {
    const clock = new VirtualClock();
    install(clock);
    const at: number[] = [];
    const t = setTimeout(() => at.push(clock.now()), 100);
    await clock.advance(60);
    t.refresh();
    expect(t.hasRef()).toBe(true);
    expect(typeof +t).toBe('number');
    await clock.run();
    expect(at).toEqual([160]);
    const u = setTimeout(() => at.push(-1), 10);
    clearTimeout(+u as unknown as NodeJS.Timeout);
    await clock.run();
    expect(at).toEqual([160]);
  });

  it("does not let an unref'd interval keep the simulation running, and resumes it in phase", async () => {
    const clock = new VirtualClock();
    install(clock);
    const ticks: number[] = [];
    setInterval(() => ticks.push(clock.now()), 1000).unref();
    setTimeout(() => {}, 3500);
    await clock.run();
    // The interval ticked while there was real work; its first tick after that parked it, ending the run.
    expect(clock.now()).toBe(4000);
    expect(ticks).toEqual([1000, 2000, 3000]);
    setTimeout(() => {}, 2500);
    await clock.run();
    expect(ticks).toEqual([1000, 2000, 3000, 5000, 6000]);
  });

  it('parked intervals due at the same instant resume in the order they were created', async () => {
    const clock = new VirtualClock();
    install(clock);
    const ticks: string[] = [];
    setInterval(() => ticks.push(`a@${clock.now()}`), 1000).unref();
    setInterval(() => ticks.push(`b@${clock.now()}`), 500).unref();
    setTimeout(() => {}, 2200);
    await clock.run();
    // b parked first (at 2500), then a (at 3000).
    expect(clock.now()).toBe(3000);
    await clock.advance(600);
    // Both next ticks fall at 4000: a, created first, goes first, whichever parked first.
    setTimeout(() => {}, 1000);
    await clock.run();
    expect(ticks.slice(-3)).toEqual(['a@4000', 'b@4000', 'b@4500']);
  });

  it('a ref()ed interval keeps the simulation running, so runaway loops still fail loudly', async () => {
    const clock = new VirtualClock();
    install(clock);
    setInterval(() => {}, 1000);
    await expect(clock.run({ maxTimers: 50 })).rejects.toMatchObject({ code: 'ERR_SQUALL_SIM_LIMIT' });
  });

  it('clears, through the virtual clearTimeout, a real timer made before installation', async () => {
    let fired = false;
    const real = setTimeout(() => {
      fired = true;
    }, 5);
    install(new VirtualClock());
    clearTimeout(real);
    installed!.restore();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fired).toBe(false);
  });

  it('refuses a second installation while one is active, and cancels pending timers on restore', async () => {
    const clock = new VirtualClock();
    install(clock);
    let fired = false;
    setTimeout(() => {
      fired = true;
    }, 100);
    try {
      installVirtualGlobals(new VirtualClock());
      expect.unreachable();
    } catch (e) {
      expect(isSquallError(e, 'ERR_SQUALL_INTERNAL')).toBe(true);
    }
    installed!.restore();
    await clock.run();
    expect(fired).toBe(false);
  });

  it('withVirtualGlobals restores even when the body throws', async () => {
    const realNow = Date.now;
    await expect(
      withVirtualGlobals(new VirtualClock(), {}, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(Date.now).toBe(realNow);
  });
});
