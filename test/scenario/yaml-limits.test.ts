import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MAX_ALIASES,
  MAX_NESTING_DEPTH,
  MAX_SCENARIO_BYTES,
  ScenarioValidationError,
  type ValidationProblem,
} from '../../src/scenario/load.ts';
import { loadScenario, parseScenario, pathSafeName } from '../../src/scenario/plan.ts';

/**
 * Hostile or runaway YAML is a user mistake like any other: a positioned problem (exit 64), never a
 * crash (exit 70), and found in milliseconds whatever the size of the expansion it asks for.
 */
const VALID = `name: demo
seed: 4
duration: 1m
traffic:
  arrivals: { kind: constant, rate: 120/min }
strategies:
  - name: a
    policies:
      - type: retry
        max_attempts: 3
        backoff: &backoff { kind: exponential, base_ms: 1s, cap_ms: 30s, jitter: full }
  - name: b
    policies:
      - type: retry
        max_attempts: 5
        backoff: *backoff
`;

function problems(text: string, file = 'demo.yaml'): ValidationProblem[] {
  try {
    parseScenario(file, text);
  } catch (e) {
    if (e instanceof ScenarioValidationError) return e.problems;
    throw e;
  }
  throw new Error('expected the scenario to be invalid');
}

/** "Billion laughs": each level repeats the one before ten times, 10^levels values in all. */
function aliasBomb(levels: number): string {
  const lines = ['name: bomb', 'l0: &l0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < levels; i++)
    lines.push(`l${i}: &l${i} [${Array.from({ length: 10 }, () => `*l${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
}

describe('YAML anchors and aliases', () => {
  it('an alias to an anchor set before it works (strategies may share a backoff)', () => {
    const loaded = parseScenario('demo.yaml', VALID);
    const [a, b] = loaded.scenario.strategies;
    const backoff = { kind: 'exponential', baseMs: 1000, capMs: 30_000, jitter: 'full' };
    expect(a!.policies![0]).toMatchObject({ maxAttempts: 3, backoff });
    expect(b!.policies![0]).toMatchObject({ maxAttempts: 5, backoff });
  });

  it('an alias with no anchor is a problem at the alias, not a crash', () => {
    const p = problems('name: x\nseed: *a\nduration: 10s\n');
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ file: 'demo.yaml', line: 2, col: 7, path: 'seed' });
    expect(p[0]!.message).toMatch(/alias \*a refers to no anchor &a before it/);
    expect(p[0]!.hint).toMatch(/set the anchor/);
  });

  it('an alias used before its anchor is a problem at the alias', () => {
    const p = problems('seed: *s\nduration: &s 10s\n');
    expect(p[0]).toMatchObject({ line: 1, col: 7 });
  });

  it('an alias inside the node it names is a problem, not an endless expansion', () => {
    const p = problems('name: x\nloop: &l [1, *l]\n');
    expect(p[0]).toMatchObject({ line: 2, col: 14, path: 'loop.1' });
    expect(p[0]!.message).toMatch(/refers to the node that contains it/);
  });

  it('an alias bomb is refused at the alias that crosses the limit, in milliseconds', () => {
    const started = performance.now();
    const p = problems(aliasBomb(9));
    // Bounded by what the code controls (no expansion happens); the wall-clock figure is for the log.
    console.log(`alias bomb refused in ${(performance.now() - started).toFixed(1)} ms`);
    expect(p).toHaveLength(1);
    expect(p[0]!.message).toMatch(/expands past 100,000 values \(an alias bomb\?\)/);
    // l0..l3 expand to 11,111 values; l4 (line 6) takes the document past 100,000.
    expect(p[0]!.line).toBe(6);
  });

  it(`more than ${MAX_ALIASES} aliases are refused`, () => {
    const text = `name: x\nv: &v 1\nlist: [${Array.from({ length: MAX_ALIASES + 1 }, () => '*v').join(', ')}]\n`;
    const p = problems(text);
    expect(p[0]!.message).toBe(`more than ${MAX_ALIASES} aliases`);
    expect(p[0]!.line).toBe(3);
  });
});

describe('nesting and size', () => {
  it('100,000 nested brackets are refused at the first bracket past the limit', () => {
    const n = 100_000;
    const p = problems(`name: x\nseed: ${'['.repeat(n)}${']'.repeat(n)}\n`);
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ line: 2, col: 7 + MAX_NESTING_DEPTH });
    expect(p[0]!.message).toBe(`nested more than ${MAX_NESTING_DEPTH} levels deep`);
  });

  it('deep JSON is refused the same way', () => {
    const n = 20_000;
    const p = problems(`{"name": ${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`, 'deep.json');
    expect(p[0]).toMatchObject({ file: 'deep.json', line: 1 });
    expect(p[0]!.message).toMatch(/nested more than/);
  });

  it('deep block nesting (indentation) is refused', () => {
    const lines = Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}k:`);
    const p = problems(`${lines.join('\n')} 1\n`);
    expect(p[0]!.message).toMatch(/nested (more than|too deeply)/);
  });

  it(`a file over ${MAX_SCENARIO_BYTES} bytes is refused before it is parsed`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'squall-limits-'));
    const file = join(dir, 'huge.yaml');
    writeFileSync(file, `name: x\ndescription: "${'a'.repeat(MAX_SCENARIO_BYTES)}"\n`);
    try {
      loadScenario(file);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ScenarioValidationError);
      expect((e as ScenarioValidationError).problems[0]!.message).toMatch(
        /the file is 1,048,600 bytes; a scenario file may be at most 1,048,576/,
      );
    }
  });
});

describe('scenario names used in paths', () => {
  it.each([
    ['..', 'scenario'],
    ['.hidden', 'hidden'],
    ['a b/c\\d', 'a-b-c-d'],
    ['ok.name_1-2', 'ok.name_1-2'],
    ['', 'scenario'],
    ['ünïcode', 'n-code'],
  ])('%j → %j', (name, safe) => {
    expect(pathSafeName(name)).toBe(safe);
  });

  it('a file named ...yaml gets a name that stays inside --out', () => {
    const loaded = parseScenario(
      '/some/dir/...yaml',
      'duration: 10s\ntraffic: { arrivals: { kind: constant, rate: 1/s } }\nstrategies: [{ name: a }]\n',
    );
    expect(loaded.name).toBe('scenario');
  });
});
