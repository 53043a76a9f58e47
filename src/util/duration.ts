import { SquallError } from '../errors.ts';

const UNIT_MS: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(us|µs|ms|s|m|h)/y;

/**
 * Parses `500ms`, `30s`, `2h`, `1m30s`, `1.5s` (Go / k6 style) or a plain number of milliseconds.
 * Throws ERR_SQUALL_INVALID_DURATION with a hint otherwise.
 */
export function parseDurationMs(input: string | number, field = 'duration'): number {
  if (typeof input === 'number') {
    if (Number.isFinite(input) && input >= 0) return input;
    throw invalidDuration(String(input), field);
  }
  const text = input.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  let total = 0;
  PART.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    PART.lastIndex = pos;
    const m = PART.exec(text);
    if (!m) throw invalidDuration(input, field);
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = PART.lastIndex;
  }
  if (text.length === 0) throw invalidDuration(input, field);
  return total;
}

function invalidDuration(found: string, field: string): SquallError {
  return new SquallError('ERR_SQUALL_INVALID_DURATION', `${field}: "${found}" is not a duration`, {
    hint: 'write a number with a unit, e.g. 500ms, 30s, 5m, 2h or 1m30s',
  });
}

/**
 * Formats milliseconds the way Go's time.Duration.String() does, which is what OpenAI's
 * `x-ratelimit-reset-*` headers carry: `1s`, `6m0s`, `12ms`, `1.146s`, `2m52.8s`, `0s`.
 */
export function formatGoDuration(ms: number): string {
  if (!(ms > 0)) return '0s';
  if (Number.isInteger(ms)) return formatWholeMs(ms);
  // Work in whole microseconds so float noise never leaks into the header.
  let us = Math.round(ms * 1000);
  if (us < 1000) return `${us}µs`;
  if (us < 1_000_000) return `${trimZeros(us / 1000)}ms`;
  const h = Math.floor(us / 3_600_000_000);
  us -= h * 3_600_000_000;
  const m = Math.floor(us / 60_000_000);
  us -= m * 60_000_000;
  const s = trimZeros(us / 1_000_000);
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

/** The common case (rate-limit resets are whole milliseconds), without toFixed and a regex. */
function formatWholeMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = `${(ms % 60_000) / 1000}s`;
  if (h > 0) return `${h}h${m}m${s}`;
  if (m > 0) return `${m}m${s}`;
  return s;
}

function trimZeros(n: number): string {
  return n.toFixed(6).replace(/\.?0+$/, '');
}

/** Parses `2000/min`, `30/s`, `100/h` or a bare number (per second). Returns a rate per second. */
export function parseRatePerSec(input: string | number, field = 'rate'): number {
  const per: Record<string, number> = {
    s: 1,
    sec: 1,
    second: 1,
    m: 60,
    min: 60,
    minute: 60,
    h: 3600,
    hour: 3600,
  };
  let value: number;
  if (typeof input === 'number') value = input;
  else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|sec|second|m|min|minute|h|hour))?\s*$/.exec(input);
    if (!m) {
      throw new SquallError('ERR_SQUALL_INVALID_RATE', `${field}: "${input}" is not a rate`, {
        hint: 'write a count per unit, e.g. 2000/min, 30/s or 100/h',
      });
    }
    value = Number(m[1]) / (m[2] ? per[m[2]]! : 1);
  }
  if (!(Number.isFinite(value) && value > 0)) {
    throw new SquallError(
      'ERR_SQUALL_INVALID_RATE',
      `${field}: a rate must be greater than zero, got ${input}`,
      {
        hint: 'use a positive rate such as 60/min',
      },
    );
  }
  return value;
}
