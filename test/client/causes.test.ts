import { describe, expect, it } from 'vitest';
import type { ClientCause, RequestHooks } from '../../src/client/cause.ts';
import { CLIENT_CAUSES } from '../../src/client/causes.ts';
import { Client } from '../../src/client/index.ts';
import type { ClientConfig } from '../../src/client/types.ts';
import { VirtualClock } from '../../src/sim/clock.ts';
import type { LogicalRequest } from '../../src/strategies/types.ts';

const QUEUE = { max: 10, timeoutMs: 60_000 };
const config = (c: Partial<ClientConfig>): ClientConfig => ({
  sleep: 'async',
  queue: QUEUE,
  connectionQueue: QUEUE,
  otherTraffic: [],
  ...c,
});
const env = (clock: VirtualClock) => ({ clock, seed: 's', originMs: 0, durationMs: 10_000 });
const request = (id: string, arrivalMs = 0) => ({ id, arrivalMs }) as LogicalRequest;

function hooks(log: string[], id: string): RequestHooks {
  return {
    run: () => log.push(`${id} run`),
    fail: (o) => log.push(`${id} ${o.result}`),
    abort: () => log.push(`${id} abort`),
    dropped: () => log.push(`${id} dropped`),
  };
}

describe('the client causes, composed from CLIENT_CAUSES', () => {
  it('a fifth cause is one more entry: its refusal gives back the worker an earlier cause took', async () => {
    const clock = new VirtualClock(0);
    let admitted = 0;
    const refuseAll: ClientCause = {
      name: 'refuse-all',
      create: () => ({
        admit(_req, next) {
          admitted++;
          next();
        },
        beforeAttempt: async () => ({ refused: 'connection', message: 'no' }),
      }),
    };
    // No queue: an attempt that found the worker still held would be refused at once as saturated.
    const client = new Client(config({ workers: 1, queue: { max: 0, timeoutMs: 1_000 } }), env(clock), [
      ...CLIENT_CAUSES,
      refuseAll,
    ]);
    const log: string[] = [];
    client.request(request('a'), hooks(log, 'a'));
    expect(admitted).toBe(1);
    expect(log).toEqual(['a run']);
    for (let i = 0; i < 3; i++)
      expect(await client.attempt('a')).toEqual({ refused: 'connection', message: 'no' });
    // The one worker came back each time: nobody saturated, never more than one held.
    const s = client.summary().client;
    expect(s.saturated).toBe(0);
    expect(s.workersBusyMax).toBe(1);
  });

  it('the deadline drops a request still queued for a blocking worker, and the queue forgets it', async () => {
    const clock = new VirtualClock(0);
    const client = new Client(config({ workers: 1, sleep: 'blocking', timeoutMs: 1_000 }), env(clock));
    const log: string[] = [];
    client.request(request('a'), hooks(log, 'a'));
    client.request(request('b'), hooks(log, 'b'));
    await clock.run({ untilMs: 1_000 });
    expect(log).toEqual(['a run', 'a client_timeout', 'b client_timeout', 'b dropped']);
    // a's work ends: its worker goes back to nobody (b left the queue), so c gets it at once.
    client.done('a');
    client.request(request('c', 1_000), hooks(log, 'c'));
    expect(log.at(-1)).toBe('c run');
    expect(client.summary().client).toMatchObject({ timedOut: 2, saturated: 0, workersBusyMax: 1 });
  });
});
