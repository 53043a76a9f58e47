import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isSquallError, type SquallError } from '../../../src/errors.ts';
import { buildStrategy, checkStrategies } from '../../../src/strategies/build.ts';
import { checkStrategyConfig, parseStrategyConfig } from '../../../src/strategies/config.ts';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** The error a config raises, building it as a run would (shape first, then every factory). */
async function errorOf(raw: unknown): Promise<SquallError> {
  try {
    await buildStrategy(raw, { baseDir: fixtures });
  } catch (e) {
    expect(isSquallError(e, 'ERR_SQUALL_STRATEGY')).toBe(true);
    return e as SquallError;
  }
  throw new Error('expected the config to be rejected');
}

const retry = (backoff: unknown, extra: Record<string, unknown> = {}) => ({
  type: 'retry',
  maxAttempts: 3,
  backoff,
  ...extra,
});

describe('strategy config: bad input gives a clear error naming the strategy and the field', () => {
  it.each([
    {
      what: 'unknown policy name',
      raw: { name: 'careful', policies: [{ type: 'retyr', maxAttempts: 3 }] },
      message: 'strategy "careful" policies[0].type: unknown policy "retyr"',
      hint: /^did you mean "retry"\? known policy names: retry, timeout, breaker/,
    },
    {
      what: 'unknown preset name',
      raw: { name: 'sdk', preset: 'openai' },
      message: 'strategy "sdk" preset: unknown preset "openai"',
      hint: /^did you mean "openai-sdk"\? expected one of: openai-sdk, vercel-ai-sdk/,
    },
    {
      what: 'negative delay',
      raw: { name: 'fixed', policies: [retry({ kind: 'fixed', delayMs: -2000 })] },
      message: 'strategy "fixed" policies[0].backoff.delayMs: must be a number ≥ 0, got -2000',
      hint: /cannot be negative/,
    },
    {
      what: 'zero rate (limiter)',
      raw: { name: 'limited', policies: [{ type: 'limiter', requestsPerMin: 0, maxWaitMs: '10s' }] },
      message: 'strategy "limited" policies[0].requestsPerMin: must be a number > 0, got 0',
    },
    {
      what: 'negative rate (queue)',
      raw: {
        name: 'queued',
        policies: [
          { type: 'queue', workers: 2, maxQueue: 10, ratePerSec: -1, whenFull: 'wait', maxWaitMs: 1000 },
        ],
      },
      message: 'strategy "queued" policies[0].ratePerSec: must be a number > 0, got -1',
    },
    {
      what: 'unknown jitter kind',
      raw: {
        name: 'jittery',
        policies: [retry({ kind: 'exponential', baseMs: 100, capMs: 1000, jitter: 'fulll' })],
      },
      message: 'strategy "jittery" policies[0].backoff.jitter: unknown jitter kind "fulll"',
      hint: /^did you mean "full"\? expected one of: none, full, equal, decorrelated, additive, negative25, p-retry$/,
    },
    {
      what: 'unknown backoff kind',
      raw: { name: 'b', policies: [retry({ kind: 'exponental', baseMs: 100, capMs: 1000, jitter: 'full' })] },
      message: 'strategy "b" policies[0].backoff.kind: unknown backoff kind "exponental"',
      hint: /^did you mean "exponential"\?/,
    },
    {
      what: 'misspelt field',
      raw: {
        name: 'typo',
        policies: [{ type: 'retry', maxAttemps: 3, maxAttempts: 3, backoff: { kind: 'none' } }],
      },
      message: 'strategy "typo" policies[0].maxAttemps: unknown field "maxAttemps"',
      hint: /^did you mean "maxAttempts"\? fields of a retry policy: maxAttempts, backoff/,
    },
    {
      what: 'bad duration string',
      raw: { name: 'slow', policies: [{ type: 'timeout', attemptTimeoutMs: '30 parsecs' }] },
      message: 'strategy "slow" policies[0].attemptTimeoutMs: "30 parsecs" is not a duration',
      hint: /500ms, 30s/,
    },
    {
      what: 'unknown fallback route',
      raw: {
        name: 'fb',
        policies: [{ type: 'fallback', models: ['a'], routes: { '502': { action: 'fallback' } } }],
      },
      message: 'strategy "fb" policies[0].routes.502: unknown fallback route "502"',
      hint: /expected one of: 429, 500, 503, timeout, network, client, default/,
    },
    {
      what: 'unknown adapter',
      raw: { name: 'lib', adapter: { type: 'openai-python' } },
      message: 'strategy "lib" adapter.type: unknown adapter "openai-python"',
      hint: /did you mean "openai-sdk"\?/,
    },
    {
      what: 'missing required field',
      raw: { name: 'q', policies: [{ type: 'queue', workers: 2, maxQueue: 10, maxWaitMs: 1000 }] },
      message: 'strategy "q" policies[0].whenFull: is required for a queue policy',
    },
    {
      what: 'preset and policies together',
      raw: { name: 'both', preset: 'openai-sdk', policies: [] },
      message: 'strategy "both" policies: use one of preset, policies or adapter, not preset and policies',
    },
  ])('$what', async ({ raw, message, hint }) => {
    const e = await errorOf(raw);
    expect(e.message).toBe(message);
    if (hint) expect(e.hint).toMatch(hint);
  });

  it('lists every problem of a strategy at once', () => {
    try {
      parseStrategyConfig({
        name: 'many',
        policies: [
          { type: 'retry', maxAttempts: 'three', backoff: { kind: 'fixed', delayMs: '2 secs' } },
          { type: 'bulkhed', maxConcurrent: 3 },
        ],
      });
      expect.unreachable();
    } catch (e) {
      const lines = (e as Error).message.split('\n');
      expect(lines).toEqual([
        'strategy "many" policies[0].maxAttempts: must be a number, got "three"',
        expect.stringContaining(
          'and strategy "many" policies[0].backoff.delayMs: "2 secs" is not a duration',
        ),
        expect.stringContaining(
          'and strategy "many" policies[1].type: unknown policy "bulkhed" (did you mean "bulkhead"?',
        ),
      ]);
    }
  });

  it('names a strategy without a name by its position', () => {
    const errors = checkStrategies([
      { preset: 'openai-sdk' },
      { name: 'ok', preset: 'openai-sdk' },
      { name: 'ok', preset: 'naive-fixed' },
    ]);
    expect(errors.map((e) => e.message)).toEqual([
      'strategies[0] name: is required for a strategy',
      'strategies[2].name: "ok" is already the name of strategies[1]',
    ]);
  });

  it('checkStrategies finds the numeric problems too, before anything runs, for every strategy', () => {
    const errors = checkStrategies([
      { name: 'a', policies: [{ type: 'breaker', threshold: 0, openMs: '30s' }] },
      { name: 'b', policies: [{ type: 'limiter', tokensPerMin: -1, maxWaitMs: 0 }] },
      { name: 'c', preset: 'seed-article' },
    ]);
    expect(errors.map((e) => e.message)).toEqual([
      'strategy "a" policies[0].threshold: must be an integer ≥ 1, got 0',
      'strategy "b" policies[0].tokensPerMin: must be a number > 0, got -1',
    ]);
  });

  it('accepts durations as strings and normalises them to milliseconds', () => {
    const { config, issues } = checkStrategyConfig({
      name: 'd',
      policies: [
        { type: 'breaker', threshold: 5, openMs: '30s' },
        {
          type: 'retry',
          maxAttempts: 3,
          backoff: { kind: 'exponential', baseMs: '500ms', capMs: '1m30s', jitter: 'full' },
        },
        { type: 'timeout', attemptTimeoutMs: 30_000 },
      ],
    });
    expect(issues).toEqual([]);
    expect(config?.policies).toEqual([
      { type: 'breaker', threshold: 5, openMs: 30_000 },
      {
        type: 'retry',
        maxAttempts: 3,
        backoff: { kind: 'exponential', baseMs: 500, capMs: 90_000, jitter: 'full' },
      },
      { type: 'timeout', attemptTimeoutMs: 30_000 },
    ]);
  });
});

describe('user module that does not export a strategy', () => {
  it('names the strategy, the field and what the module does export', async () => {
    const e = await errorOf({ name: 'mine', adapter: { type: 'module', path: 'no-strategy.mjs' } });
    expect(e.message).toBe(
      'strategy "mine" adapter.path: "no-strategy.mjs" does not export a strategy (a default export or an export "strategy" that is a function (req, ctx) => outcome); found exports: answer, config',
    );
    expect(e.hint).toMatch(/export default async function/);
  });

  it('says so when the file cannot be loaded', async () => {
    const e = await errorOf({ name: 'gone', adapter: { type: 'module', path: 'missing.mjs' } });
    expect(e.message).toMatch(/^strategy "gone" adapter\.path: cannot load "missing\.mjs"/);
  });

  it('names the export that was asked for and is missing', async () => {
    const e = await errorOf({
      name: 'named',
      adapter: { type: 'module', path: 'no-strategy.mjs', export: 'retryLoop' },
    });
    expect(e.message).toMatch(
      /^strategy "named" adapter\.path: "no-strategy\.mjs" does not export a strategy \(an export "retryLoop"/,
    );
  });

  it('rejects a cockatiel module that exports no policy', async () => {
    const e = await errorOf({ name: 'ck', adapter: { type: 'cockatiel', path: 'no-strategy.mjs' } });
    expect(e.message).toBe(
      'strategy "ck" adapter.path: "no-strategy.mjs" does not export a cockatiel policy (or a function returning one) as its default export',
    );
  });
});
