import { describe, expect, it } from 'vitest';
import { StrategyRecorder } from '../../src/metrics/recorder.ts';
import type { AttemptOutcome, LogicalOutcome, LogicalRequest } from '../../src/strategies/types.ts';

const MODEL = 'gpt-4o-mini';

function request(id: string, arrivalMs: number, extra: Partial<LogicalRequest> = {}): LogicalRequest {
  return {
    id,
    arrivalMs,
    endpoint: 'chat.completions',
    model: MODEL,
    promptTokens: 100,
    maxTokens: 200,
    stream: false,
    apiKey: 'sk-test',
    ...extra,
  };
}

function response(
  status: number,
  extra: Partial<Extract<AttemptOutcome, { kind: 'response' }>> = {},
): AttemptOutcome {
  return { kind: 'response', status, headers: {}, model: MODEL, ...extra };
}

function network(error: 'reset' | 'refused' | 'timeout' | 'stream' | 'dns', model = MODEL): AttemptOutcome {
  return { kind: 'network', error, message: error, model };
}

function ok(attempts: number): LogicalOutcome {
  return { ok: true, result: 'success', attempts, model: MODEL };
}

function failed(result: LogicalOutcome['result'], attempts: number, last?: AttemptOutcome): LogicalOutcome {
  return last === undefined ? { ok: false, result, attempts } : { ok: false, result, attempts, last };
}

/**
 * Drives one logical request through the recorder: `attempts` are [outcome, startMs, endMs] and run
 * back to back, then the request ends with `outcome` at the last attempt's end (or at `endMs`).
 */
function drive(
  rec: StrategyRecorder,
  req: LogicalRequest,
  attempts: Array<[AttemptOutcome, number, number]>,
  outcome: LogicalOutcome,
  endMs?: number,
): void {
  rec.onArrival(req, req.arrivalMs);
  for (const [attempt, startMs, attemptEndMs] of attempts) {
    rec.onAttemptStart(req.id, startMs);
    rec.onAttemptEnd(req.id, attempt, startMs, attemptEndMs, 0, false);
  }
  rec.onLogicalEnd(req, outcome, endMs ?? attempts.at(-1)?.[2] ?? req.arrivalMs);
}

describe('StrategyRecorder', () => {
  describe('latency', () => {
    it('measures from the intended arrival: queued 500 ms then served in 100 ms records 600 ms, not 100', () => {
      const rec = new StrategyRecorder({ startMs: 0, durationMs: 10_000 });
      const req = request('r1', 0);
      rec.onArrival(req, 0);
      rec.onAttemptStart('r1', 500);
      rec.onAttemptEnd('r1', response(200), 500, 600, 300, false);
      rec.onLogicalEnd(req, ok(1), 600);
      const s = rec.summary();
      expect(s.latencyMs.max).toBe(600);
      expect(s.latencyMs.p50).toBeCloseTo(600, 0);
      expect(s.successLatencyMs.p50).toBeCloseTo(600, 0);
      expect(s.uncorrectedLatencyMs.p50).toBeCloseTo(100, 0);
      expect(s.serviceTimeMs.p50).toBeCloseTo(100, 0);
    });

    it('still measures from the intended arrival when the driver hands the request over late', () => {
      const rec = new StrategyRecorder({ startMs: 0, durationMs: 10_000 });
      const req = request('r1', 0);
      rec.onArrival(req, 500);
      rec.onAttemptStart('r1', 500);
      rec.onAttemptEnd('r1', response(200), 500, 600, 0, false);
      rec.onLogicalEnd(req, ok(1), 600);
      const s = rec.summary();
      expect(s.latencyMs.max).toBe(600);
      expect(s.requests.lateArrivals).toBe(1);
      expect(s.requests.maxArrivalLagMs).toBe(500);
    });

    it('includes failures in the all-requests latency but not in the success latency', () => {
      const rec = new StrategyRecorder({ startMs: 0, durationMs: 10_000 });
      drive(rec, request('fast-fail', 0), [], failed('breaker_open', 0), 1);
      drive(rec, request('slow-ok', 0), [[response(200), 0, 2000]], ok(1));
      const s = rec.summary();
      expect(s.latencyMs.count).toBe(2);
      expect(s.latencyMs.min).toBe(1);
      expect(s.successLatencyMs.count).toBe(1);
      expect(s.successLatencyMs.min).toBe(2000);
      expect(s.uncorrectedLatencyMs.count).toBe(1);
    });

    it('reports null latency statistics when nothing completed', () => {
      const s = new StrategyRecorder({ startMs: 0, durationMs: 1000 }).summary();
      expect(s.latencyMs).toEqual({
        count: 0,
        min: null,
        mean: null,
        p50: null,
        p90: null,
        p95: null,
        p99: null,
        p999: null,
        max: null,
      });
      expect(s.successRate).toBeNull();
      expect(s.amplification).toBeNull();
      expect(s.latencySpectrum).toEqual([]);
    });
  });

  describe('amplification and attempts', () => {
    it('divides attempts by logical requests, overall and per second', () => {
      const rec = new StrategyRecorder({ startMs: 0, durationMs: 2000 });
      for (let i = 0; i < 7; i++) drive(rec, request(`one-${i}`, 100), [[response(200), 100, 200]], ok(1));
      for (let i = 0; i < 3; i++) {
        drive(
          rec,
          request(`three-${i}`, 1100),
          [
            [response(503), 1100, 1200],
            [response(503), 1300, 1400],
            [response(200), 1500, 1600],
          ],
          ok(3),
        );
      }
      const s = rec.summary();
      expect(s.attempts.total).toBe(16);
      expect(s.amplification).toBeCloseTo(1.6, 10);
      expect(s.perSecond.amplification).toEqual([1, 3]);
      expect(s.attempts.perRequest.slice(0, 4)).toEqual([0, 7, 0, 3]);
      expect(s.attempts.byKind).toEqual({ '200': 10, '503': 6 });
      expect(s.series.attempted).toEqual([7, 9]);
      expect(s.series.attemptsSucceeded).toEqual([7, 3]);
    });

    it('puts requests with 16 or more attempts in the last attempts bucket', () => {
      const rec = new StrategyRecorder({ startMs: 0, durationMs: 1000 });
      const attempts: Array<[AttemptOutcome, number, number]> = [];
      for (let i = 0; i < 20; i++) attempts.push([response(503), i, i + 1]);
      drive(rec, request('storm', 0), attempts, failed('failed_transient', 20, response(503)));
      const perRequest = rec.summary().attempts.perRequest;
      expect(perRequest).toHaveLength(17);
      expect(perRequest[16]).toBe(1);
    });
  });

  describe('wasted retries', () => {
    it.each<[string, Array<AttemptOutcome>, number]>([
      ['401 retried twice on the same model', [response(401), response(401), response(401)], 2],
      ['400 then a fallback to another model', [response(400), response(200, { model: 'gpt-4o' })], 0],
      ['503 retried (transient, not wasted)', [response(503), response(503), response(200)], 0],
      ['timeout retried (network, not wasted)', [network('timeout'), response(200)], 0],
      [
        'insufficient_quota 429 retried (waiting never fixes it)',
        [
          response(429, { errorCode: 'insufficient_quota' }),
          response(429, { errorCode: 'insufficient_quota' }),
        ],
        1,
      ],
      [
        'x-should-retry: false retried',
        [response(500, { headers: { 'x-should-retry': 'false' } }), response(200)],
        1,
      ],
    ])('%s → %i wasted', (_name, outcomes, wasted) => {
      const rec = new StrategyRecorder({ startMs: 0, durationMs: 1000 });
      drive(
        rec,
        request('r', 0),
        outcomes.map((o, i) => [o, i * 10, i * 10 + 5]),
        failed('failed_client', outcomes.length, outcomes.at(-1)),
      );
      expect(rec.summary().attempts.wastedRetries).toBe(wasted);
    });

    it('does not carry a client failure over to another request', () => {
      const rec = new StrategyRecorder({ startMs: 0, durationMs: 1000 });
      drive(rec, request('a', 0), [[response(401), 0, 5]], failed('failed_client', 1, response(401)));
      drive(rec, request('b', 10), [[response(401), 10, 15]], failed('failed_client', 1, response(401)));
      expect(rec.summary().attempts.wastedRetries).toBe(0);
    });
  });

  describe('tokens and cost', () => {
    it('bills an abandoned attempt the upstream completed anyway, as a duplicate', () => {
      const rec = new StrategyRecorder({ startMs: 0, durationMs: 60_000, pricePer1kTokens: 0.002 });
      const req = request('r', 0);
      rec.onArrival(req, 0);
      // The client times out at 10 s and retries; the upstream finishes the first one anyway and bills it.
      rec.onAttemptStart('r', 0);
      rec.onAttemptStart('r', 10_000);
      rec.onAttemptEnd('r', response(200, { usageTokens: 500 }), 0, 12_000, 500, true);
      rec.onAttemptEnd('r', response(200, { usageTokens: 500 }), 10_000, 13_000, 500, false);
      rec.onLogicalEnd(req, ok(2), 13_000);
      const s = rec.summary();
      expect(s.tokens).toEqual({ billed: 1000, abandonedBilled: 500, duplicateBilledAttempts: 1 });
      expect(s.attempts.abandoned).toBe(1);
      expect(s.cost).toEqual({ pricePer1kTokens: 0.002, total: 0.002, abandoned: 0.001 });
      // The abandoned 200 is not a useful success.
      expect(s.series.attemptsSucceeded.reduce((a, b) => a + b, 0)).toBe(1);
    });

    it('does not count an abandoned attempt the upstream never billed as a duplicate', () => {
      const rec = new StrategyRecorder({ startMs: 0, durationMs: 60_000 });
      const req = request('r', 0);
      rec.onArrival(req, 0);
      rec.onAttemptStart('r', 0);
      rec.onAttemptEnd('r', network('timeout'), 0, 10_000, 0, true);
      rec.onLogicalEnd(req, failed('failed_network', 1, network('timeout')), 10_000);
      const s = rec.summary();
      expect(s.tokens).toEqual({ billed: 0, abandonedBilled: 0, duplicateBilledAttempts: 0 });
      expect(s.attempts.abandoned).toBe(1);
      expect(s.cost).toBeNull();
    });
  });

  describe('outcomes', () => {
    it('counts results, failure classes, success rate and goodput', () => {
      const rec = new StrategyRecorder({ startMs: 0, durationMs: 10_000 });
      drive(rec, request('ok1', 0), [[response(200), 0, 10]], ok(1));
      drive(rec, request('ok2', 0), [[response(200), 0, 10]], ok(1));
      drive(rec, request('rl', 0), [[response(429), 0, 10]], failed('failed_transient', 1, response(429)));
      drive(rec, request('br', 0), [], failed('breaker_open', 0), 1);
      drive(
        rec,
        request('to', 0),
        [[network('timeout'), 0, 10]],
        failed('failed_network', 1, network('timeout')),
      );
      const s = rec.summary();
      expect(s.results.success).toBe(2);
      expect(s.results.failed_transient).toBe(1);
      expect(s.results.breaker_open).toBe(1);
      expect(s.results.failed_network).toBe(1);
      expect(s.failuresByClass).toMatchObject({ '429': 1, breaker_open: 1, timeout: 1, '5xx': 0 });
      expect(s.successRate).toBeCloseTo(0.4, 10);
      expect(s.goodputPerSec).toBeCloseTo(0.2, 10);
      expect(s.requests).toMatchObject({ offered: 5, completed: 5, unfinished: 0, inFlightAtEnd: 0 });
    });

    it('counts requests still open at the end as unfinished, against the success rate', () => {
      // The queue story: 10 offered, 8 served, 2 still queued when the drain ran out.
      const rec = new StrategyRecorder({ startMs: 0, durationMs: 10_000, drainMs: 5000 });
      for (let i = 0; i < 10; i++) rec.onArrival(request(`r${i}`, i * 1000), i * 1000);
      for (let i = 0; i < 8; i++) rec.onLogicalEnd(request(`r${i}`, i * 1000), ok(1), i * 1000 + 500);
      rec.end(15_000);
      const s = rec.summary();
      expect(s.requests).toMatchObject({ offered: 10, completed: 8, unfinished: 2 });
      expect(s.successRate).toBe(0.8);
      expect(s.results.success + s.requests.unfinished).toBe(s.requests.offered);
    });

    it('ignores what is reported after the run ended: those requests stay unfinished', () => {
      const rec = new StrategyRecorder({ startMs: 0, durationMs: 2000, drainMs: 1000 });
      rec.onArrival(request('a', 0), 0);
      rec.end(3000);
      // The runner aborts open requests after the end; the strategy may still report them as failed.
      rec.onLogicalEnd(request('a', 0), failed('strategy_error', 0), 3000);
      const s = rec.summary();
      expect(s.requests).toMatchObject({ offered: 1, completed: 0, unfinished: 1 });
      expect(s.results.strategy_error).toBe(0);
      expect(s.successRate).toBe(0);
    });

    it('divides goodput by the elapsed time, drain included, and keeps every drain second in the series', () => {
      const rec = new StrategyRecorder({ startMs: 0, durationMs: 10_000, drainMs: 30_000 });
      for (let i = 0; i < 10; i++) rec.onArrival(request(`r${i}`, i * 1000), i * 1000);
      // Answers arrive late: the last one 19.5 s in, well into the drain.
      for (let i = 0; i < 10; i++) rec.onLogicalEnd(request(`r${i}`, i * 1000), ok(1), i * 1000 + 10_500);
      rec.end(40_000);
      const s = rec.summary();
      expect(s.elapsedMs).toBe(19_500);
      expect(s.goodputPerSec).toBeCloseTo(10 / 19.5, 10);
      // One slot per second up to the last answer: nothing folded into the duration's last second.
      expect(s.series.seconds).toBe(20);
      expect(s.series.succeeded).toEqual([...new Array(10).fill(0), ...new Array(10).fill(1)]);
    });

    it('runs to the end of the drain when requests were left open', () => {
      const rec = new StrategyRecorder({ startMs: 0, durationMs: 10_000, drainMs: 5000 });
      rec.onArrival(request('stuck', 9000), 9000);
      rec.end(15_000);
      const s = rec.summary();
      expect(s.elapsedMs).toBe(15_000);
      expect(s.series.seconds).toBe(15);
    });

    it('keeps failure latency apart from success latency', () => {
      const rec = new StrategyRecorder({ startMs: 0, durationMs: 10_000 });
      drive(rec, request('slow-ok', 0), [[response(200), 0, 2000]], ok(1));
      drive(rec, request('fast-fail', 0), [], failed('breaker_open', 0), 1);
      const s = rec.summary();
      expect(s.successLatencyMs).toMatchObject({ count: 1, p50: expect.closeTo(2000, -1) });
      expect(s.failureLatencyMs).toMatchObject({ count: 1, p50: expect.closeTo(1, 0) });
    });

    it('tracks requests still in flight when the summary is taken', () => {
      const rec = new StrategyRecorder({ startMs: 0, durationMs: 3000 });
      rec.onArrival(request('a', 0), 0);
      rec.onArrival(request('b', 1500), 1500);
      rec.onLogicalEnd(request('a', 0), ok(0), 2500);
      const s = rec.summary();
      expect(s.requests.inFlightAtEnd).toBe(1);
      expect(s.series.inFlight).toEqual([1, 2, 2]);
    });

    it('takes the summary without changing the recorder', () => {
      const rec = new StrategyRecorder({ startMs: 0, durationMs: 3000 });
      drive(rec, request('a', 0), [[response(200), 0, 100]], ok(1));
      rec.onEvent({ type: 'breaker', state: 'open', atMs: 1500 });
      const windows = [{ name: 'w', startMs: 0, endMs: 1000 }];
      expect(rec.summary(windows)).toEqual(rec.summary(windows));
    });
  });

  describe('events and upstream samples', () => {
    it('records breaker state, queue depth, limiter waits, rejections, sheds and fallbacks', () => {
      const rec = new StrategyRecorder({ startMs: 0, durationMs: 4000 });
      rec.onEvent({ type: 'breaker', state: 'open', atMs: 1000 });
      rec.onEvent({ type: 'breaker', state: 'half_open', atMs: 2500 });
      rec.onEvent({ type: 'breaker', state: 'closed', atMs: 3000 });
      rec.onEvent({ type: 'queue', depth: 12, atMs: 500 });
      rec.onEvent({ type: 'queue', depth: 3, atMs: 1500 });
      rec.onEvent({ type: 'limiter', waitMs: 250, atMs: 100 });
      rec.onEvent({ type: 'rejected', requestId: 'x', by: 'breaker', atMs: 1100 });
      rec.onEvent({ type: 'rejected', requestId: 'y', by: 'breaker', atMs: 1200 });
      rec.onEvent({ type: 'shed', requestId: 'z', by: 'bulkhead', atMs: 1300 });
      rec.onEvent({ type: 'fallback', requestId: 'z', from: MODEL, to: 'gpt-4o', reason: '503', atMs: 1400 });
      rec.onEvent({
        type: 'retry',
        requestId: 'z',
        attemptNumber: 1,
        delayMs: 100,
        reason: '503',
        atMs: 1400,
      });
      rec.onUpstreamSample(200, 90);
      rec.onUpstreamSample(2200, 10);
      const s = rec.summary();
      expect(s.series.breakerOpen).toEqual([0, 1, 0.5, 0]);
      expect(s.series.breakerHalfOpen).toEqual([0, 0, 0.5, 0]);
      expect(s.series.queueDepth).toEqual([12, 12, 3, 3]);
      expect(s.series.bucketRemainingRequests).toEqual([90, 90, 10, 10]);
      expect(s.limiterWaitMs.max).toBe(250);
      expect(s.events).toEqual({
        retries: 1,
        fallbacks: 1,
        breakerTransitions: 3,
        breakerOpened: 1,
        rejectedBy: { breaker: 2 },
        shedBy: { bulkhead: 1 },
      });
    });
  });

  describe('recovery after fault windows', () => {
    /** 10 requests complete every second; during `badSeconds` all of them fail with a 503. */
    function runWithBadSeconds(badFrom: number, badTo: number, durationS = 30): StrategyRecorder {
      const rec = new StrategyRecorder({ startMs: 0, durationMs: durationS * 1000 });
      for (let s = 0; s < durationS; s++) {
        for (let i = 0; i < 10; i++) {
          const at = s * 1000 + i * 100;
          const bad = s >= badFrom && s < badTo;
          const outcome = bad ? failed('failed_transient', 1, response(503)) : ok(1);
          drive(rec, request(`${s}-${i}`, at), [[response(bad ? 503 : 200), at, at + 50]], outcome);
        }
      }
      return rec;
    }

    it('is the time from the window end until success is back at the baseline for the hold (7 s → 7000 ms)', () => {
      const rec = runWithBadSeconds(5, 17);
      const summary = rec.summary([{ name: 'outage', startMs: 5000, endMs: 10_000 }]);
      expect(summary.recovery).toEqual([
        { name: 'outage', startMs: 5000, endMs: 10_000, recoveryMs: 7000, baselineSuccessRate: 1 },
      ]);
      expect(summary.recoveryRule).toEqual({ marginFraction: 0.05, holdMs: 10_000 });
    });

    it('is 0 when success is already back when the window ends', () => {
      const rec = runWithBadSeconds(5, 10);
      expect(rec.summary([{ name: 'w', startMs: 5000, endMs: 10_000 }]).recovery[0]!.recoveryMs).toBe(0);
    });

    it('is null when the run never recovers', () => {
      const rec = runWithBadSeconds(5, 30);
      expect(rec.summary([{ name: 'w', startMs: 5000, endMs: 10_000 }]).recovery[0]!.recoveryMs).toBeNull();
    });

    it('honours a custom margin and hold', () => {
      // Second 12 has 1 failure in 10 (90 % success): within a 15-point margin of 100 %, not within 5.
      const hold = 3000;
      const rec = new StrategyRecorder({
        startMs: 0,
        durationMs: 20_000,
        recovery: { marginFraction: 0.15, holdMs: hold },
      });
      const strict = new StrategyRecorder({
        startMs: 0,
        durationMs: 20_000,
        recovery: { marginFraction: 0.05, holdMs: hold },
      });
      for (const r of [rec, strict]) {
        for (let s = 0; s < 20; s++) {
          for (let i = 0; i < 10; i++) {
            const at = s * 1000 + i * 10;
            const bad = (s >= 5 && s < 11) || (s === 12 && i === 0);
            drive(r, request(`${s}-${i}`, at), [], bad ? failed('failed_transient', 0) : ok(0), at + 5);
          }
        }
      }
      const windows = [{ name: 'w', startMs: 5000, endMs: 10_000 }];
      expect(rec.summary(windows).recovery[0]!.recoveryMs).toBe(1000);
      expect(strict.summary(windows).recovery[0]!.recoveryMs).toBe(3000);
    });
  });

  describe('breakdowns', () => {
    it('breaks outcomes down by user, feature and model', () => {
      const rec = new StrategyRecorder({ startMs: 0, durationMs: 10_000 });
      drive(rec, request('1', 0, { user: 'u1', feature: 'chat' }), [[response(200), 0, 100]], ok(1));
      drive(
        rec,
        request('2', 0, { user: 'u1', feature: 'translate' }),
        [[response(503), 0, 300]],
        failed('failed_transient', 1, response(503)),
      );
      drive(rec, request('3', 0, { model: 'gpt-4o' }), [[response(200), 0, 200]], ok(1));
      const { byUser, byFeature, byModel } = rec.summary().breakdowns;
      expect(byUser.u1).toMatchObject({ requests: 2, successes: 1, successRate: 0.5 });
      expect(byUser['(none)']).toMatchObject({ requests: 1, successes: 1 });
      // Latency per slice is of successful requests, like the verdict table's: none here.
      expect(byFeature.translate).toEqual({ requests: 1, successes: 0, successRate: 0, p95Ms: null });
      expect(byModel).toEqual({
        [MODEL]: { requests: 2, successes: 1, successRate: 0.5, p95Ms: expect.closeTo(100, -1) },
        'gpt-4o': { requests: 1, successes: 1, successRate: 1, p95Ms: expect.closeTo(200, -1) },
      });
    });

    it('keeps at most 200 named keys and folds the rest into "(other)"', () => {
      const rec = new StrategyRecorder({ startMs: 0, durationMs: 10_000 });
      for (let i = 0; i < 250; i++) drive(rec, request(`r${i}`, 0, { user: `user-${i}` }), [], ok(0), 10);
      drive(rec, request('again', 0, { user: 'user-0' }), [], ok(0), 10);
      const { byUser } = rec.summary().breakdowns;
      expect(Object.keys(byUser)).toHaveLength(201);
      expect(byUser['user-199']!.requests).toBe(1);
      expect(byUser['user-200']).toBeUndefined();
      expect(byUser['(other)']!.requests).toBe(50);
      expect(byUser['user-0']!.requests).toBe(2);
    });

    it('uses a configurable key cap', () => {
      const rec = new StrategyRecorder({ startMs: 0, durationMs: 10_000, maxBreakdownKeys: 2 });
      for (const f of ['a', 'b', 'c', 'd', 'a']) drive(rec, request(f, 0, { feature: f }), [], ok(0), 10);
      expect(rec.summary().breakdowns.byFeature).toEqual({
        a: expect.objectContaining({ requests: 2 }),
        b: expect.objectContaining({ requests: 1 }),
        '(other)': expect.objectContaining({ requests: 2 }),
      });
    });
  });

  describe('options', () => {
    it.each([
      ['a recovery margin of 1 or more', { recovery: { marginFraction: 1, holdMs: 1000 } }],
      ['a negative recovery margin', { recovery: { marginFraction: -0.1, holdMs: 1000 } }],
      ['a zero recovery hold', { recovery: { marginFraction: 0.05, holdMs: 0 } }],
      ['a negative drain', { drainMs: -1 }],
      ['a negative price', { pricePer1kTokens: -1 }],
    ])('rejects %s', (_name, extra) => {
      expect(() => new StrategyRecorder({ startMs: 0, durationMs: 1000, ...extra })).toThrow(
        expect.objectContaining({ code: 'ERR_SQUALL_INVALID_METRICS' }),
      );
    });
  });

  describe('memory', () => {
    it('a million logical requests leave every internal structure the same size', () => {
      const durationMs = 3_600_000;
      const rec = new StrategyRecorder({ startMs: 0, durationMs, pricePer1kTokens: 0.001 });
      const total = 1_000_000;
      const users = 1000;
      const run = (from: number, to: number) => {
        for (let i = from; i < to; i++) {
          const arrivalMs = (i / total) * durationMs;
          const req = request(`r${i}`, arrivalMs, { user: `u${i % users}`, feature: `f${i % 7}` });
          rec.onArrival(req, arrivalMs);
          rec.onAttemptStart(req.id, arrivalMs);
          const bad = i % 10 === 0;
          const endMs = arrivalMs + 50 + (i % 97) * 13;
          rec.onAttemptEnd(req.id, response(bad ? 503 : 200), arrivalMs, endMs, bad ? 0 : 150, false);
          rec.onLogicalEnd(req, bad ? failed('failed_transient', 1, response(503)) : ok(1), endMs);
        }
      };
      const gc = (globalThis as { gc?: () => void }).gc;
      run(0, total / 10);
      const early = rec.footprint();
      gc?.();
      const heapBefore = process.memoryUsage().heapUsed;
      run(total / 10, total);
      gc?.();
      const heapAfter = process.memoryUsage().heapUsed;
      expect(rec.footprint()).toEqual(early);
      expect(early.inFlightRequests).toBe(0);
      expect(early.breakdownRows).toBe(201 + 7 + 1);
      if (gc !== undefined) expect(heapAfter - heapBefore).toBeLessThan(50 * 1024 * 1024);
      const s = rec.summary();
      expect(s.requests.completed).toBe(total);
      expect(s.successRate).toBeCloseTo(0.9, 10);
      expect(s.tokens.billed).toBe(900_000 * 150);
      expect(JSON.stringify(s).length).toBeLessThan(2_000_000);
    });
  });
});
