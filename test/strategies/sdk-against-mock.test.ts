import { describe, expect, it } from 'vitest';
import { createInProcessFetch } from '../../mock-upstream/fronts/in-process.ts';
import { VirtualClock } from '../../src/sim/clock.ts';
import { installVirtualGlobals } from '../../src/sim/globals.ts';
import { Rng } from '../../src/sim/rng.ts';
import { openaiSdkStrategy } from '../../src/strategies/adapters/openai-sdk.ts';
import type { LogicalRequest, StrategyContext, StrategyEvent } from '../../src/strategies/types.ts';
import { testUpstream } from '../helpers/upstream.ts';

/**
 * The real openai SDK, unmodified, as a strategy against the real mock upstream (in-process front) in
 * virtual time: persistent 500s give exactly 3 attempts with the SDK's own delays, in milliseconds of
 * wall time.
 */
describe('openai SDK strategy against the mock upstream, in virtual time', () => {
  const req: LogicalRequest = {
    id: 'r0',
    arrivalMs: 0,
    endpoint: 'chat.completions',
    model: 'gpt-4o-mini',
    promptTokens: 100,
    maxTokens: 50,
    stream: false,
    apiKey: 'sk-sdk',
  };

  async function run(seed: string) {
    const upstream = testUpstream(
      { phases: [{ name: 'down', start: 0, end: '1h', faults: { '500': 1 } }] },
      seed,
    );
    const clock = new VirtualClock(0);
    const events: StrategyEvent[] = [];
    const ctx: StrategyContext = {
      clock,
      rng: new Rng(seed),
      emit: (e) => events.push(e),
      send: () => Promise.reject(new Error('the SDK strategy does not use send')),
      fetch: createInProcessFetch(upstream, clock),
      baseURL: 'http://squall.sim/v1',
      log: () => {},
    };
    const globals = installVirtualGlobals(clock, { rng: new Rng(seed).fork('globals') });
    const wallStart = process.hrtime.bigint(); // performance.now is virtualised during the run
    try {
      const p = openaiSdkStrategy().call(req, ctx);
      await clock.run();
      const outcome = await p;
      return {
        outcome,
        journal: upstream.journal.list({ limit: 10 }),
        wallMs: Number(process.hrtime.bigint() - wallStart) / 1e6,
        events,
      };
    } finally {
      globals.restore();
    }
  }

  it('makes exactly 3 attempts, waiting 0.5 s·(0.75..1] then 1 s·(0.75..1], in virtual time', async () => {
    const { outcome, journal, wallMs } = await run('sdk-500');
    expect(outcome).toMatchObject({ ok: false, result: 'failed_transient', attempts: 3 });
    expect(journal.map((j) => [j.outcome, j.retryCount])).toEqual([
      ['500', 0],
      ['500', 1],
      ['500', 2],
    ]);
    // Each 500 is answered after the mock's 2 ms latency; the gap after it is the SDK's own sleep.
    const gap1 = journal[1]!.atMs - journal[0]!.atMs - journal[0]!.latencyMs;
    const gap2 = journal[2]!.atMs - journal[1]!.atMs - journal[1]!.latencyMs;
    expect(gap1).toBeGreaterThan(375 - 1);
    expect(gap1).toBeLessThanOrEqual(500 + 1);
    expect(gap2).toBeGreaterThan(750 - 1);
    expect(gap2).toBeLessThanOrEqual(1000 + 1);
    expect(wallMs).toBeLessThan(500);
  });

  it('same seed, same SDK delays (Math.random is the seeded stream during the run)', async () => {
    const a = await run('same');
    const b = await run('same');
    expect(b.journal.map((j) => j.atMs)).toEqual(a.journal.map((j) => j.atMs));
  });
});
