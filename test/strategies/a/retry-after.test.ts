import { describe, expect, it } from 'vitest';
import { parseRetryAfterMs, serverDelayMs } from '../../../src/strategies/retry-after.ts';

const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);
const inSeconds = (s: number) => new Date(NOW + s * 1000).toUTCString();

describe('parseRetryAfterMs', () => {
  it.each<[string, Record<string, string>, number | undefined]>([
    ['retry-after-ms in milliseconds', { 'retry-after-ms': '1500' }, 1500],
    ['fractional retry-after-ms', { 'retry-after-ms': '84.5' }, 84.5],
    ['retry-after in seconds', { 'retry-after': '2' }, 2000],
    ['fractional retry-after seconds', { 'retry-after': '1.146' }, 1146],
    ['retry-after-ms wins over retry-after', { 'retry-after-ms': '250', 'retry-after': '30' }, 250],
    [
      'garbage retry-after-ms falls through to retry-after',
      { 'retry-after-ms': 'soon', 'retry-after': '3' },
      3000,
    ],
    ['retry-after as an HTTP date, against the clock', { 'retry-after': inSeconds(7) }, 7000],
    ['an HTTP date in the past says nothing', { 'retry-after': inSeconds(-5) }, undefined],
    ['an unparsable value says nothing', { 'retry-after': 'tomorrow-ish' }, undefined],
    ['headers of any casing', { 'Retry-After-Ms': '40' }, 40],
    ['no header', {}, undefined],
    ['zero means retry now', { 'retry-after': '0' }, 0],
  ])('%s', (_name, headers, expected) => {
    expect(parseRetryAfterMs(headers, NOW)).toBe(expected);
  });
});

describe('serverDelayMs', () => {
  it.each<[string, Record<string, string>, Parameters<typeof serverDelayMs>[2], number | undefined]>([
    [
      'not honoured: the backoff decides',
      { 'retry-after': '2' },
      { honour: false, maxMs: 60_000 },
      undefined,
    ],
    ['no options: the backoff decides', { 'retry-after': '2' }, undefined, undefined],
    ['honoured under the maximum', { 'retry-after': '2' }, { honour: true, maxMs: 60_000 }, 2000],
    ['honoured at exactly the maximum', { 'retry-after': '60' }, { honour: true, maxMs: 60_000 }, 60_000],
    [
      'over the maximum: back to the backoff (openai-node v7.5)',
      { 'retry-after': '3600' },
      { honour: true, maxMs: 60_000 },
      undefined,
    ],
    [
      'over the maximum with clamp: wait the maximum',
      { 'retry-after': '3600' },
      { honour: true, maxMs: 60_000, overMax: 'clamp' },
      60_000,
    ],
    [
      'an HTTP date 90 s away is over a 60 s maximum',
      { 'retry-after': inSeconds(90) },
      { honour: true, maxMs: 60_000 },
      undefined,
    ],
  ])('%s', (_name, headers, options, expected) => {
    expect(serverDelayMs(headers, NOW, options)).toBe(expected);
  });
});
