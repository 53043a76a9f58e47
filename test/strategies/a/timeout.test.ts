import { describe, expect, it } from 'vitest';
import { isSquallError } from '../../../src/errors.ts';
import { type TimeoutOptions, timeoutPolicy } from '../../../src/strategies/policies/timeout.ts';
import { wrap } from '../../../src/strategies/policy.ts';
import { bench, execution, request, response, type Step, scripted, settle, statusOf } from './harness.ts';

async function run(steps: Step[], options: TimeoutOptions, startAtMs = 0, arrivalMs = 0) {
  const b = bench();
  const { inner, calls } = scripted(b, steps);
  const exec = execution(b, request('r1', { arrivalMs }));
  await b.clock.advance(startAtMs);
  const result = await settle(b, wrap(timeoutPolicy(options))(exec, inner));
  return { b, calls, result, exec };
}

describe('timeout policy', () => {
  it.each<[string, Step[], TimeoutOptions, number, number, string, number]>([
    // name, script, options, start, arrival, result, clock at the end
    [
      'a hung attempt becomes a network timeout after attemptTimeoutMs',
      ['hang'],
      { attemptTimeoutMs: 1000 },
      0,
      0,
      'network:timeout',
      1000,
    ],
    [
      'a slow answer within the limit comes through',
      [{ latencyMs: 900, outcome: response(200) }],
      { attemptTimeoutMs: 1000 },
      0,
      0,
      '200',
      900,
    ],
    [
      'an answer exactly at the limit loses to the timer',
      [{ latencyMs: 1000, outcome: response(200) }],
      { attemptTimeoutMs: 1000 },
      0,
      0,
      'network:timeout',
      1000,
    ],
    [
      'the deadline cuts an attempt short and says so',
      ['hang'],
      { attemptTimeoutMs: 5000, deadlineMs: 1500 },
      0,
      0,
      'rejected:deadline_exceeded',
      1500,
    ],
    [
      'the deadline counts from arrival, so queueing time counts',
      ['hang'],
      { deadlineMs: 2000 },
      1500,
      0,
      'rejected:deadline_exceeded',
      2000,
    ],
    [
      'a deadline already past rejects without an attempt',
      [response(200)],
      { deadlineMs: 2000 },
      3000,
      0,
      'rejected:deadline_exceeded',
      3000,
    ],
    [
      'the attempt limit applies when it ends before the deadline',
      ['hang'],
      { attemptTimeoutMs: 1000, deadlineMs: 5000 },
      0,
      0,
      'network:timeout',
      1000,
    ],
  ])('%s', async (_name, steps, options, startAtMs, arrivalMs, expected, endMs) => {
    const { b, result } = await run(steps, options, startAtMs, arrivalMs);
    expect(statusOf(result)).toBe(expected);
    expect(b.clock.now()).toBe(endMs);
    expect(b.clock.pending).toBe(0);
  });

  it('aborts the abandoned attempt and tells the transport its limit', async () => {
    const { calls, exec } = await run(['hang'], { attemptTimeoutMs: 1000 });
    expect(calls).toEqual([
      { atMs: 0, attemptNumber: 0, timeoutMs: 1000, model: 'gpt-4o-mini', abortedAtMs: 1000 },
    ]);
    expect(exec.signal).toBeUndefined();
  });

  it('hands the transport the deadline-clipped limit, but leaves its own per-attempt value for an outer retry', async () => {
    const { calls, exec } = await run(
      [{ latencyMs: 10, outcome: response(500) }],
      { attemptTimeoutMs: 5000, deadlineMs: 1200 },
      200,
    );
    expect(calls[0]!.timeoutMs).toBe(1000);
    expect(exec.attemptTimeoutMs).toBe(5000);
    expect(exec.deadlineAtMs).toBe(1200);
  });

  it('a tighter attempt timeout set outside wins', async () => {
    const b = bench();
    const { inner, calls } = scripted(b, ['hang']);
    const exec = execution(b);
    exec.attemptTimeoutMs = 300;
    const result = await settle(b, wrap(timeoutPolicy({ attemptTimeoutMs: 1000 }))(exec, inner));
    expect(statusOf(result)).toBe('network:timeout');
    expect(b.clock.now()).toBe(300);
    expect(calls[0]!.timeoutMs).toBe(300);
  });

  it('a deadline rejection carries the timed-out attempt and emits a rejected event', async () => {
    const { b, result } = await run(['hang'], { attemptTimeoutMs: 5000, deadlineMs: 1500 });
    expect(result).toMatchObject({
      kind: 'rejected',
      by: 'deadline',
      last: { kind: 'network', error: 'timeout' },
    });
    expect(b.events).toEqual([{ type: 'rejected', requestId: 'r1', by: 'deadline', atMs: 1500 }]);
  });

  it('keeps the earlier of two deadlines', async () => {
    const b = bench();
    const { inner } = scripted(b, ['hang']);
    const exec = execution(b);
    const result = await settle(
      b,
      wrap(timeoutPolicy({ deadlineMs: 800 }), timeoutPolicy({ deadlineMs: 3000 }))(exec, inner),
    );
    expect(statusOf(result)).toBe('rejected:deadline_exceeded');
    expect(b.clock.now()).toBe(800);
  });

  it('an outer abort still reaches the attempt', async () => {
    const b = bench();
    const { inner, calls } = scripted(b, ['hang']);
    const controller = new AbortController();
    const exec = execution(b);
    exec.signal = controller.signal;
    b.clock.setTimeout(() => controller.abort(new Error('stop')), 250);
    const work = wrap(timeoutPolicy({ attemptTimeoutMs: 1000 }))(exec, inner);
    await expect(settle(b, work)).rejects.toThrow('stop');
    expect(calls[0]!.abortedAtMs).toBe(250);
  });

  it.each<[string, TimeoutOptions, RegExp]>([
    ['neither limit', {}, /timeout\.attemptTimeoutMs: set attemptTimeoutMs, deadlineMs or both/],
    ['a zero attempt timeout', { attemptTimeoutMs: 0 }, /timeout\.attemptTimeoutMs: must be a number > 0/],
    ['a negative deadline', { deadlineMs: -5 }, /timeout\.deadlineMs: must be a number ≥ 0/],
  ])('refuses %s', (_name, options, message) => {
    let thrown: unknown;
    try {
      timeoutPolicy(options);
    } catch (e) {
      thrown = e;
    }
    expect(isSquallError(thrown, 'ERR_SQUALL_STRATEGY')).toBe(true);
    expect((thrown as Error).message).toMatch(message);
  });
});
