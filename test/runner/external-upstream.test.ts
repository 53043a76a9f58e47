import { describe, expect, it } from 'vitest';
import { startHttpFront } from '../../mock-upstream/fronts/http.ts';
import { Upstream } from '../../mock-upstream/upstream.ts';
import { isSquallError } from '../../src/errors.ts';
import { renderMarkdown } from '../../src/report/markdown.ts';
import { parseScenario, runScenario } from '../../src/scenario/plan.ts';
import { upstreamConfigFrom } from '../../src/scenario/upstream-schema.ts';

/**
 * `squall run --mode live --upstream URL`: strategies call an upstream that is already running (here a
 * mock on a real loopback socket, as `squall serve` would be) instead of a mock of their own. The
 * scenario's own upstream section, faults included, is then not in play.
 */
const SCENARIO = `
seed: 3
duration: 2s
drain: 5s
mode: live
traffic: { arrivals: { kind: constant, rate: 10/s } }
upstream:
  latency: { fixed: 10ms }
  phases: [{ name: all-fail, start: 0s, end: 2s, faults: { "500": 1 } }]
strategies:
  - { name: single }
`;

describe('live mode against an upstream that is already running', { timeout: 60_000 }, () => {
  it('sends every attempt there, ignores the scenario’s own upstream, and says which upstream it used', async () => {
    const external = new Upstream(upstreamConfigFrom('9', { latency: { fixed: '10ms' } }));
    const front = await startHttpFront(external, { port: 0 });
    try {
      const { result } = await runScenario(parseScenario('ext.yaml', SCENARIO), {
        upstreamURL: front.baseURL,
      });
      expect(result.upstream).toEqual({ url: front.baseURL, external: true });
      expect(result.faultWindows).toEqual([]);
      const s = result.strategies[0]!.summary;
      expect(s.requests.offered).toBe(20);
      // The scenario's all-fail phase would fail every request; the external upstream has no faults.
      expect(s.attempts.byKind).toEqual({ '200': 20 });
      expect(external.journal.total).toBe(20);
      expect(renderMarkdown(result)).toContain(`Upstream: ${front.baseURL}, already running`);
    } finally {
      await front.close();
    }
  });

  it('is refused in simulated time', async () => {
    const err = await runScenario(parseScenario('ext.yaml', SCENARIO.replace('mode: live', 'mode: sim')), {
      upstreamURL: 'http://127.0.0.1:9/v1',
    }).catch((e: unknown) => e);
    expect(isSquallError(err, 'ERR_SQUALL_INVALID_CONFIG')).toBe(true);
    expect((err as Error).message).toMatch(/needs --mode live/);
  });
});
