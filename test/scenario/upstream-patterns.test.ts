import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseScenario, runScenario } from '../../src/scenario/plan.ts';

/**
 * One short scenario per upstream cause (scenarios/patterns/), run with the cause and without it: its
 * compare threshold holds with the cause and fails without it, so the file shows the cause's effect and
 * nothing else does. "Without" is the same file with the cause's lines removed (or its state turned into
 * the per-attempt coin it replaces), nothing else changed. The runs with the cause are also checked by
 * library.test.ts, with every threshold.
 */
const PATTERNS = fileURLToPath(new URL('../../scenarios/patterns/', import.meta.url));

const CASES: Array<{ file: string; cause: string; without: [string, string] }> = [
  { file: 'quantized-rate-limits.yaml', cause: 'rate_limits.quantum', without: [', quantum: 1s', ''] },
  {
    file: 'network-round-trip.yaml',
    cause: 'network.rtt',
    without: ['network: { rtt: { median: 5ms, p99: 20ms, max: 100ms } }', 'network: { rtt: 0ms }'],
  },
  {
    file: 'slow-failures.yaml',
    cause: 'fault_latency',
    without: ['  fault_latency:\n    "503": { median: 5s, p99: 20s }\n    "502": 30s\n', ''],
  },
  { file: 'server-retry-after.yaml', cause: 'retry_after', without: [', retry_after: 20s', ''] },
  {
    file: 'expired-key-state.yaml',
    cause: 'expired_keys',
    without: ['expired_keys: [sk-squall-test]', "faults: { '401': 0.5 }"],
  },
];

async function failedThresholds(file: string, text: string): Promise<string[]> {
  const run = await runScenario(parseScenario(file, text));
  expect(run.partial).toBe(false);
  return run.thresholds.filter((t) => !t.pass).map((t) => t.expression);
}

describe('the upstream pattern scenarios show their cause', () => {
  it.concurrent.each(CASES)(
    '$file: its thresholds hold with $cause and not without it',
    async ({ file, without: [from, to] }) => {
      const text = readFileSync(PATTERNS + file, 'utf8');
      expect(text).toContain(from);
      expect(await failedThresholds(file, text)).toEqual([]);
      const failedWithout = await failedThresholds(file, text.replace(from, to));
      expect(failedWithout.length).toBeGreaterThan(0);
    },
    60_000,
  );
});
