import { createHash } from 'node:crypto';
/** One decided attempt, as kept in the journal (plain data, safe to serve on /__squall/journal). */
export interface JournalEntry {
  /** 1-based, increasing for the journal's whole life (a clear() does not restart it, so pollers never go back). */
  seq: number;
  atMs: number;
  requestId: string;
  /** Masked like `sk-ab...yz`. */
  apiKey: string;
  model: string;
  endpoint: string;
  promptTokens: number;
  maxTokens: number;
  stream: boolean;
  retryCount?: number;
  outcome: string;
  status?: number;
  reason: string;
  phases: string[];
  latencyMs: number;
  /** The `x-squall-request-id` a service under test forwarded: the logical request this attempt served. */
  squallRequestId?: string;
}

export const MAX_JOURNAL_SIZE = 1_000_000;

/**
 * The last `size` decided attempts, in a fixed ring buffer: memory does not grow with the number of
 * requests, and old entries simply fall off. Stored by column, not as one object per entry: a server
 * adds an entry per request, and objects held for 10,000 requests are promoted to the old generation and
 * collected there, which cost the HTTP front a measurable share of its throughput.
 */
export class Journal {
  private readonly cap: number;
  private readonly atMs: Float64Array;
  private readonly promptTokens: Float64Array;
  private readonly maxTokens: Float64Array;
  private readonly latencyMs: Float64Array;
  /** NaN: no retry count was sent. */
  private readonly retryCount: Float64Array;
  /** 0: no HTTP status (a network fault). */
  private readonly status: Uint16Array;
  private readonly stream: Uint8Array;
  /**
   * Request ids as bytes, ID_BYTES per entry: a fresh id string per request held for `size` requests
   * would be promoted out of the young generation, which showed as a large share of the HTTP front's
   * cost. Ids that do not fit (long attempt keys, non-Latin-1) are kept as strings in `longId`.
   */
  private readonly idBytes: Uint8Array;
  private readonly idLength: Uint8Array;
  private readonly longId: string[];
  private readonly apiKey: string[];
  private readonly model: string[];
  private readonly endpoint: string[];
  private readonly outcome: string[];
  private readonly reason: string[];
  private readonly phases: string[][];
  /** '': no `x-squall-request-id` was forwarded. */
  private readonly squallRequestId: string[];
  private nextSeq = 1;
  /** Sequence number of the oldest entry still held. */
  private firstSeq = 1;

  constructor(size: number) {
    const n = Math.floor(size);
    const cap = Math.min(MAX_JOURNAL_SIZE, Math.max(0, Number.isFinite(n) ? n : 0));
    this.cap = cap;
    this.atMs = new Float64Array(cap);
    this.promptTokens = new Float64Array(cap);
    this.maxTokens = new Float64Array(cap);
    this.latencyMs = new Float64Array(cap);
    this.retryCount = new Float64Array(cap);
    this.status = new Uint16Array(cap);
    this.stream = new Uint8Array(cap);
    this.idBytes = new Uint8Array(cap * ID_BYTES);
    this.idLength = new Uint8Array(cap);
    this.longId = new Array<string>(cap).fill('');
    this.apiKey = new Array<string>(cap).fill('');
    this.model = new Array<string>(cap).fill('');
    this.endpoint = new Array<string>(cap).fill('');
    this.outcome = new Array<string>(cap).fill('');
    this.reason = new Array<string>(cap).fill('');
    this.phases = new Array<string[]>(cap).fill(NO_PHASES);
    this.squallRequestId = new Array<string>(cap).fill('');
  }

  /** Appends an entry and returns its sequence number (any `seq` passed in is ignored). */
  add(entry: Omit<JournalEntry, 'seq'> & { seq?: number }): number {
    const e = entry;
    return this.record(
      e.atMs,
      e.requestId,
      e.apiKey,
      e.model,
      e.endpoint,
      e.promptTokens,
      e.maxTokens,
      e.stream,
      e.retryCount,
      e.outcome,
      e.status,
      e.reason,
      e.phases,
      e.latencyMs,
      e.squallRequestId,
    );
  }

  /** `add` without an entry object: the upstream records every attempt through here. */
  record(
    atMs: number,
    requestId: string,
    apiKey: string,
    model: string,
    endpoint: string,
    promptTokens: number,
    maxTokens: number,
    stream: boolean,
    retryCount: number | undefined,
    outcome: string,
    status: number | undefined,
    reason: string,
    phases: string[],
    latencyMs: number,
    squallRequestId?: string,
  ): number {
    const seq = this.nextSeq++;
    const cap = this.cap;
    if (cap === 0) return seq;
    const i = (seq - 1) % cap;
    this.atMs[i] = atMs;
    this.promptTokens[i] = promptTokens;
    this.maxTokens[i] = maxTokens;
    this.latencyMs[i] = latencyMs;
    this.retryCount[i] = retryCount ?? Number.NaN;
    this.status[i] = status ?? 0;
    this.stream[i] = stream ? 1 : 0;
    this.storeId(i, requestId);
    this.apiKey[i] = apiKey;
    this.model[i] = model;
    this.endpoint[i] = endpoint;
    this.outcome[i] = outcome;
    this.reason[i] = reason;
    this.phases[i] = phases;
    this.squallRequestId[i] = squallRequestId ?? '';
    if (seq - this.firstSeq >= cap) this.firstSeq = seq - cap + 1;
    return seq;
  }

  /**
   * Entries oldest first. With `sinceSeq`: those after it, at most `limit` of them (so a poller pages
   * forward). Without: the latest `limit` entries.
   */
  list(o: { sinceSeq?: number; limit?: number } = {}): JournalEntry[] {
    const last = this.nextSeq - 1;
    let from = this.firstSeq;
    let to = last;
    const limit = o.limit === undefined ? Number.POSITIVE_INFINITY : Math.max(0, Math.floor(o.limit));
    if (o.sinceSeq !== undefined) {
      from = Math.max(from, Math.floor(o.sinceSeq) + 1);
      to = Math.min(to, from + limit - 1);
    } else {
      from = Math.max(from, to - limit + 1);
    }
    const out: JournalEntry[] = [];
    const cap = this.cap;
    for (let seq = from; seq <= to && cap > 0; seq++) out.push(this.entryAt(seq, (seq - 1) % cap));
    return out;
  }

  /** Drops every entry; sequence numbers keep counting. */
  clear(): void {
    this.longId.fill('');
    this.phases.fill(NO_PHASES);
    this.squallRequestId.fill('');
    this.firstSeq = this.nextSeq;
  }

  /** Entries ever added (the last sequence number). */
  get total(): number {
    return this.nextSeq - 1;
  }

  /** Entries held now. */
  get size(): number {
    return Math.min(this.cap, this.nextSeq - this.firstSeq);
  }

  get capacity(): number {
    return this.cap;
  }

  private storeId(i: number, id: string): void {
    const n = id.length;
    if (n <= ID_BYTES) {
      const bytes = this.idBytes;
      const at = i * ID_BYTES;
      let k = 0;
      for (; k < n; k++) {
        const c = id.charCodeAt(k);
        if (c > 0xff) break;
        bytes[at + k] = c;
      }
      if (k === n) {
        this.idLength[i] = n;
        if (this.longId[i] !== '') this.longId[i] = '';
        return;
      }
    }
    this.idLength[i] = LONG_ID;
    this.longId[i] = id;
  }

  private idAt(i: number): string {
    const n = this.idLength[i]!;
    if (n === LONG_ID) return this.longId[i]!;
    return Buffer.from(this.idBytes.buffer, this.idBytes.byteOffset + i * ID_BYTES, n).toString('latin1');
  }

  /** One stored entry as plain data, keys in the documented order (a copy: callers may keep or change it). */
  private entryAt(seq: number, i: number): JournalEntry {
    const e: JournalEntry = {
      seq,
      atMs: this.atMs[i]!,
      requestId: this.idAt(i),
      apiKey: this.apiKey[i]!,
      model: this.model[i]!,
      endpoint: this.endpoint[i]!,
      promptTokens: this.promptTokens[i]!,
      maxTokens: this.maxTokens[i]!,
      stream: this.stream[i] === 1,
      outcome: this.outcome[i]!,
      reason: this.reason[i]!,
      phases: [...this.phases[i]!],
      latencyMs: this.latencyMs[i]!,
    };
    const retryCount = this.retryCount[i]!;
    if (!Number.isNaN(retryCount)) e.retryCount = retryCount;
    const status = this.status[i]!;
    if (status !== 0) e.status = status;
    const squallRequestId = this.squallRequestId[i]!;
    if (squallRequestId !== '') e.squallRequestId = squallRequestId;
    return e;
  }
}

const NO_PHASES: string[] = [];
/** Room per id: `req_` + 32 hex is 36; the simulator's attempt keys are shorter. */
const ID_BYTES = 40;
/** idLength marker: the id is in longId. */
const LONG_ID = 255;

/**
 * A key as the journal, /__squall/state and /metrics show it: its kind (`sk-`, `sk-proj-`…) and the first
 * 8 hex digits of its SHA-256, e.g. `sk-…3f9a0c12`. Stable, so two keys can be told apart and the same
 * key recognised across runs, yet nothing of the key itself is shown (an earlier `sk-ab...yz` showed 7
 * characters, and `***` for short keys made every test key look the same).
 */
export function maskApiKey(apiKey: string): string {
  if (apiKey === '') return '***';
  const kind = /^sk-(?:proj-|svcacct-|admin-)?/.exec(apiKey)?.[0] ?? '';
  return `${kind}…${createHash('sha256').update(apiKey).digest('hex').slice(0, 8)}`;
}
