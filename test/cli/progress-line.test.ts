import { describe, expect, it } from 'vitest';
import { ProgressLine } from '../../src/cli/commands/run.ts';
import type { Progress } from '../../src/runner/run-strategy.ts';

const progress: Progress = {
  strategy: 'expo',
  simulatedMs: 30_000,
  durationMs: 60_000,
  offered: 10,
  completed: 8,
  succeeded: 6,
};

function terminal() {
  const written: string[] = [];
  return { out: { isTTY: true, write: (t: string) => written.push(t) }, written };
}

describe('ProgressLine', () => {
  it.each([
    ['sim', 'simulated'],
    ['live', 'elapsed'],
  ] as const)('in %s mode says "%s"', (mode, word) => {
    const { out, written } = terminal();
    new ProgressLine('story', mode, out).update(progress, 0, 1);
    expect(written.join('')).toContain(`30s/1m0s ${word},`);
    if (mode === 'live') expect(written.join('')).not.toContain('simulated');
  });

  it('draws nothing after done: a late update cannot leave a stale bar under the report line', () => {
    const { out, written } = terminal();
    const line = new ProgressLine('story', 'live', out);
    line.update(progress, 0, 1);
    line.done();
    const after = written.length;
    line.update({ ...progress, simulatedMs: 60_000 }, 0, 1);
    expect(written.length).toBe(after);
    expect(written.at(-1)).toBe('\r\u001b[K');
  });
});
