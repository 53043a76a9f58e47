import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSquallError } from '../../../src/errors.ts';
import { Rng } from '../../../src/sim/rng.ts';
import {
  type BackoffSpec,
  type BackoffState,
  backoffSchedule,
  createBackoff,
  INITIAL_BACKOFF_STATE,
  JITTER_KINDS,
  type JitterKind,
} from '../../../src/strategies/backoff/index.ts';
import { SEED } from './harness.ts';

const rng = () => new Rng(SEED).fork('backoff');

describe('backoffs without jitter give exact schedules', () => {
  it.each<[string, BackoffSpec, number[]]>([
    ['none retries at once', { kind: 'none' }, [0, 0, 0]],
    ['fixed waits the same every time (time.sleep(2))', { kind: 'fixed', delayMs: 2000 }, [2000, 2000, 2000]],
    [
      'linear grows by its step up to the cap',
      { kind: 'linear', baseMs: 1000, stepMs: 500, capMs: 2200 },
      [1000, 1500, 2000, 2200, 2200],
    ],
    ['linear steps by its base by default', { kind: 'linear', baseMs: 300, capMs: 10_000 }, [300, 600, 900]],
    [
      'exponential doubles up to the cap (Vercel AI SDK: 2 s, 4 s)',
      { kind: 'exponential', baseMs: 2000, capMs: 60_000, jitter: 'none' },
      [2000, 4000, 8000, 16_000, 32_000, 60_000],
    ],
    [
      'exponential with another factor',
      { kind: 'exponential', baseMs: 100, factor: 3, capMs: 1000, jitter: 'none' },
      [100, 300, 900, 1000],
    ],
  ])('%s', (_name, spec, expected) => {
    expect(backoffSchedule(createBackoff(spec), rng(), expected.length)).toEqual(expected);
  });
});

describe('jittered backoffs stay in the ranges of the libraries they mirror', () => {
  it('openai SDK: 0.5 s doubling to 8 s, shortened by at most 25%', () => {
    const b = createBackoff({ kind: 'exponential', baseMs: 500, capMs: 8000, jitter: 'negative25' });
    for (let s = 0; s < 200; s++) {
      const d = backoffSchedule(b, new Rng(`sdk-${s}`), 6);
      expect(d[0]).toBeGreaterThan(375);
      expect(d[0]).toBeLessThanOrEqual(500);
      expect(d[1]).toBeGreaterThan(750);
      expect(d[1]).toBeLessThanOrEqual(1000);
      // 0.5·2^4 reaches the 8 s cap at the fifth retry; the sixth stays there.
      for (const late of [d[4]!, d[5]!]) {
        expect(late).toBeGreaterThan(6000);
        expect(late).toBeLessThanOrEqual(8000);
      }
    }
  });

  it('langchain-js p-retry: whole milliseconds in [1 s·2^n, 2 s·2^n]', () => {
    const b = createBackoff({ kind: 'exponential', baseMs: 1000, capMs: 3_600_000, jitter: 'p-retry' });
    for (let s = 0; s < 200; s++) {
      const d = backoffSchedule(b, new Rng(`lc-${s}`), 6);
      d.forEach((ms, n) => {
        expect(Number.isInteger(ms)).toBe(true);
        expect(ms).toBeGreaterThanOrEqual(1000 * 2 ** n);
        expect(ms).toBeLessThanOrEqual(2000 * 2 ** n);
      });
    }
  });

  it('second seed article: min(2^n + uniform(0, 1), 60) seconds', () => {
    const b = createBackoff({ kind: 'exponential', baseMs: 1000, capMs: 60_000, jitter: 'additive' });
    for (let s = 0; s < 100; s++) {
      const d = backoffSchedule(b, new Rng(`add-${s}`), 8);
      d.forEach((ms, n) => {
        expect(ms).toBeGreaterThanOrEqual(Math.min(60_000, 1000 * 2 ** n));
        expect(ms).toBeLessThanOrEqual(Math.min(60_000, 1000 * 2 ** n + 1000));
      });
      expect(d[6]).toBe(60_000);
    }
  });

  it('AWS full jitter: uniform(0, min(20 s, base·2^n)) and the draws actually spread', () => {
    const b = createBackoff({ kind: 'exponential', baseMs: 100, capMs: 20_000, jitter: 'full' });
    const tenth: number[] = [];
    for (let s = 0; s < 300; s++) {
      const d = backoffSchedule(b, new Rng(`aws-${s}`), 12);
      d.forEach((ms, n) => {
        expect(ms).toBeGreaterThanOrEqual(0);
        expect(ms).toBeLessThanOrEqual(Math.min(20_000, 100 * 2 ** n));
      });
      tenth.push(d[10]!);
    }
    // Capped at 20 s from n = 8; a uniform draw over it has a mean near 10 s.
    const mean = tenth.reduce((a, x) => a + x, 0) / tenth.length;
    expect(mean).toBeGreaterThan(8500);
    expect(mean).toBeLessThan(11_500);
  });

  it('decorrelated jitter starts in [base, 3·base] and grows from the previous delay', () => {
    const b = createBackoff({ kind: 'exponential', baseMs: 100, capMs: 5000, jitter: 'decorrelated' });
    for (let s = 0; s < 200; s++) {
      const d = backoffSchedule(b, new Rng(`dec-${s}`), 10);
      expect(d[0]).toBeGreaterThanOrEqual(100);
      expect(d[0]).toBeLessThanOrEqual(300);
      for (let i = 1; i < d.length; i++) {
        expect(d[i]).toBeGreaterThanOrEqual(100);
        expect(d[i]).toBeLessThanOrEqual(Math.min(5000, 3 * d[i - 1]!));
      }
    }
  });

  it('equal jitter keeps at least half of the exponential value', () => {
    const b = createBackoff({ kind: 'exponential', baseMs: 1000, capMs: 30_000, jitter: 'equal' });
    const d = backoffSchedule(b, rng(), 8);
    d.forEach((ms, n) => {
      const raw = Math.min(30_000, 1000 * 2 ** n);
      expect(ms).toBeGreaterThanOrEqual(raw / 2);
      expect(ms).toBeLessThanOrEqual(raw);
    });
  });

  it('the same seed gives the same delays; another seed gives others', () => {
    const b = createBackoff({ kind: 'exponential', baseMs: 500, capMs: 8000, jitter: 'full' });
    const a1 = backoffSchedule(b, new Rng('s1'), 5);
    const a2 = backoffSchedule(b, new Rng('s1'), 5);
    const other = backoffSchedule(b, new Rng('s2'), 5);
    expect(a1).toEqual(a2);
    expect(other).not.toEqual(a1);
  });

  it('a backoff is an immutable value: next() never changes the state it was given', () => {
    const b = createBackoff({ kind: 'exponential', baseMs: 100, capMs: 5000, jitter: 'decorrelated' });
    const state: BackoffState = { retries: 3, prevDelayMs: 400 };
    const first = b.next(state, new Rng('x'));
    const again = b.next(state, new Rng('x'));
    expect(again).toEqual(first);
    expect(state).toEqual({ retries: 3, prevDelayMs: 400 });
    expect(first.state).toEqual({ retries: 4, prevDelayMs: first.delayMs });
  });
});

/** Bounds every jitter kind promises for retry n, given the previous delay. */
function bounds(
  jitter: JitterKind,
  x: { baseMs: number; factor: number; capMs: number; jitterMs: number; n: number; prevMs: number },
): [number, number] {
  const exp = x.baseMs * x.factor ** x.n;
  const m = Math.min(x.capMs, exp);
  switch (jitter) {
    case 'none':
      return [m, m];
    case 'full':
      return [0, m];
    case 'equal':
      return [m / 2, m];
    case 'decorrelated': {
      const prev = x.prevMs > 0 ? x.prevMs : x.baseMs;
      return [Math.min(x.capMs, x.baseMs), Math.min(x.capMs, Math.max(x.baseMs, 3 * prev))];
    }
    case 'additive':
      return [m, Math.min(x.capMs, exp + x.jitterMs)];
    case 'negative25':
      return [0.75 * m, m];
    case 'p-retry':
      return [Math.min(x.capMs, Math.round(exp)), Math.min(x.capMs, Math.round(2 * exp))];
  }
}

describe('property: every backoff stays within its bounds and its cap', () => {
  it('exponential, every jitter kind', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...JITTER_KINDS),
        fc.integer({ min: 0, max: 10_000 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.integer({ min: 0, max: 120_000 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.string({ maxLength: 8 }),
        fc.integer({ min: 1, max: 40 }),
        (jitter, baseMs, factor, capMs, jitterMs, seed, count) => {
          const b = createBackoff({ kind: 'exponential', baseMs, factor, capMs, jitter, jitterMs });
          const r = new Rng(seed);
          let state = INITIAL_BACKOFF_STATE;
          for (let n = 0; n < count; n++) {
            const { delayMs, state: after } = b.next(state, r);
            const [lo, hi] = bounds(jitter, {
              baseMs,
              factor,
              capMs,
              jitterMs,
              n,
              prevMs: state.prevDelayMs,
            });
            expect(Number.isFinite(delayMs)).toBe(true);
            expect(delayMs).toBeGreaterThanOrEqual(Math.max(0, lo - 1e-9));
            expect(delayMs).toBeLessThanOrEqual(hi + 1e-9);
            expect(delayMs).toBeLessThanOrEqual(b.capMs);
            state = after;
          }
        },
      ),
      { seed: 20260301, numRuns: 500 },
    );
  });

  it('fixed and linear never exceed their cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: 1, max: 50 }),
        (baseMs, stepMs, capMs, count) => {
          const linear = createBackoff({ kind: 'linear', baseMs, stepMs, capMs });
          const fixed = createBackoff({ kind: 'fixed', delayMs: baseMs });
          backoffSchedule(linear, rng(), count).forEach((d, n) => {
            expect(d).toBe(Math.min(capMs, baseMs + stepMs * n));
          });
          expect(backoffSchedule(fixed, rng(), count).every((d) => d === baseMs && d <= fixed.capMs)).toBe(
            true,
          );
        },
      ),
      { seed: 20260302, numRuns: 200 },
    );
  });
});

describe('bad backoff specs fail before anything runs, naming the field', () => {
  it.each<[string, unknown, RegExp]>([
    ['unknown kind', { kind: 'fibonacci' }, /strategy "s1" backoff\.kind: unknown value "fibonacci"/],
    ['missing kind', {}, /backoff\.kind: unknown value undefined/],
    [
      'unknown jitter',
      { kind: 'exponential', baseMs: 1, capMs: 2, jitter: 'wobbly' },
      /backoff\.jitter: unknown value "wobbly"/,
    ],
    [
      'negative fixed delay',
      { kind: 'fixed', delayMs: -1 },
      /backoff\.delayMs: must be a number ≥ 0, got -1/,
    ],
    ['negative base', { kind: 'exponential', baseMs: -5, capMs: 2, jitter: 'full' }, /backoff\.baseMs/],
    [
      'zero factor',
      { kind: 'exponential', baseMs: 5, factor: 0, capMs: 2, jitter: 'full' },
      /backoff\.factor: must be a number > 0/,
    ],
    ['missing cap', { kind: 'linear', baseMs: 5 }, /backoff\.capMs: must be a number ≥ 0, got undefined/],
    ['NaN delay', { kind: 'fixed', delayMs: Number.NaN }, /backoff\.delayMs/],
  ])('%s', (_name, spec, message) => {
    let thrown: unknown;
    try {
      createBackoff(spec as BackoffSpec, 'strategy "s1" backoff');
    } catch (e) {
      thrown = e;
    }
    expect(isSquallError(thrown, 'ERR_SQUALL_STRATEGY')).toBe(true);
    expect((thrown as Error).message).toMatch(message);
  });

  it('an unknown jitter lists the known ones in its hint', () => {
    expect(() =>
      createBackoff({ kind: 'exponential', baseMs: 1, capMs: 2, jitter: 'wobbly' as JitterKind }),
    ).toThrow(expect.objectContaining({ hint: expect.stringContaining('decorrelated') }));
  });
});
