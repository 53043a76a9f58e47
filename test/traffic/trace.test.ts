import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SquallError } from '../../src/errors.ts';
import { loadTrace, type TraceOptions } from '../../src/traffic/trace.ts';

const NDJSON = 'scenarios/traces/checkout-burst.ndjson';
const CSV = 'scenarios/traces/checkout-burst.csv';

const dir = mkdtempSync(join(tmpdir(), 'squall-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(ext: string, text: string): string {
  const path = join(dir, `t${n++}${ext}`);
  writeFileSync(path, text);
  return path;
}

function failure(path: string, options?: TraceOptions): SquallError {
  try {
    loadTrace(path, options);
  } catch (e) {
    return e as SquallError;
  }
  throw new Error(`expected ${path} to be refused`);
}

const line = (o: Record<string, unknown>) =>
  JSON.stringify({ model: 'gpt-4o-mini', prompt_tokens: 100, ...o });

describe('trace replay', () => {
  it('replays the NDJSON fixture sorted by time, stable for equal times, with ids in that order', () => {
    const { requests, format, spanMs } = loadTrace(NDJSON);
    expect(format).toBe('ndjson');
    expect(requests.map((r) => r.arrivalMs)).toEqual([0, 120, 120, 400, 450, 1000, 1000, 1000, 1750, 2000]);
    expect(requests.map((r) => r.id)).toEqual(requests.map((_, i) => `r${i}`));
    // Equal times keep file order: line 2 (gpt-4o) before line 3 (gpt-4o-mini); users u-43, u-44, u-45 in order.
    expect(requests[1]!.model).toBe('gpt-4o');
    expect(requests[2]!.model).toBe('gpt-4o-mini');
    expect(requests.slice(5, 8).map((r) => r.user)).toEqual(['u-43', 'u-44', 'u-45']);
    expect(spanMs).toBe(2000);
    expect(requests[0]).toEqual({
      id: 'r0',
      arrivalMs: 0,
      endpoint: 'chat.completions',
      model: 'gpt-4o-mini',
      promptTokens: 820,
      maxTokens: 256,
      stream: true,
      apiKey: 'sk-team-search',
      user: 'u-17',
      feature: 'search',
    });
    expect(requests[4]).toMatchObject({
      endpoint: 'embeddings',
      model: 'text-embedding-3-small',
      arrivalMs: 450,
    });
    expect(requests[8]).toMatchObject({ endpoint: 'responses', arrivalMs: 1750 });
  });

  it('the CSV fixture (ISO times, relative to the first line) replays exactly like the NDJSON one', () => {
    const csv = loadTrace(CSV);
    expect(csv.format).toBe('csv');
    expect(csv.requests).toEqual(loadTrace(NDJSON).requests);
  });

  it.each([
    [2, [0, 60, 60, 200, 225, 500, 500, 500, 875, 1000]],
    [0.5, [0, 240, 240, 800, 900, 2000, 2000, 2000, 3500, 4000]],
  ])('timeScale %d divides arrival times by it', (timeScale, expected) => {
    expect(loadTrace(NDJSON, { timeScale }).requests.map((r) => r.arrivalMs)).toEqual(expected);
  });

  it('fills defaults: max_tokens 256, no stream, the default key, chat.completions', () => {
    const { requests } = loadTrace(file('.jsonl', `${line({ timestamp: 5 })}\n`));
    expect(requests[0]).toEqual({
      id: 'r0',
      arrivalMs: 5,
      endpoint: 'chat.completions',
      model: 'gpt-4o-mini',
      promptTokens: 100,
      maxTokens: 256,
      stream: false,
      apiKey: 'sk-squall-test',
    });
  });

  it('keeps offsets as recorded but makes epoch-ms times relative to the earliest', () => {
    const offsets = loadTrace(file('.ndjson', `${line({ timestamp: 500 })}\n${line({ timestamp: 900 })}\n`));
    expect(offsets.requests.map((r) => r.arrivalMs)).toEqual([500, 900]);
    const epoch = loadTrace(
      file(
        '.ndjson',
        `${line({ timestamp: 1_767_225_600_500 })}\n${line({ timestamp: 1_767_225_600_000 })}\n`,
      ),
    );
    expect(epoch.requests.map((r) => r.arrivalMs)).toEqual([0, 500]);
  });

  it('accepts camelCase keys, CRLF line endings, a BOM, blank lines and quoted CSV fields', () => {
    const nd = loadTrace(
      file(
        '.ndjson',
        `\ufeff{"timestamp":1,"model":"m","promptTokens":3,"maxTokens":4,"apiKey":"k"}\r\n\r\n`,
      ),
    );
    expect(nd.requests[0]).toMatchObject({ promptTokens: 3, maxTokens: 4, apiKey: 'k' });
    const csv = loadTrace(
      file('.csv', 'timestamp,model,prompt_tokens,feature,stream\r\n0,m,3,"search, deep ""v2""",yes\r\n'),
    );
    expect(csv.requests[0]).toMatchObject({ feature: 'search, deep "v2"', stream: true });
  });
});

describe('bad traces are refused before anything runs', () => {
  it('names file:line and the field for a bad value, with a hint', () => {
    const path = file(
      '.ndjson',
      [line({ timestamp: 0 }), line({ timestamp: 1 }), line({ timestamp: 2, prompt_tokens: 'lots' })].join(
        '\n',
      ),
    );
    const e = failure(path);
    expect(e.code).toBe('ERR_SQUALL_SCENARIO_FILE');
    expect(e.message).toContain(`${path}:3  prompt_tokens: expected a whole number ≥ 1, found "lots"`);
    expect(e.hint).toBeTruthy();
  });

  it('reports every bad line at once', () => {
    const path = file(
      '.ndjson',
      [
        line({ timestamp: -5 }),
        '{not json',
        line({ timestamp: 3, stream: 'maybe' }),
        line({ timestamp: 4, endpoint: 'images' }),
      ].join('\n'),
    );
    const e = failure(path);
    expect(e.message).toMatch(/4 problems/);
    expect(e.message).toContain(`${path}:1  timestamp:`);
    expect(e.message).toContain(`${path}:2  not valid JSON`);
    expect(e.message).toContain(`${path}:3  stream: expected true or false, found "maybe"`);
    expect(e.message).toContain(`${path}:4  endpoint:`);
  });

  it('suggests the intended field when a required one is missing', () => {
    const path = file('.ndjson', '{"timestamp": 0, "model": "m", "promt_tokens": 5}\n');
    expect(failure(path).message).toContain(
      `${path}:1  prompt_tokens: missing (found "promt_tokens"; a typo?)`,
    );
  });

  it.each([
    [
      'a CSV row with the wrong number of fields',
      '.csv',
      'timestamp,model,prompt_tokens\n0,m,5\n1,m\n',
      ':3  expected 3 fields',
    ],
    [
      'a CSV header without a required column',
      '.csv',
      'timestamp,model,tokens\n0,m,5\n',
      ':1  prompt_tokens: the header has no',
    ],
    [
      'an unclosed CSV quote',
      '.csv',
      'timestamp,model,prompt_tokens\n0,"m,5\n',
      ':2  a quoted field is never closed',
    ],
    ['a JSON line that is not an object', '.ndjson', '[1,2]\n', ':1  expected a JSON object, found a list'],
    [
      'offsets mixed with dates',
      '.ndjson',
      `${line({ timestamp: 0 })}\n${line({ timestamp: '2026-03-01T12:00:00Z' })}\n`,
      ':2  timestamp: mixes',
    ],
  ])('refuses %s', (_, ext, text, fragment) => {
    const path = file(ext, text);
    const e = failure(path);
    expect(e.code).toBe('ERR_SQUALL_SCENARIO_FILE');
    expect(e.message).toContain(`${path}${fragment}`);
  });

  it.each([
    ['a missing file', () => join(dir, 'nope.ndjson'), /cannot read the trace file \(ENOENT\)/],
    ['an unknown extension', () => file('.txt', 'x'), /cannot tell the trace format from "\.txt"/],
    ['an empty trace', () => file('.ndjson', '\n\n'), /has no requests/],
    ['a header-only CSV', () => file('.csv', 'timestamp,model,prompt_tokens\n'), /has no requests/],
  ])('refuses %s with a hint', (_, make, message) => {
    const e = failure(make());
    expect(e.code).toBe('ERR_SQUALL_SCENARIO_FILE');
    expect(e.message).toMatch(message);
    expect(e.hint).toBeTruthy();
  });

  it('refuses a file over the size limit without reading it', () => {
    const e = failure(NDJSON, { maxBytes: 100 });
    expect(e.message).toMatch(/traces are limited to/);
    expect(e.hint).toMatch(/window|sample/);
  });

  it('refuses a file over the line limit', () => {
    expect(failure(NDJSON, { maxLines: 5 }).message).toMatch(/more than 5 lines/);
  });

  it('refuses a time scale of zero', () => {
    expect(failure(NDJSON, { timeScale: 0 })).toMatchObject({ code: 'ERR_SQUALL_INVALID_CONFIG' });
  });
});
