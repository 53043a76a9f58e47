import { Histogram } from './histogram.ts';

/**
 * Outcomes broken down by one dimension (user, feature, model), so a report can tell "all users are
 * failing" from "one minor feature is" (seed article: business-impact tracking). Keys are bounded:
 * the first `maxKeys` distinct keys get their own row and every later one is folded into
 * {@link OTHER_KEY}, because user ids come from traffic and must not grow memory without limit.
 */
export interface BreakdownRow {
  requests: number;
  successes: number;
  successRate: number;
  /** p95 of end-to-end latency (from intended arrival), ms. */
  p95Ms: number;
}

export const OTHER_KEY = '(other)';
/** Key for requests that do not carry the dimension at all (no user id, no feature tag). */
export const NONE_KEY = '(none)';
export const DEFAULT_MAX_BREAKDOWN_KEYS = 200;
/** Coarser than the main histograms (≤ 1.6 % error) to keep up to 3 × 201 of them small. */
const BREAKDOWN_SUB_BUCKET_BITS = 5;

interface Cell {
  requests: number;
  successes: number;
  latency: Histogram;
}

export class Breakdown {
  readonly maxKeys: number;
  private readonly cells = new Map<string, Cell>();

  constructor(maxKeys = DEFAULT_MAX_BREAKDOWN_KEYS) {
    this.maxKeys = maxKeys;
  }

  /** Rows held, including the overflow row (at most maxKeys + 1). */
  get size(): number {
    return this.cells.size;
  }

  record(key: string | undefined, ok: boolean, latencyUs: number): void {
    const cell = this.cellFor(key ?? NONE_KEY);
    cell.requests++;
    if (ok) cell.successes++;
    cell.latency.record(latencyUs);
  }

  toJSON(): Record<string, BreakdownRow> {
    const out: Record<string, BreakdownRow> = {};
    for (const [key, cell] of this.cells) {
      out[key] = {
        requests: cell.requests,
        successes: cell.successes,
        successRate: cell.requests === 0 ? 0 : cell.successes / cell.requests,
        p95Ms: Math.round(cell.latency.percentile(95)) / 1000,
      };
    }
    return out;
  }

  private cellFor(key: string): Cell {
    const existing = this.cells.get(key);
    if (existing !== undefined) return existing;
    const named = this.cells.size - (this.cells.has(OTHER_KEY) ? 1 : 0);
    const slot = named < this.maxKeys || key === OTHER_KEY ? key : OTHER_KEY;
    let cell = this.cells.get(slot);
    if (cell === undefined) {
      cell = {
        requests: 0,
        successes: 0,
        latency: new Histogram({ subBucketBits: BREAKDOWN_SUB_BUCKET_BITS }),
      };
      this.cells.set(slot, cell);
    }
    return cell;
  }
}
