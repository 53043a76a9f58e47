import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadScenario, runScenario } from '../../src/scenario/plan.ts';

/**
 * The shipped example, for real: examples/python-service/app.py (standard library only) started by squall
 * once per retry style, each against its own mock upstream, through the scenario's 429 storm. About a
 * minute and a half of wall time: 30 s of traffic and up to 15 s of drain per variant.
 */
const SCENARIO = 'examples/python-service/retry-429-storm.yaml';

function hasPython(): boolean {
  try {
    execFileSync('python3', ['-c', 'import http.server, urllib.request'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!hasPython())('examples/python-service (needs python3; .ci/run installs it)', () => {
  it('runs both retry styles through the 429 storm, every request accounted for', {
    timeout: 240_000,
  }, async () => {
    const logDir = mkdtempSync(`${tmpdir()}/squall-python-example-`);
    const { result } = await runScenario(loadScenario(SCENARIO), { logDir });
    expect(result.mode).toBe('live');
    expect(result.strategies.map((s) => s.name)).toEqual(['fixed-2s', 'expo-jitter']);
    for (const v of result.strategies) {
      const s = v.summary;
      // 2,000 a minute for 30 s (Poisson): about a thousand requests, each one accounted for.
      expect(s.requests.offered).toBeGreaterThan(800);
      expect(s.requests.completed + s.requests.inFlightAtEnd).toBe(s.requests.offered);
      // The service forwards x-squall-request-id, so every upstream attempt is joined to its request.
      expect(v.target?.attemptsJoinedBy).toBe('x-squall-request-id');
      // The storm reached the service, and it retried: more attempts than requests.
      expect(s.attempts.byKind['429']).toBeGreaterThan(0);
      expect(s.attempts.total).toBeGreaterThan(s.requests.offered);
      expect(readFileSync(v.target!.logFile, 'utf8')).toMatch(
        new RegExp(`RETRY_MODE=${v.name === 'fixed-2s' ? 'fixed' : 'jitter'}`),
      );
    }
  });
});
