import { describe, expect, it } from 'vitest';
import { isSquallError } from '../../../src/errors.ts';
import { queuePolicy } from '../../../src/strategies/policies/queue.ts';
import { wrap } from '../../../src/strategies/policy.ts';
import { bench, request, runAt } from './harness.ts';

const outcomes = (rs: { kind: string; reason?: string }[]) =>
  rs.map((r) => (r.kind === 'rejected' ? r.reason : 'ok'));

describe('queuePolicy: when the queue is full', () => {
  it("'reject' sheds newcomers at once and serves the queued in order", async () => {
    const b = bench({ latencyMs: 1000 });
    const run = wrap(queuePolicy({ workers: 1, maxQueue: 2, whenFull: 'reject', maxWaitMs: 60_000 }));
    const results = await runAt(b.clock, [0, 0, 0, 0, 0], () => run(b.exec(request())));
    expect(outcomes(results)).toEqual(['ok', 'ok', 'ok', 'shed', 'shed']);
    expect(b.sent.map((s) => s.atMs)).toEqual([0, 1000, 2000]);
    const shed = b.events.filter((e) => e.type === 'shed');
    expect(shed.map((e) => e.atMs)).toEqual([0, 0]);
    const msg = results[3]!;
    expect(msg.kind === 'rejected' && msg.message).toMatch(/full \(2 of maxQueue 2\); whenFull is 'reject'/);
  });

  it("'wait' blocks newcomers until there is room, and nobody is lost", async () => {
    const b = bench({ latencyMs: 1000 });
    const run = wrap(queuePolicy({ workers: 1, maxQueue: 2, whenFull: 'wait', maxWaitMs: 60_000 }));
    const reqs = Array.from({ length: 5 }, () => request());
    const results = await runAt(b.clock, [0, 0, 0, 0, 0], (i) => run(b.exec(reqs[i]!)));
    expect(outcomes(results)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(b.sent.map((s) => s.atMs)).toEqual([0, 1000, 2000, 3000, 4000]);
    // FIFO: served in arrival order, the blocked ones included.
    expect(b.sent.map((s) => s.requestId)).toEqual(reqs.map((r) => r.id));
    const depth = b.events.filter((e) => e.type === 'queue').map((e) => (e.type === 'queue' ? e.depth : -1));
    expect(Math.max(...depth)).toBe(2);
  });

  it("'wait' still sheds what waits longer than maxWaitMs, wherever it waits", async () => {
    const b = bench({ latencyMs: 1000 });
    const run = wrap(queuePolicy({ workers: 1, maxQueue: 1, whenFull: 'wait', maxWaitMs: 1500 }));
    const results = await runAt(b.clock, [0, 0, 0, 0], () => run(b.exec(request())));
    expect(outcomes(results)).toEqual(['ok', 'ok', 'shed', 'shed']);
    expect(b.sent.map((s) => s.atMs)).toEqual([0, 1000]);
    expect(b.events.filter((e) => e.type === 'shed').map((e) => e.atMs)).toEqual([1500, 1500]);
    const third = results[2]!;
    expect(third.kind === 'rejected' && third.message).toMatch(
      /still queued after 1500 ms \(maxWaitMs 1500\)/,
    );
  });

  it('a producer blocked outside the full queue is dropped at its deadline', async () => {
    const b = bench({ latencyMs: 1000 });
    const run = wrap(queuePolicy({ workers: 1, maxQueue: 1, whenFull: 'wait', maxWaitMs: 60_000 }));
    const results = await runAt(b.clock, [0, 0, 0, 0], (i) =>
      run(b.exec(request(), i === 2 ? { deadlineAtMs: 800 } : {})),
    );
    expect(outcomes(results)).toEqual(['ok', 'ok', 'deadline_exceeded', 'ok']);
    const third = results[2]!;
    expect(third.kind === 'rejected' && third.message).toMatch(
      /waiting for room in the full queue after 800 ms/,
    );
    expect(b.sent.map((s) => s.atMs)).toEqual([0, 1000, 2000]);
  });
});

describe('queuePolicy: workers drain at the paced rate', () => {
  it('never starts more than ratePerSec, however many workers are free', async () => {
    const b = bench({ latencyMs: 100 });
    const run = wrap(
      queuePolicy({ workers: 4, maxQueue: 10, ratePerSec: 2, whenFull: 'reject', maxWaitMs: 60_000 }),
    );
    await runAt(b.clock, [0, 0, 0, 0, 0, 0], () => run(b.exec(request())));
    expect(b.sent.map((s) => s.atMs)).toEqual([0, 500, 1000, 1500, 2000, 2500]);
  });

  it('never runs more than `workers` at once', async () => {
    const b = bench({ latencyMs: 1000 });
    const run = wrap(queuePolicy({ workers: 2, maxQueue: 10, whenFull: 'reject', maxWaitMs: 60_000 }));
    await runAt(b.clock, [0, 0, 0, 0, 0], () => run(b.exec(request())));
    expect(b.sent.map((s) => s.atMs)).toEqual([0, 0, 1000, 1000, 2000]);
  });

  it("trades latency for success: the article's queue beats failing fast under a burst", async () => {
    // 20 requests in one burst; the upstream stand-in accepts only 2 concurrent calls and 429s the rest.
    let inFlight = 0;
    const burst = Array.from({ length: 20 }, () => 0);
    const attempt = async (useQueue: boolean) => {
      const b = bench();
      b.ctx.send = async (req, o) => {
        if (inFlight >= 2) return { kind: 'response', status: 429, headers: {}, model: o.model };
        inFlight++;
        await b.clock.sleep(500);
        inFlight--;
        return { kind: 'response', status: 200, headers: {}, model: req.model };
      };
      const run = useQueue
        ? wrap(queuePolicy({ workers: 2, maxQueue: 50, whenFull: 'wait', maxWaitMs: 60_000 }))
        : wrap();
      const results = await runAt(b.clock, burst, () => run(b.exec(request())));
      return {
        ok: results.filter((r) => r.kind === 'response' && r.status === 200).length,
        endMs: b.clock.now(),
      };
    };
    const direct = await attempt(false);
    const queued = await attempt(true);
    expect(direct.ok).toBe(2);
    expect(queued.ok).toBe(20);
    expect(queued.endMs).toBe(5000);
  });
});

describe('queuePolicy: deadline and abort', () => {
  it("returns deadline_exceeded when the request's own deadline comes first", async () => {
    const b = bench({ latencyMs: 1000 });
    const run = wrap(queuePolicy({ workers: 1, maxQueue: 5, whenFull: 'reject', maxWaitMs: 60_000 }));
    const results = await runAt(b.clock, [0, 0], (i) =>
      run(b.exec(request(), i === 1 ? { deadlineAtMs: 300 } : {})),
    );
    expect(outcomes(results)).toEqual(['ok', 'deadline_exceeded']);
  });

  it('drops a queued request when it is aborted and serves the next one', async () => {
    const b = bench({ latencyMs: 1000 });
    const ac = new AbortController();
    b.clock.setTimeout(() => ac.abort(), 100);
    const run = wrap(queuePolicy({ workers: 1, maxQueue: 5, whenFull: 'reject', maxWaitMs: 60_000 }));
    const results = await runAt(b.clock, [0, 0, 0], (i) =>
      run(b.exec(request(), i === 1 ? { signal: ac.signal } : {})),
    );
    expect(outcomes(results)).toEqual(['ok', 'deadline_exceeded', 'ok']);
    expect(b.sent.map((s) => s.atMs)).toEqual([0, 1000]);
  });
});

describe('queuePolicy: bad input', () => {
  it.each([
    [{ workers: 0, maxQueue: 1, whenFull: 'reject', maxWaitMs: 1 }, 'workers'],
    [{ workers: 1, maxQueue: 0, whenFull: 'reject', maxWaitMs: 1 }, 'maxQueue'],
    [{ workers: 1, maxQueue: 1, ratePerSec: 0, whenFull: 'reject', maxWaitMs: 1 }, 'ratePerSec'],
    [{ workers: 1, maxQueue: 1, whenFull: 'drop', maxWaitMs: 1 }, 'whenFull'],
    [{ workers: 1, maxQueue: 1, whenFull: 'wait', maxWaitMs: -5 }, 'maxWaitMs'],
  ])('rejects %j naming the field %s', (options, field) => {
    try {
      queuePolicy(options as never, 'strategy "q" policies[0]');
      expect.unreachable();
    } catch (e) {
      expect(isSquallError(e, 'ERR_SQUALL_STRATEGY')).toBe(true);
      expect((e as Error).message).toContain(`strategy "q" policies[0].${field}`);
    }
  });
});
