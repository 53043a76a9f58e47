import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { validateCommand } from '../../src/cli/commands/validate.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { PRESET_NAMES } from '../../src/strategies/presets.ts';
import { MAX_EXPECTED_REQUESTS } from '../../src/traffic/source.ts';

/**
 * `squall validate` on anything a user (or a fuzzer) can write: valid scenarios, scenarios with one
 * field replaced, cut short, or nested absurdly deep, with anchors and aliases. It answers 0 or 64,
 * never throws (the CLI's exit 70), and each file takes milliseconds: the loader's limits bound the
 * work, whatever the input asks for.
 */

const SECONDS: Record<string, number> = { '10s': 10, '1m': 60, '30m': 1800, '24h': 86_400 };
const PER_SECOND: Record<string, number> = {
  '1/s': 1,
  '60/min': 1,
  '100/s': 100,
  '100000/s': 100_000,
  '0.5/s': 0.5,
};
const duration = fc.constantFrom(...Object.keys(SECONDS));
const rate = fc.constantFrom(...Object.keys(PER_SECOND));
const strategy = fc.oneof(
  fc.constantFrom(...PRESET_NAMES).map((preset) => ({ preset })),
  fc.record({
    policies: fc.constant([
      {
        type: 'retry',
        max_attempts: 3,
        backoff: { kind: 'exponential', base_ms: '200ms', cap_ms: '5s', jitter: 'full' },
      },
    ]),
  }),
);
const scenario = fc.record({
  name: fc.constantFrom('prop', 'a.b-c_d'),
  seed: fc.nat(1000),
  duration,
  traffic: fc.record({ arrivals: fc.record({ kind: fc.constant('constant'), rate }) }),
  upstream: fc.record({
    phases: fc.constant([{ start: '1s', end: '5s', faults: { '503': 0.5 } }]),
  }),
  strategies: fc
    .array(strategy, { minLength: 1, maxLength: 3 })
    .map((list) => list.map((s, i) => ({ name: `s${i}`, ...s }))),
  thresholds: fc.constant({ all: ['success_rate >= 0.5'] }),
});

const anyValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 20 }),
  fc.constantFrom('-1s', '1e9h', '5/ms', 'NaN', '*a', '&a x', '[', '{', 'p(99) <'),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
);

/** `key:` holding a value nested `depth` deep in block style: `- - - 1`, or mappings indented a step each. */
function nestedBlock(key: string, depth: number, asMap: boolean): string {
  if (!asMap) return `${key}:\n  ${'- '.repeat(depth)}1\n`;
  return `${key}:\n${Array.from({ length: depth }, (_, i) => `${' '.repeat(i + 1)}k:`).join('\n')} 1\n`;
}

function paths(v: unknown, prefix: string[] = []): string[][] {
  if (v && typeof v === 'object')
    return [
      prefix,
      ...Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => paths(x, [...prefix, k])),
    ];
  return [prefix];
}

function setAt(root: unknown, path: string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string, unknown>;
  let node = copy;
  for (const seg of path.slice(0, -1)) node = node[seg] as Record<string, unknown>;
  node[path[path.length - 1]!] = value;
  return copy;
}

const valid = scenario.map((s) => stringify(s));
const mutated = fc.tuple(scenario, fc.nat(), anyValue).map(([s, i, v]) => {
  const all = paths(s).filter((p) => p.length > 0);
  return stringify(setAt(s, all[i % all.length]!, v));
});
const truncated = fc
  .tuple(valid, fc.double({ min: 0, max: 1, noNaN: true }))
  .map(([text, f]) => text.slice(0, Math.floor(text.length * f)));
const deep = fc
  .tuple(
    scenario,
    fc.integer({ min: 1, max: 5000 }),
    fc.boolean(),
    fc.constantFrom('seed', 'upstream', 'traffic'),
  )
  .map(([s, depth, asMap, key]) => {
    const { [key as 'seed']: _, ...rest } = s;
    return stringify(rest) + nestedBlock(key, depth, asMap);
  });
const deepFlow = fc
  .tuple(fc.integer({ min: 1, max: 200_000 }), fc.boolean())
  .map(([n, closed]) => `name: x\nseed: ${'['.repeat(n)}${closed ? ']'.repeat(n) : ''}\n`);
const aliases = fc
  .tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.boolean())
  .map(([levels, width, undefinedAnchor]) => {
    const lines = ['name: aliases', 'l0: &l0 x'];
    for (let i = 1; i < levels; i++)
      lines.push(`l${i}: &l${i} [${Array.from({ length: width }, () => `*l${i - 1}`).join(', ')}]`);
    if (undefinedAnchor) lines.push('seed: *nowhere');
    return `${lines.join('\n')}\n`;
  });

describe('squall validate never crashes (property)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'squall-validate-prop-'));
    // validate prints a line per file; the codes are what is checked here.
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** Runs validate on `text`; the exit code, and how long it took (for the slowest-case check). */
  async function validate(text: string): Promise<{ code: number; ms: number }> {
    const file = join(dir, 'case.yaml');
    writeFileSync(file, text);
    const started = performance.now();
    const code = await validateCommand([file]);
    return { code, ms: performance.now() - started };
  }

  it('valid scenarios validate (exit 0), unless the run would refuse their size (exit 64)', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const { code } = await validate(stringify(s));
        // e.g. 24 h at 100,000/s is past the request cap, which `run` would refuse.
        const requests = SECONDS[s.duration]! * PER_SECOND[s.traffic.arrivals.rate]!;
        expect(code).toBe(requests > MAX_EXPECTED_REQUESTS ? EXIT.invalidInput : EXIT.ok);
      }),
      { numRuns: 40, seed: 141 },
    );
  }, 120_000);

  it('mutated, truncated, deeply nested and aliased files exit 0 or 64, each in under 5 s', async () => {
    let slowestMs = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated, truncated, deep, deepFlow, aliases), async (text) => {
        const { code, ms } = await validate(text);
        expect([EXIT.ok, EXIT.invalidInput]).toContain(code);
        slowestMs = Math.max(slowestMs, ms);
      }),
      { numRuns: 100, seed: 142 },
    );
    // Milliseconds for most, under a second for the worst (a 1 MiB file of nesting, where the parser
    // gives up on its stack); 5 s leaves room for a machine loaded many times over.
    expect(slowestMs).toBeLessThan(5000);
  }, 120_000);
});
