import { describe, expect, it } from 'vitest';
import { STARTER_SCENARIO } from '../../src/cli/commands/init.ts';
import { parseScenario, runScenario } from '../../src/scenario/plan.ts';

describe('squall init', () => {
  it('writes a starter scenario that validates, runs, and passes its own thresholds', async () => {
    const run = await runScenario(parseScenario('scenario.yaml', STARTER_SCENARIO));
    expect(run.thresholds.length).toBeGreaterThanOrEqual(8);
    expect(run.thresholds.filter((t) => !t.pass).map((t) => t.message)).toEqual([]);
  });
});
