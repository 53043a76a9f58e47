import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { SquallError } from '../errors.ts';
import { closest } from '../scenario/load.ts';
import type { LogicalRequest } from '../strategies/types.ts';
import { roundMicros } from './arrivals/curve.ts';
import { splitCsvLine } from './csv.ts';
import { invalidTraffic, isPositiveFinite } from './errors.ts';
import { DEFAULT_API_KEY, ENDPOINTS, type Endpoint } from './mix.ts';

/**
 * Trace replay: arrivals recorded elsewhere (NDJSON or CSV), replayed as recorded, optionally faster or
 * slower. Every problem names file:line and the field; a bad file is refused before anything runs.
 */

export const MAX_TRACE_BYTES = 200 * 1024 * 1024;
export const MAX_TRACE_LINES = 5_000_000;
/** Enough bad lines to see the pattern; a wholly wrong file would otherwise print millions. */
const MAX_PROBLEMS = 20;
/** Numbers this large are Unix epoch milliseconds (2001 onwards), not offsets from the start. */
const EPOCH_MS_FROM = 1e12;
const DEFAULT_MAX_TOKENS = 256;

export const TRACE_FIELDS = [
  'timestamp',
  'model',
  'prompt_tokens',
  'max_tokens',
  'stream',
  'api_key',
  'user',
  'feature',
  'endpoint',
] as const;
const REQUIRED_FIELDS = ['timestamp', 'model', 'prompt_tokens'] as const;

export type TraceFormat = 'ndjson' | 'csv';

export interface TraceOptions {
  /** 2 replays twice as fast (arrival times are divided by it). Default 1. */
  timeScale?: number;
  /** Limits, lowered in tests. */
  maxBytes?: number;
  maxLines?: number;
}

export interface Trace {
  /** Sorted by arrival time (stable: equal times keep file order); ids `r0`, `r1`, … in that order. */
  requests: LogicalRequest[];
  format: TraceFormat;
  /** Arrival time of the last request (after time scaling). */
  spanMs: number;
}

const EXAMPLE_NDJSON =
  '{"timestamp": 0, "model": "gpt-4o-mini", "prompt_tokens": 500, "max_tokens": 256, "stream": true}';
const EXAMPLE_CSV_HEADER = 'timestamp,model,prompt_tokens,max_tokens,stream,api_key,user,feature';

export function traceFormatOf(file: string): TraceFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  if (ext === '.csv') return 'csv';
  throw new SquallError(
    'ERR_SQUALL_SCENARIO_FILE',
    `${file}: cannot tell the trace format from "${ext || '(none)'}"`,
    {
      hint: 'name the trace .ndjson or .jsonl (one JSON object per line) or .csv (with a header row)',
    },
  );
}

export function loadTrace(file: string, options: TraceOptions = {}): Trace {
  const format = traceFormatOf(file);
  const maxBytes = options.maxBytes ?? MAX_TRACE_BYTES;
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > maxBytes) {
      throw new SquallError(
        'ERR_SQUALL_SCENARIO_FILE',
        `${file}: the trace is ${mb(size)}; traces are limited to ${mb(maxBytes)}`,
        { hint: 'replay a window of the trace, sample it, or bin it per second into ramping stages' },
      );
    }
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof SquallError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new SquallError(
      'ERR_SQUALL_SCENARIO_FILE',
      `${file}: cannot read the trace file (${code ?? String(e)})`,
      {
        hint:
          code === 'ENOENT'
            ? 'check the path; a relative trace path is resolved from the scenario file'
            : 'check that the path is a readable file',
        cause: e,
      },
    );
  }
  return parseTrace(text, file, format, options);
}

/** Parses trace text already in memory; `file` is used in messages only. */
export function parseTrace(
  text: string,
  file: string,
  format: TraceFormat,
  options: TraceOptions = {},
): Trace {
  const timeScale = options.timeScale ?? 1;
  if (!isPositiveFinite(timeScale)) {
    throw invalidTraffic(
      'time_scale',
      `expected a positive number, got ${timeScale}`,
      '2 replays twice as fast, 0.5 at half speed',
    );
  }
  const maxLines = options.maxLines ?? MAX_TRACE_LINES;
  const problems = new Problems(file);
  const intern = new Interner();
  const rows: LogicalRequest[] = [];
  let clock: 'offset' | 'absolute' | undefined;
  let header: string[] | undefined;

  const lineCount = eachLine(text, (line, lineNo) => {
    if (lineNo > maxLines) {
      throw new SquallError(
        'ERR_SQUALL_SCENARIO_FILE',
        `${file}: the trace has more than ${maxLines.toLocaleString('en-US')} lines`,
        { hint: 'replay a window of the trace, sample it, or bin it per second into ramping stages' },
      );
    }
    if (line.trim() === '') return true;
    let record: Record<string, unknown>;
    if (format === 'ndjson') {
      const parsed = parseJsonLine(line);
      if (typeof parsed === 'string')
        return problems.add(lineNo, '', parsed, `each line is one JSON object, e.g. ${EXAMPLE_NDJSON}`);
      record = normaliseKeys(parsed);
    } else if (!header) {
      const cells = splitCsvLine(line);
      if (!Array.isArray(cells))
        return problems.add(lineNo, '', cells.error, `the first line is a header: ${EXAMPLE_CSV_HEADER}`);
      header = cells.map(normaliseKey);
      for (const required of REQUIRED_FIELDS) {
        if (!header.includes(required)) {
          const guess = closest(required, header);
          problems.add(
            lineNo,
            required,
            `the header has no "${required}" column${guess ? ` (found "${guess}")` : ''}`,
            `the first line names the columns: ${EXAMPLE_CSV_HEADER}`,
          );
        }
      }
      return !problems.any();
    } else {
      const cells = splitCsvLine(line);
      if (!Array.isArray(cells))
        return problems.add(lineNo, '', cells.error, 'quote fields that contain commas: "a, b"');
      if (cells.length !== header.length) {
        return problems.add(
          lineNo,
          '',
          `expected ${header.length} fields (as in the header), found ${cells.length}`,
          'quote fields that contain commas: "a, b"',
        );
      }
      record = {};
      header.forEach((name, k) => {
        record[name] = cells[k];
      });
    }
    const row = toRequest(record, lineNo, problems, intern);
    if (!row) return problems.keepGoing();
    const kind = row.absolute ? 'absolute' : 'offset';
    clock ??= kind;
    if (kind !== clock) {
      return problems.add(
        lineNo,
        'timestamp',
        `mixes ${kind === 'absolute' ? 'a date/epoch time' : 'an offset in ms'} with earlier lines' ${clock === 'absolute' ? 'date/epoch times' : 'offsets in ms'}`,
        'use one kind of timestamp throughout: ms from the start, or ISO/epoch times',
      );
    }
    rows.push(row.request);
    return true;
  });
  problems.throwIfAny();
  if (format === 'csv' && !header) {
    throw new SquallError('ERR_SQUALL_SCENARIO_FILE', `${file}: the trace is empty`, {
      hint: `the first line is a header: ${EXAMPLE_CSV_HEADER}`,
    });
  }
  if (rows.length === 0) {
    throw new SquallError(
      'ERR_SQUALL_SCENARIO_FILE',
      `${file}: the trace has no requests (${lineCount} lines read)`,
      {
        hint:
          format === 'csv'
            ? 'add rows below the header'
            : `add one JSON object per line, e.g. ${EXAMPLE_NDJSON}`,
      },
    );
  }

  // Absolute clocks start at the earliest request (normally the first line); offsets are kept as recorded.
  let originMs = 0;
  if (clock === 'absolute') {
    originMs = Number.POSITIVE_INFINITY;
    for (const r of rows) originMs = Math.min(originMs, r.arrivalMs);
  }
  for (const r of rows) r.arrivalMs = roundMicros((r.arrivalMs - originMs) / timeScale);
  if (!isSorted(rows)) rows.sort((a, b) => a.arrivalMs - b.arrivalMs);
  rows.forEach((r, i) => {
    r.id = `r${i}`;
  });
  return { requests: rows, format, spanMs: rows[rows.length - 1]!.arrivalMs };
}

function toRequest(
  rec: Record<string, unknown>,
  lineNo: number,
  problems: Problems,
  intern: Interner,
): { request: LogicalRequest; absolute: boolean } | undefined {
  const before = problems.count;
  const bad = (field: string, expected: string, found: unknown, hint: string) => {
    problems.add(lineNo, field, `expected ${expected}, found ${describe(found)}`, hint);
  };
  const unknownKeys = Object.keys(rec).filter((k) => !(TRACE_FIELDS as readonly string[]).includes(k));
  const present = (field: (typeof REQUIRED_FIELDS)[number]) => {
    if (!isBlank(rec[field])) return true;
    const guess = closest(field, unknownKeys);
    problems.add(
      lineNo,
      field,
      `missing${guess ? ` (found "${guess}"; a typo?)` : ''}`,
      `every line needs timestamp, model and prompt_tokens, e.g. ${EXAMPLE_NDJSON}`,
    );
    return false;
  };

  const ts = present('timestamp') ? timestampOf(rec.timestamp) : undefined;
  if (!ts && !isBlank(rec.timestamp)) {
    bad(
      'timestamp',
      'ms from the start, an ISO time or epoch ms',
      rec.timestamp,
      'e.g. 1500 or "2026-03-01T12:00:00.250Z"',
    );
  }
  const model = present('model') ? stringOf(rec.model) : undefined;
  if (model === undefined && !isBlank(rec.model)) bad('model', 'a model name', rec.model, 'e.g. gpt-4o-mini');
  const promptTokens = present('prompt_tokens') ? positiveIntOf(rec.prompt_tokens) : undefined;
  if (promptTokens === undefined && !isBlank(rec.prompt_tokens)) {
    bad('prompt_tokens', 'a whole number ≥ 1', rec.prompt_tokens, 'e.g. 500');
  }
  const maxTokens = isBlank(rec.max_tokens) ? DEFAULT_MAX_TOKENS : positiveIntOf(rec.max_tokens);
  if (maxTokens === undefined)
    bad('max_tokens', 'a whole number ≥ 1', rec.max_tokens, 'e.g. 256, or leave it out');
  const stream = isBlank(rec.stream) ? false : booleanOf(rec.stream);
  if (stream === undefined) bad('stream', 'true or false', rec.stream, 'true, false, 1 or 0');
  const endpoint = isBlank(rec.endpoint) ? 'chat.completions' : endpointOf(rec.endpoint);
  if (endpoint === undefined)
    bad('endpoint', `one of ${ENDPOINTS.join(', ')}`, rec.endpoint, 'or leave it out for chat.completions');
  const apiKey = isBlank(rec.api_key) ? DEFAULT_API_KEY : stringOf(rec.api_key);
  if (apiKey === undefined) bad('api_key', 'a string', rec.api_key, 'e.g. sk-team-a');
  const user = isBlank(rec.user) ? undefined : stringOf(rec.user);
  if (!isBlank(rec.user) && user === undefined) bad('user', 'a string', rec.user, 'e.g. user-42');
  const feature = isBlank(rec.feature) ? undefined : stringOf(rec.feature);
  if (!isBlank(rec.feature) && feature === undefined) bad('feature', 'a string', rec.feature, 'e.g. search');
  if (problems.count > before) return undefined;

  const request: LogicalRequest = {
    id: '',
    arrivalMs: ts!.ms,
    endpoint: endpoint!,
    model: intern.get(model!),
    promptTokens: promptTokens!,
    maxTokens: maxTokens!,
    stream: stream! && endpoint !== 'embeddings',
    apiKey: intern.get(apiKey!),
  };
  if (user !== undefined) request.user = intern.get(user);
  if (feature !== undefined) request.feature = intern.get(feature);
  return { request, absolute: ts!.absolute };
}

function timestampOf(v: unknown): { ms: number; absolute: boolean } | undefined {
  if (typeof v === 'number' || (typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v))) {
    const ms = Number(v);
    if (!(Number.isFinite(ms) && ms >= 0)) return undefined;
    return { ms, absolute: ms >= EPOCH_MS_FROM };
  }
  if (typeof v === 'string' && /^\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(v)) {
    const ms = Date.parse(v);
    return Number.isFinite(ms) ? { ms, absolute: true } : undefined;
  }
  return undefined;
}

function positiveIntOf(v: unknown): number | undefined {
  const n =
    typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : Number.NaN;
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}

function booleanOf(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v !== 'string') return undefined;
  const s = v.trim().toLowerCase();
  if (s === 'true' || s === '1' || s === 'yes') return true;
  if (s === 'false' || s === '0' || s === 'no') return false;
  return undefined;
}

/** `chat.completions`, `/v1/chat/completions` and `chat/completions` all name the same endpoint. */
function endpointOf(v: unknown): Endpoint | undefined {
  if (typeof v !== 'string') return undefined;
  const name = v
    .trim()
    .replace(/^\/?(v1\/)?/, '')
    .replaceAll('/', '.');
  return (ENDPOINTS as readonly string[]).includes(name) ? (name as Endpoint) : undefined;
}

function stringOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function isBlank(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? 'a list' : 'an object';
  return JSON.stringify(v);
}

function parseJsonLine(line: string): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    return `not valid JSON (${(e as Error).message})`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `expected a JSON object, found ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`;
  }
  return value as Record<string, unknown>;
}

/** `promptTokens`, `prompt-tokens` and `Prompt Tokens` all mean `prompt_tokens`. */
function normaliseKey(key: string): string {
  return key
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[-\s]+/g, '_');
}

function normaliseKeys(rec: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec)) out[normaliseKey(k)] = v;
  return out;
}

/** Calls `fn` per line (1-based numbers, CR LF tolerated) without splitting the whole file into an array;
 *  `fn` returns false to stop. Returns the number of lines read. */
function eachLine(text: string, fn: (line: string, lineNo: number) => boolean): number {
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let lineNo = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    lineNo++;
    const line = text.slice(start, end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
    if (!fn(line, lineNo)) break;
    start = end + 1;
  }
  return lineNo;
}

function isSorted(rows: LogicalRequest[]): boolean {
  for (let i = 1; i < rows.length; i++) if (rows[i]!.arrivalMs < rows[i - 1]!.arrivalMs) return false;
  return true;
}

function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** Repeated values (models, keys, users) share one string instead of one per line. */
class Interner {
  private readonly seen = new Map<string, string>();
  get(s: string): string {
    const hit = this.seen.get(s);
    if (hit !== undefined) return hit;
    if (this.seen.size < 100_000) this.seen.set(s, s);
    return s;
  }
}

class Problems {
  private readonly file: string;
  private readonly lines: Array<{ line: number; field: string; message: string; hint: string }> = [];
  constructor(file: string) {
    this.file = file;
  }
  get count(): number {
    return this.lines.length;
  }
  any(): boolean {
    return this.lines.length > 0;
  }
  /** Records a problem; returns whether to keep reading. */
  add(line: number, field: string, message: string, hint: string): boolean {
    this.lines.push({ line, field, message, hint });
    return this.keepGoing();
  }
  keepGoing(): boolean {
    return this.lines.length < MAX_PROBLEMS;
  }
  throwIfAny(): void {
    if (this.lines.length === 0) return;
    const shown = this.lines.map(
      (p) => `${this.file}:${p.line}  ${p.field ? `${p.field}: ` : ''}${p.message}\n    hint: ${p.hint}`,
    );
    const more = this.lines.length >= MAX_PROBLEMS ? `\n(stopped after ${MAX_PROBLEMS} problems)` : '';
    const first = this.lines[0]!;
    throw new SquallError(
      'ERR_SQUALL_SCENARIO_FILE',
      `${this.file}: ${this.lines.length} problem${this.lines.length === 1 ? '' : 's'} in the trace\n${shown.join('\n')}${more}`,
      { hint: first.hint },
    );
  }
}
