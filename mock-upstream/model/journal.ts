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
}

export const MAX_JOURNAL_SIZE = 1_000_000;

/**
 * The last `size` decided attempts, in a fixed ring buffer: memory does not grow with the number of
 * requests, and old entries simply fall off.
 */
export class Journal {
  private readonly ring: Array<JournalEntry | undefined>;
  private nextSeq = 1;
  /** Sequence number of the oldest entry still held. */
  private firstSeq = 1;

  constructor(size: number) {
    const n = Math.floor(size);
    this.ring = new Array(Math.min(MAX_JOURNAL_SIZE, Math.max(0, Number.isFinite(n) ? n : 0)));
  }

  /** Appends an entry and gives it the next sequence number (any `seq` passed in is replaced). */
  add(entry: Omit<JournalEntry, 'seq'> & { seq?: number }): JournalEntry {
    const stored = entry as JournalEntry;
    stored.seq = this.nextSeq++;
    const cap = this.ring.length;
    if (cap === 0) return stored;
    this.ring[(stored.seq - 1) % cap] = stored;
    if (stored.seq - this.firstSeq >= cap) this.firstSeq = stored.seq - cap + 1;
    return stored;
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
    const cap = this.ring.length;
    for (let seq = from; seq <= to && cap > 0; seq++) out.push(this.ring[(seq - 1) % cap]!);
    return out;
  }

  /** Drops every entry; sequence numbers keep counting. */
  clear(): void {
    this.ring.fill(undefined);
    this.firstSeq = this.nextSeq;
  }

  /** Entries ever added (the last sequence number). */
  get total(): number {
    return this.nextSeq - 1;
  }

  /** Entries held now. */
  get size(): number {
    return Math.min(this.ring.length, this.nextSeq - this.firstSeq);
  }

  get capacity(): number {
    return this.ring.length;
  }
}

/** `sk-abcdef...xyz` → `sk-ab...yz`, the way keys are shown in logs; short keys are hidden entirely. */
export function maskApiKey(apiKey: string): string {
  if (apiKey.length < 10) return '***';
  return `${apiKey.slice(0, 5)}...${apiKey.slice(-2)}`;
}
