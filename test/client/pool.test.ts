import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedPool, type PoolWaiter } from '../../src/client/pool.ts';
import { VirtualClock } from '../../src/sim/clock.ts';

describe('BoundedPool', () => {
  it('never has more than its size in service, and answers every caller exactly once (fast-check)', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('acquire' as const) }),
      fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 400 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 5 }),
        fc.array(op, { maxLength: 80 }),
        async (size, maxQueue, ops) => {
          const clock = new VirtualClock(0);
          const pool = new BoundedPool(size, { max: maxQueue, timeoutMs: 300 }, clock);
          let holding = 0;
          let answered = 0;
          let asked = 0;
          let cancelled = 0;
          const waiters: PoolWaiter[] = [];
          const check = () => {
            expect(pool.busy).toBeLessThanOrEqual(size);
            expect(holding).toBeLessThanOrEqual(size);
            expect(pool.queued).toBeLessThanOrEqual(maxQueue);
          };
          for (const o of ops) {
            if (o.kind === 'acquire') {
              asked++;
              let calls = 0;
              const w = pool.acquire(
                () => {
                  calls++;
                  answered++;
                  holding++;
                },
                () => {
                  calls++;
                  answered++;
                },
              );
              if (w) waiters.push(w);
              expect(calls).toBeLessThanOrEqual(1);
            } else if (o.kind === 'release' && holding > 0) {
              holding--;
              pool.release();
            } else if (o.kind === 'cancel' && waiters.length > 0) {
              const w = waiters.splice(o.pick % waiters.length, 1)[0]!;
              if (w.state === 0) cancelled++;
              pool.cancel(w);
            } else if (o.kind === 'advance') {
              await clock.run({ untilMs: clock.now() + o.ms });
            }
            check();
          }
          await clock.run({ untilMs: clock.now() + 1000 });
          check();
          // Everyone was granted, refused or cancelled; nobody is left waiting past the timeout.
          expect(answered + cancelled).toBe(asked);
          expect(pool.queued).toBe(0);
          expect(pool.busy).toBe(holding);
        },
      ),
      { seed: 12, numRuns: 300 },
    );
  });

  it('refuses at once when the queue is full, after the timeout when the wait runs out', async () => {
    const clock = new VirtualClock(0);
    const pool = new BoundedPool(1, { max: 1, timeoutMs: 500 }, clock);
    const seen: string[] = [];
    pool.acquire(
      () => seen.push('a granted'),
      () => seen.push('a refused'),
    );
    pool.acquire(
      () => seen.push(`b granted@${clock.now()}`),
      (why) => seen.push(`b ${why}@${clock.now()}`),
    );
    pool.acquire(
      () => seen.push('c granted'),
      (why) => seen.push(`c ${why}@${clock.now()}`),
    );
    await clock.run({ untilMs: 1000 });
    expect(seen).toEqual(['a granted', 'c queue_full@0', 'b wait_timeout@500']);
    expect(pool.refusedQueueFull).toBe(1);
    expect(pool.refusedTimeout).toBe(1);
    // Refused callers' waits count: b waited its whole 500 ms.
    expect(pool.waits.max).toBeGreaterThanOrEqual(500_000);
  });

  it('passes a freed slot to the oldest waiter (FIFO)', async () => {
    const clock = new VirtualClock(0);
    const pool = new BoundedPool(1, { max: 10, timeoutMs: 10_000 }, clock);
    const order: string[] = [];
    pool.acquire(
      () => order.push('first'),
      () => {},
    );
    for (const name of ['second', 'third'])
      pool.acquire(
        () => order.push(name),
        () => {},
      );
    clock.setTimeout(() => pool.release(), 100);
    clock.setTimeout(() => pool.release(), 200);
    await clock.run({ untilMs: 1000 });
    expect(order).toEqual(['first', 'second', 'third']);
    expect(pool.busyMax).toBe(1);
  });

  it('does not grow with callers that timed out while every slot stayed held', async () => {
    const clock = new VirtualClock(0);
    const pool = new BoundedPool(1, { max: 5, timeoutMs: 10 }, clock);
    pool.acquire(
      () => {},
      () => {},
    );
    for (let i = 0; i < 20_000; i++) {
      pool.acquire(
        () => {},
        () => {},
      );
      await clock.run({ untilMs: clock.now() + 1 });
    }
    await clock.run({ untilMs: clock.now() + 100 });
    expect(pool.queued).toBe(0);
    expect((pool as unknown as { queue: unknown[] }).queue.length).toBeLessThan(3000);
  });
});
