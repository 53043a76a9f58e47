import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Capacity } from '../../../mock-upstream/model/capacity.ts';

describe('Capacity', () => {
  it('serves up to maxConcurrent at once, then queues with growing waits, then refuses', () => {
    const cap = new Capacity({ maxConcurrent: 2, maxQueue: 3 });
    const results = Array.from({ length: 6 }, () => cap.admit(0, 1000));
    expect(results).toEqual([
      { admitted: true, queueMs: 0 },
      { admitted: true, queueMs: 0 },
      // Both servers free up at 1000 ms: the first two in the queue start then, the third after them.
      { admitted: true, queueMs: 1000 },
      { admitted: true, queueMs: 1000 },
      { admitted: true, queueMs: 2000 },
      { admitted: false, inFlight: 5 },
    ]);
  });

  it('a queued attempt waits for the earliest finishing work, not a fixed share', () => {
    const cap = new Capacity({ maxConcurrent: 2, maxQueue: 10 });
    cap.admit(0, 5000);
    cap.admit(0, 300);
    expect(cap.admit(100, 1000)).toEqual({ admitted: true, queueMs: 200 });
  });

  it('frees slots as time passes, whether or not anyone is still waiting for the answer', () => {
    const cap = new Capacity({ maxConcurrent: 1, maxQueue: 1 });
    cap.admit(0, 1000);
    cap.admit(0, 1000);
    expect(cap.admit(0, 1000)).toEqual({ admitted: false, inFlight: 2 });
    expect(cap.inFlight(999)).toBe(2);
    expect(cap.inFlight(1000)).toBe(1);
    expect(cap.admit(1000, 1000)).toEqual({ admitted: true, queueMs: 1000 });
    expect(cap.inFlight(3000)).toBe(0);
    expect(cap.admit(3000, 1000)).toEqual({ admitted: true, queueMs: 0 });
  });

  it('a capacity override (partial capacity loss) shrinks the servers for new attempts', () => {
    const cap = new Capacity({ maxConcurrent: 4, maxQueue: 0 });
    expect(cap.admit(0, 1000, 1)).toEqual({ admitted: true, queueMs: 0 });
    expect(cap.admit(0, 1000, 1)).toEqual({ admitted: false, inFlight: 1 });
    expect(cap.admit(0, 1000)).toEqual({ admitted: true, queueMs: 0 });
    expect(cap.admit(0, 1000, 0)).toEqual({ admitted: false, inFlight: 2 });
  });

  it('stays bounded at maxConcurrent + maxQueue under a flood, and reset() empties it', () => {
    const cap = new Capacity({ maxConcurrent: 8, maxQueue: 16 });
    let refused = 0;
    for (let i = 0; i < 10_000; i++) if (!cap.admit(i / 100, 60_000).admitted) refused++;
    expect(cap.inFlight(100)).toBe(24);
    expect(refused).toBe(10_000 - 24);
    cap.reset();
    expect(cap.inFlight(100)).toBe(0);
  });

  it('queue waits equal a brute-force FIFO simulation of c servers (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 8 }),
        fc.array(
          fc.record({
            gapMs: fc.integer({ min: 0, max: 300 }),
            serviceMs: fc.integer({ min: 0, max: 2000 }),
          }),
          {
            maxLength: 150,
          },
        ),
        (servers, maxQueue, arrivals) => {
          const cap = new Capacity({ maxConcurrent: servers, maxQueue });
          // Reference: each server's next free time; FIFO takes the earliest free server.
          const freeAt = new Array<number>(servers).fill(0);
          const ends: number[] = [];
          let t = 0;
          for (const a of arrivals) {
            t += a.gapMs;
            const inSystem = ends.filter((e) => e > t).length;
            const got = cap.admit(t, a.serviceMs);
            if (inSystem >= servers + maxQueue) {
              if (got.admitted) return false;
              continue;
            }
            freeAt.sort((x, y) => x - y);
            const start = Math.max(t, freeAt[0]!);
            freeAt[0] = start + a.serviceMs;
            ends.push(start + a.serviceMs);
            if (!got.admitted || Math.abs(got.queueMs - (start - t)) > 1e-9) return false;
          }
          return true;
        },
      ),
      { seed: 42, numRuns: 400 },
    );
  });
});
