import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PRESETS } from '../../../src/strategies/presets.ts';
import { parseRetryAfterMs, serverDelayMs } from '../../../src/strategies/retry-after.ts';

/**
 * squall reads `retry-after-ms` / `retry-after` as the openai SDK does (node_modules/openai/src/client.ts,
 * `retryRequest`: parseFloat of retry-after-ms, else parseFloat of retry-after in seconds, else
 * `Date.parse(value) - Date.now()`; the SDK's own backoff unless the result is finite and 0 ≤ t ≤ 60 s).
 *
 * Each row is checked twice: against the value written here from reading that source, and against the
 * SDK itself, run on a fetch that answers one 429 with the row's headers. The SDK's sleep is a
 * setTimeout; it is recorded and fired at once, and its own backoff is made to return a marker so
 * "the SDK used its backoff" can be told apart from a server wait.
 */

const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);
const at = (s: number) => new Date(NOW + s * 1000).toUTCString();
const BACKOFF = 4321;
const SDK_TIMEOUT_MS = 543_210;
const sdkOptions = PRESETS['openai-sdk'].policies[0]!;
const OPENAI_SDK_RETRY_AFTER = 'retryAfter' in sdkOptions ? sdkOptions.retryAfter : undefined;

const ROWS: Array<[string, Record<string, string>, number | undefined]> = [
  ['retry-after-ms in milliseconds', { 'retry-after-ms': '1500' }, 1500],
  ['fractional retry-after-ms', { 'retry-after-ms': '84.5' }, 84.5],
  [
    'retry-after-ms with a unit after the number (parseFloat stops there)',
    { 'retry-after-ms': '250ms' },
    250,
  ],
  ['retry-after-ms in exponent form', { 'retry-after-ms': '1e3' }, 1000],
  ['retry-after-ms wins over retry-after', { 'retry-after-ms': '250', 'retry-after': '30' }, 250],
  ['garbage retry-after-ms lets retry-after speak', { 'retry-after-ms': 'soon', 'retry-after': '3' }, 3000],
  ['an empty retry-after-ms lets retry-after speak', { 'retry-after-ms': '', 'retry-after': '3' }, 3000],
  [
    'a negative retry-after-ms settles it: backoff, retry-after unread',
    { 'retry-after-ms': '-5', 'retry-after': '3' },
    undefined,
  ],
  ['an infinite retry-after-ms: backoff', { 'retry-after-ms': 'Infinity', 'retry-after': '3' }, undefined],
  ['retry-after in seconds', { 'retry-after': '2' }, 2000],
  ['fractional retry-after seconds', { 'retry-after': '1.146' }, 1146],
  ['retry-after with trailing text', { 'retry-after': '2 seconds' }, 2000],
  ['zero means retry now (v7.5: 0 ≤ t)', { 'retry-after': '0' }, 0],
  ['exactly 60 s is honoured (t ≤ 60 s)', { 'retry-after': '60' }, 60_000],
  ['over 60 s: backoff', { 'retry-after': '60.001' }, undefined],
  ['negative seconds: backoff', { 'retry-after': '-1' }, undefined],
  ['an HTTP date 7 s ahead, against the clock', { 'retry-after': at(7) }, 7000],
  ['an HTTP date in the past: backoff', { 'retry-after': at(-5) }, undefined],
  ['an HTTP date 90 s ahead: over the window, backoff', { 'retry-after': at(90) }, undefined],
  [
    'an ISO date reads as its year in seconds (parseFloat): over the window',
    { 'retry-after': '2026-03-01T12:00:07Z' },
    undefined,
  ],
  ['an unparsable value: backoff', { 'retry-after': 'tomorrow-ish' }, undefined],
  ['headers of any casing', { 'Retry-After-Ms': '40' }, 40],
  ['no header: backoff', {}, undefined],
];

/** What the real SDK waits before its one retry after a 429 carrying `headers`: ms, or BACKOFF. */
async function sdkWait(headers: Record<string, string>): Promise<number[]> {
  let calls = 0;
  const fetch = async () =>
    ++calls === 1
      ? new Response(
          '{"error":{"message":"slow down","type":"requests","param":null,"code":"rate_limit_exceeded"}}',
          {
            status: 429,
            headers: { 'content-type': 'application/json', ...headers },
          },
        )
      : new Response(JSON.stringify({ object: 'list', data: [] }), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        });
  const client = new OpenAI({
    apiKey: 'sk-test',
    baseURL: 'http://squall.test/v1',
    fetch: fetch as unknown as typeof globalThis.fetch,
    maxRetries: 1,
    timeout: SDK_TIMEOUT_MS,
  });
  // The SDK's own backoff (a private method in its source) answers a marker instead of a random wait.
  vi.spyOn(
    client as unknown as { calculateDefaultRetryTimeoutMillis: () => number },
    'calculateDefaultRetryTimeoutMillis',
  ).mockReturnValue(BACKOFF);
  vi.spyOn(Date, 'now').mockReturnValue(NOW);
  const waits: number[] = [];
  const real = globalThis.setTimeout;
  const recording = ((fn: () => void, ms?: number, ...rest: unknown[]) => {
    // The request's own timeout timers pass through untouched; a retry's sleep is recorded and skipped.
    if (ms !== undefined && ms >= 100_000) return real(fn, ms, ...rest);
    waits.push(ms ?? 0);
    return real(fn, 0, ...rest);
  }) as typeof setTimeout;
  globalThis.setTimeout = recording;
  try {
    await client.models.list();
  } finally {
    globalThis.setTimeout = real;
  }
  expect(calls).toBe(2);
  return waits;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Retry-After as the openai SDK reads it', () => {
  it('the openai-sdk preset honours 0..60 s, as the SDK does', () => {
    expect(OPENAI_SDK_RETRY_AFTER).toEqual({ honour: true, maxMs: 60_000 });
  });

  it.each(ROWS)('%s', async (_name, headers, expected) => {
    expect(serverDelayMs(headers, NOW, OPENAI_SDK_RETRY_AFTER)).toBe(expected);
    // The SDK agrees: it waits exactly that, or uses its backoff where squall says undefined.
    expect(await sdkWait(headers)).toContain(expected ?? BACKOFF);
  });

  it('parseRetryAfterMs gives the wait before the window: a 90 s date is 90 s', () => {
    expect(parseRetryAfterMs({ 'retry-after': at(90) }, NOW)).toBe(90_000);
    expect(parseRetryAfterMs({ 'retry-after': '2026-03-01T12:00:07Z' }, NOW)).toBe(2_026_000);
    expect(parseRetryAfterMs({ 'retry-after-ms': '-5', 'retry-after': '3' }, NOW)).toBeUndefined();
  });
});
