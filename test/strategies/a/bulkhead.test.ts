import { describe, expect, it } from 'vitest';
import { isSquallError } from '../../../src/errors.ts';
import { type BulkheadOptions, bulkhead } from '../../../src/strategies/policies/bulkhead.ts';
import { type Next, wrap } from '../../../src/strategies/policy.ts';
import { bench, execution, request, response, settle, statusOf } from './harness.ts';

/** `count` calls arrive at once (or at `arrivalsMs`), each taking `latencyMs` upstream. */
async function burst(options: BulkheadOptions, count: number, latencyMs: number, arrivalsMs?: number[]) {
  const b = bench();
  const policy = bulkhead(options);
  let inFlight = 0;
  let maxInFlight = 0;
  const starts: Record<string, number> = {};
  const inner: Next = async (exec) => {
    starts[exec.req.id] = b.clock.now();
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await b.clock.sleep(latencyMs);
    inFlight--;
    return response(200);
  };
  const results: Array<Promise<string>> = [];
  for (let i = 0; i < count; i++) {
    const start = () => wrap(policy)(execution(b, request(`c${i}`)), inner).then(statusOf);
    const at = arrivalsMs?.[i] ?? 0;
    if (at === 0) results.push(start());
    else results.push(new Promise((resolve) => b.clock.setTimeout(() => resolve(start()), at)));
  }
  const outcomes = await settle(b, Promise.all(results));
  return { b, outcomes, maxInFlight, starts };
}

describe('bulkhead', () => {
  it('sheds calls beyond maxConcurrent at once when there is no queue', async () => {
    const { outcomes, maxInFlight, b } = await burst({ maxConcurrent: 2 }, 3, 100);
    expect(outcomes).toEqual(['200', '200', 'rejected:shed']);
    expect(maxInFlight).toBe(2);
    expect(b.events).toEqual([{ type: 'shed', requestId: 'c2', by: 'bulkhead', atMs: 0 }]);
  });

  it('queues up to maxQueue in arrival order, and sheds beyond it', async () => {
    const { outcomes, starts, maxInFlight } = await burst({ maxConcurrent: 2, maxQueue: 2 }, 5, 100);
    expect(outcomes).toEqual(['200', '200', '200', '200', 'rejected:shed']);
    expect(starts).toEqual({ c0: 0, c1: 0, c2: 100, c3: 100 });
    expect(maxInFlight).toBe(2);
  });

  it('a queued caller is shed when maxWaitMs runs out first', async () => {
    const { outcomes, starts, b } = await burst({ maxConcurrent: 1, maxQueue: 5, maxWaitMs: 50 }, 3, 100);
    expect(outcomes).toEqual(['200', 'rejected:shed', 'rejected:shed']);
    expect(Object.keys(starts)).toEqual(['c0']);
    expect(b.events.map((e) => e.atMs)).toEqual([50, 50]);
  });

  it('a freed slot goes to the oldest waiter; later arrivals queue behind it', async () => {
    const { outcomes, starts } = await burst({ maxConcurrent: 1, maxQueue: 2 }, 4, 100, [0, 10, 20, 150]);
    expect(outcomes).toEqual(['200', '200', '200', '200']);
    expect(starts).toEqual({ c0: 0, c1: 100, c2: 200, c3: 300 });
  });

  it('never exceeds maxConcurrent under a long staggered burst', async () => {
    const arrivals = Array.from({ length: 40 }, (_, i) => (i * 37) % 200);
    const { outcomes, maxInFlight } = await burst({ maxConcurrent: 3, maxQueue: 4 }, 40, 60, arrivals);
    expect(maxInFlight).toBe(3);
    expect(outcomes.filter((o) => o === '200').length).toBeGreaterThan(3);
    expect(outcomes.some((o) => o === 'rejected:shed')).toBe(true);
  });

  it('an aborted waiter leaves the queue', async () => {
    const b = bench();
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    const inner: Next = async () => {
      await b.clock.sleep(100);
      return response(200);
    };
    const first = wrap(policy)(execution(b, request('a')), inner);
    const controller = new AbortController();
    const exec = execution(b, request('b'));
    exec.signal = controller.signal;
    const second = wrap(policy)(exec, inner);
    b.clock.setTimeout(() => controller.abort(new Error('gone')), 30);
    const third = new Promise((resolve) =>
      b.clock.setTimeout(() => resolve(wrap(policy)(execution(b, request('c')), inner)), 40),
    );
    const results = await settle(b, Promise.all([first, second, third]));
    expect(results.map((r) => statusOf(r as never))).toEqual(['200', 'rejected:shed', '200']);
  });

  it.each<[string, BulkheadOptions, RegExp]>([
    ['zero concurrency', { maxConcurrent: 0 }, /bulkhead\.maxConcurrent/],
    ['a negative queue', { maxConcurrent: 1, maxQueue: -1 }, /bulkhead\.maxQueue/],
    ['a negative wait', { maxConcurrent: 1, maxWaitMs: -1 }, /bulkhead\.maxWaitMs/],
  ])('refuses %s', (_name, options, message) => {
    let thrown: unknown;
    try {
      bulkhead(options);
    } catch (e) {
      thrown = e;
    }
    expect(isSquallError(thrown, 'ERR_SQUALL_STRATEGY')).toBe(true);
    expect((thrown as Error).message).toMatch(message);
  });
});
