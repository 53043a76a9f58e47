import { describe, expect, it } from 'vitest';
import { createInProcessFetch } from '../../mock-upstream/fronts/in-process.ts';
import { FAULT_KINDS, type FaultKind } from '../../mock-upstream/types.ts';
import { Upstream } from '../../mock-upstream/upstream.ts';
import { createDirectSend } from '../../src/runner/direct.ts';
import { createSend } from '../../src/runner/transport.ts';
import { upstreamConfigFrom } from '../../src/scenario/upstream-schema.ts';
import { VirtualClock } from '../../src/sim/clock.ts';
import type { AttemptOutcome, LogicalRequest } from '../../src/strategies/types.ts';

const upstream = (fault: FaultKind | undefined) =>
  new Upstream(
    upstreamConfigFrom('direct-vs-fetch', {
      latency: { fixed: 5 },
      stream: { ttft: { fixed: 5 }, tokens_per_sec: 1000, jitter: 0 },
      max_hang: 2000,
      ...(fault ? { phases: [{ name: 'all', start: 0, end: '1h', faults: { [fault]: 1 } }] } : {}),
    }),
    { startMs: 0 },
  );

const request = (stream: boolean): LogicalRequest => ({
  id: 'r1',
  arrivalMs: 0,
  endpoint: 'chat.completions',
  model: 'gpt-4o-mini',
  promptTokens: 40,
  maxTokens: 30,
  stream,
  apiKey: 'sk-direct-test',
});

/** What a policy reads from an outcome (headers aside: the skeleton keeps the ones policies use). */
function seen(o: AttemptOutcome): unknown {
  if (o.kind === 'network') return { kind: o.kind, error: o.error };
  const { headers: _headers, ...rest } = o;
  return rest;
}

async function attempt(via: 'direct' | 'fetch', fault: FaultKind | undefined, stream: boolean) {
  const clock = new VirtualClock(0);
  const u = upstream(fault);
  const send =
    via === 'direct'
      ? createDirectSend(u, clock)
      : createSend({ fetch: createInProcessFetch(u, clock), baseURL: 'http://squall.sim/v1', clock });
  const pending = send(request(stream), { model: 'gpt-4o-mini', attemptNumber: 0, timeoutMs: 1000 });
  await clock.run();
  return pending;
}

describe('the direct transport (simulated time) sees what a client over fetch sees', () => {
  const cases = [undefined, ...FAULT_KINDS].flatMap((fault) => [
    { fault, stream: false },
    { fault, stream: true },
  ]);
  it.each(cases)('fault $fault, stream $stream', async ({ fault, stream }) => {
    const direct = await attempt('direct', fault, stream);
    const fetched = await attempt('fetch', fault, stream);
    expect(seen(direct)).toEqual(seen(fetched));
    if (direct.kind === 'response' && fetched.kind === 'response') {
      for (const h of ['retry-after', 'retry-after-ms', 'x-should-retry', 'x-ratelimit-remaining-requests']) {
        expect(direct.headers[h]).toBe(fetched.headers[h]);
      }
    }
  });
});
