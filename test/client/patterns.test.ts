import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ClientConfig } from '../../src/client/types.ts';
import type { StrategySummary } from '../../src/metrics/recorder.ts';
import { runExperiment } from '../../src/runner/experiment.ts';
import { loadScenario, toPlan } from '../../src/scenario/plan.ts';

/**
 * Each client pattern in scenarios/patterns/ shows its cause plainly: run as written and with the cause
 * taken out (or flipped), the difference is the cause's. Virtual time, the files' own seeds.
 */
async function runPattern(name: string, client: (c: ClientConfig) => ClientConfig | undefined) {
  const loaded = loadScenario(
    fileURLToPath(new URL(`../../scenarios/patterns/${name}.yaml`, import.meta.url)),
  );
  const plan = toPlan(loaded, String(loaded.scenario.seed), 'test');
  const changed = client(plan.client!);
  const { client: _, ...rest } = plan;
  const r = await runExperiment({ ...rest, ...(changed ? { client: changed } : {}) }, { workers: 1 });
  return Object.fromEntries(r.strategies.map((s) => [s.name, s.summary])) as Record<string, StrategySummary>;
}

const asWritten = (c: ClientConfig) => c;
const without = () => undefined;

describe('client patterns: with the cause and without it', () => {
  it('client-blast-radius: hung calls starve the pages sharing the workers, unless a timeout frees them', async () => {
    const w = await runPattern('client-blast-radius', asWritten);
    expect(w['no-timeout']!.otherTraffic!.successRate!).toBeLessThan(0.8);
    expect(w['timeout-breaker']!.otherTraffic!.successRate!).toBeGreaterThan(0.95);
    expect(w['no-timeout']!.results.client_saturated).toBeGreaterThan(50);
    const wo = await runPattern('client-blast-radius', without);
    expect(wo['no-timeout']!.otherTraffic).toBeUndefined();
    expect(wo['no-timeout']!.results.client_saturated).toBe(0);
    // Without the pool, waiting patiently on hung calls costs the LLM requests nothing extra.
    expect(wo['no-timeout']!.results.success).toBeGreaterThan(w['no-timeout']!.results.success);
  }, 60_000);

  it('client-blocking-sleep: the longer retry loop saturates blocking workers, not async ones', async () => {
    const blocking = await runPattern('client-blocking-sleep', asWritten);
    expect(blocking['retry-5']!.results.client_saturated).toBeGreaterThan(10);
    expect(blocking['retry-5']!.results.client_saturated).toBeGreaterThan(
      blocking['retry-3']!.results.client_saturated,
    );
    const async_ = await runPattern('client-blocking-sleep', (c) => ({ ...c, sleep: 'async' }));
    expect(async_['retry-5']!.results.client_saturated).toBe(0);
    expect(async_['retry-3']!.results.client_saturated).toBe(0);
  }, 60_000);

  it('client-connection-pool: slow answers hold the connections; the patient client queues for them', async () => {
    const w = await runPattern('client-connection-pool', asWritten);
    expect(w.patient!.client!.connections!.busyMax).toBe(10);
    expect(w.patient!.client!.connections!.refused).toBeGreaterThan(100);
    expect(w['timeout-2s']!.client!.connections!.refused).toBeLessThan(
      w.patient!.client!.connections!.refused,
    );
    const wo = await runPattern('client-connection-pool', without);
    expect(wo.patient!.successRate!).toBeGreaterThan(w.patient!.successRate!);
  }, 60_000);

  it('client-gateway-timeout: users get the gateway timeout while the loop keeps calling, billed', async () => {
    const w = await runPattern('client-gateway-timeout', asWritten);
    const loop = w['article-loop']!;
    expect(loop.results.client_timeout).toBeGreaterThan(5);
    expect(loop.latencyMs.max).toBe(29_000);
    expect(loop.client!.attemptsAfterTimeout).toBeGreaterThan(0);
    expect(loop.tokens.abandonedBilled).toBeGreaterThan(0);
    // The deadline answers first, so the gateway never has to.
    expect(w['deadline-25s']!.results.client_timeout).toBe(0);
    const wo = await runPattern('client-gateway-timeout', without);
    expect(wo['article-loop']!.results.client_timeout).toBe(0);
    expect(wo['article-loop']!.latencyMs.max!).toBeGreaterThan(29_000);
  }, 60_000);
});
