import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScenarioValidationError } from '../../src/scenario/load.ts';
import { loadScenario, parseScenario, runScenario, toPlan } from '../../src/scenario/plan.ts';
import { expand, requestValues } from '../../src/target/template.ts';

const BASE = `
duration: 2s
traffic: { arrivals: { kind: constant, rate: 10/s } }
`;
const TARGET = `
target:
  command: [python3, app.py]
  env: { OPENAI_BASE_URL: "{{upstream_url}}" }
  ready: { url: "http://127.0.0.1:8765/healthz", timeout: 5s }
  request: { path: /chat, body: { prompt: "{{prompt}}", max_tokens: "{{max_tokens}}" } }
`;
const VARIANTS = `
variants:
  - { name: fixed, env: { RETRY_MODE: fixed } }
  - { name: jitter, env: { RETRY_MODE: jitter } }
`;

function problems(text: string) {
  try {
    parseScenario('t.yaml', text);
  } catch (e) {
    if (e instanceof ScenarioValidationError) return e.problems;
    throw e;
  }
  return [];
}

describe('target: and variants: in a scenario', () => {
  it('accepts a target with variants and no strategies, and plans it in live mode', () => {
    const loaded = parseScenario('t.yaml', BASE + TARGET + VARIANTS);
    const plan = toPlan(loaded, '1', 'r');
    expect(plan.strategies).toEqual([]);
    expect(plan.target?.variants.map((v) => v.name)).toEqual(['fixed', 'jitter']);
    expect(plan.target?.plan).toMatchObject({
      command: ['python3', 'app.py'],
      readyUrl: 'http://127.0.0.1:8765/healthz',
      readyTimeoutMs: 5000,
      request: { method: 'POST', path: '/chat' },
    });
  });

  it.each([
    ['variants without a target', BASE + VARIANTS, 'variants', /has no target/],
    ['a target without variants', BASE + TARGET, 'target', /at least one variant/],
    ['neither strategies nor a target', BASE, 'strategies', /at least one strategy/],
    ['mode: sim beside a target', `${BASE}mode: sim\n${TARGET}${VARIANTS}`, 'mode', /live mode only/],
    [
      'an unknown request placeholder',
      BASE + TARGET.replace('{{prompt}}', '{{promt}}') + VARIANTS,
      'target.request.body',
      /unknown placeholder \{\{promt\}\}/,
    ],
    [
      'a ready URL off loopback',
      BASE + TARGET.replace('127.0.0.1', 'example.com') + VARIANTS,
      'target.ready.url',
      /listens on loopback/,
    ],
    [
      'a ready URL with a request placeholder',
      BASE + TARGET.replace('8765/healthz', '8765/{{model}}') + VARIANTS,
      'target.ready.url',
      /only \{\{port\}\} may stand in a ready URL/,
    ],
    [
      'a variant named like a strategy',
      `${BASE}strategies: [{ name: fixed }]\n${TARGET}${VARIANTS}`,
      'variants.0.name',
      /already the name of strategies\[0\]/,
    ],
  ])('rejects %s, at the right key', (_, text, path, message) => {
    const found = problems(text);
    expect(found.map((p) => p.path)).toContain(path);
    expect(found.find((p) => p.path === path)!.message).toMatch(message);
    expect(found.find((p) => p.path === path)!.line).toBeGreaterThan(1);
  });

  it('keeps {{port}} in the ready URL as written, to be filled per variant', () => {
    const loaded = parseScenario('t.yaml', BASE + TARGET.replace(':8765/', ':{{port}}/') + VARIANTS);
    expect(toPlan(loaded, '1', 'r').target?.plan.readyUrl).toBe('http://127.0.0.1:{{port}}/healthz');
  });

  it('--mode sim with a target is a validation error pointing at the target line, before anything runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'squall-target-schema-'));
    const file = join(dir, 'svc.yaml');
    writeFileSync(file, BASE + TARGET + VARIANTS);
    const err = await runScenario(loadScenario(file), { mode: 'sim' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScenarioValidationError);
    const [p] = (err as ScenarioValidationError).problems;
    expect(p).toMatchObject({ file, line: 5, path: 'target' });
    expect(p!.message).toMatch(/live mode only/);
  });
});

describe('request templates', () => {
  const req = {
    id: 'r7',
    arrivalMs: 0,
    endpoint: 'chat.completions' as const,
    model: 'gpt-4o-mini',
    promptTokens: 20,
    maxTokens: 64,
    stream: false,
    apiKey: 'sk-x',
    user: 'u1',
  };
  it('keeps each field its own type when a string is one placeholder, and fills text inside strings', () => {
    const out = expand(
      {
        m: '{{model}}',
        n: '{{max_tokens}}',
        s: '{{stream}}',
        f: '{{feature}}',
        t: 'id={{request_id}} u={{user}}',
      },
      requestValues(req),
    ) as Record<string, unknown>;
    expect(out).toEqual({ m: 'gpt-4o-mini', n: 64, s: false, f: null, t: 'id=r7 u=u1' });
  });
});
