import type { LogicalRequest } from '../strategies/types.ts';
import type { TrafficSource } from './source.ts';

/**
 * Arrivals generated once and replayed after that. Every strategy of a run faces the same trace, and
 * drawing it (a counter-based hash per field of every request, and each distribution's quantile) was
 * 5-7% of a simulated strategy's time, paid again by every strategy. The first full pass records each
 * request into columns (typed arrays, and small tables for the strings), later passes rebuild the same
 * objects from them: the same fields, in the same order, with the same values.
 *
 * Columns, not the request objects: a quarter of a million live objects would be marked by every full
 * collection for the rest of the run; the columns are a few flat arrays (37 bytes a request, 9 MB for the
 * 240,000 requests of 2 hours at 2,000 rpm).
 *
 * A pass that stops early (a run cut short, an abort) records nothing: the next pass draws afresh. Beyond
 * `maxRequests`, or for a token count that is not a 32-bit whole number, recording stops and every pass
 * draws afresh, so memory stays bounded and nothing is replayed inexactly.
 */
export function replayArrivals(source: TrafficSource, maxRequests = DEFAULT_MAX_RECORDED): TrafficSource {
  // Drawn arrivals only: a trace is already in memory, and closed traffic has no schedule.
  if (source.origin !== 'arrivals') return source;
  let recorded: Columns | undefined;
  let tooMany = false;
  return {
    ...source,
    arrivals(): Iterable<LogicalRequest> {
      if (recorded) return replay(recorded);
      if (tooMany) return source.arrivals();
      return record(source.arrivals(), maxRequests, (columns) => {
        if (columns) recorded = columns;
        else tooMany = true;
      });
    },
  };
}

export const DEFAULT_MAX_RECORDED = 5_000_000;

/** Strings that repeat across requests (models, keys, users, features, endpoints), by index. */
class StringTable {
  readonly values: Array<string | undefined> = [undefined];
  private readonly index = new Map<string, number>();
  of(value: string | undefined): number {
    if (value === undefined) return 0;
    let i = this.index.get(value);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(value);
      this.index.set(value, i);
    }
    return i;
  }
}

interface Columns {
  count: number;
  /** Ids, unless every id is `r<index>` (the open model's), which are rebuilt instead of kept. */
  ids: string[] | undefined;
  arrivalMs: Float64Array;
  promptTokens: Uint32Array;
  maxTokens: Uint32Array;
  /** {@link STREAM}, {@link HAS_USER}, {@link HAS_FEATURE}. */
  flags: Uint8Array;
  endpoint: Uint32Array;
  model: Uint32Array;
  apiKey: Uint32Array;
  user: Uint32Array;
  feature: Uint32Array;
  strings: StringTable;
}

function emptyColumns(capacity: number): Columns {
  return {
    count: 0,
    ids: undefined,
    arrivalMs: new Float64Array(capacity),
    promptTokens: new Uint32Array(capacity),
    maxTokens: new Uint32Array(capacity),
    flags: new Uint8Array(capacity),
    endpoint: new Uint32Array(capacity),
    model: new Uint32Array(capacity),
    apiKey: new Uint32Array(capacity),
    user: new Uint32Array(capacity),
    feature: new Uint32Array(capacity),
    strings: new StringTable(),
  };
}

/** The per-request columns, which grow together. */
const COLUMN_NAMES = [
  'arrivalMs',
  'promptTokens',
  'maxTokens',
  'flags',
  'endpoint',
  'model',
  'apiKey',
  'user',
  'feature',
] as const;

const STREAM = 1;
/** The request had a `user` (or `feature`) key at all: absent is not the same as undefined. */
const HAS_USER = 2;
const HAS_FEATURE = 4;

const isUint32 = (n: number) => n >>> 0 === n;

function grow(c: Columns): void {
  const capacity = c.arrivalMs.length * 2;
  const columns = c as unknown as Record<string, Float64Array | Uint32Array | Uint8Array>;
  for (const name of COLUMN_NAMES) {
    const old = columns[name]!;
    const next = new (old.constructor as new (n: number) => typeof old)(capacity);
    next.set(old);
    columns[name] = next;
  }
}

function* record(
  requests: Iterable<LogicalRequest>,
  maxRequests: number,
  done: (columns: Columns | undefined) => void,
): Generator<LogicalRequest> {
  let c: Columns | undefined = emptyColumns(1024);
  for (const req of requests) {
    if (c) {
      const i = c.count;
      if (i >= maxRequests || !isUint32(req.promptTokens) || !isUint32(req.maxTokens)) {
        c = undefined;
        done(undefined);
      } else {
        if (i === c.arrivalMs.length) grow(c);
        if (c.ids) c.ids.push(req.id);
        else if (req.id !== `r${i}`) {
          c.ids = Array.from({ length: i }, (_, k) => `r${k}`);
          c.ids.push(req.id);
        }
        c.arrivalMs[i] = req.arrivalMs;
        c.promptTokens[i] = req.promptTokens;
        c.maxTokens[i] = req.maxTokens;
        let flags = req.stream ? STREAM : 0;
        c.endpoint[i] = c.strings.of(req.endpoint);
        c.model[i] = c.strings.of(req.model);
        c.apiKey[i] = c.strings.of(req.apiKey);
        if ('user' in req) {
          flags |= HAS_USER;
          c.user[i] = c.strings.of(req.user);
        }
        if ('feature' in req) {
          flags |= HAS_FEATURE;
          c.feature[i] = c.strings.of(req.feature);
        }
        c.flags[i] = flags;
        c.count = i + 1;
      }
    }
    yield req;
  }
  // Only a pass that ran to the end is a whole trace.
  if (c) done(c);
}

function* replay(c: Columns): Generator<LogicalRequest> {
  const s = c.strings.values;
  for (let i = 0; i < c.count; i++) {
    // The field order of sampleRequestKeyed's literal, so the objects have the same shape.
    const req: LogicalRequest = {
      id: c.ids ? c.ids[i]! : `r${i}`,
      arrivalMs: c.arrivalMs[i]!,
      endpoint: s[c.endpoint[i]!] as LogicalRequest['endpoint'],
      model: s[c.model[i]!]!,
      promptTokens: c.promptTokens[i]!,
      maxTokens: c.maxTokens[i]!,
      stream: (c.flags[i]! & STREAM) !== 0,
      apiKey: s[c.apiKey[i]!]!,
    };
    if ((c.flags[i]! & HAS_USER) !== 0) req.user = s[c.user[i]!] as string;
    if ((c.flags[i]! & HAS_FEATURE) !== 0) req.feature = s[c.feature[i]!] as string;
    yield req;
  }
}
