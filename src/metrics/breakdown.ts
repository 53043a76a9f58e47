import { Histogram } from './histogram.ts';

/**
 * Outcomes broken down by one dimension (user, feature, model), so a report can tell "all users are
 * failing" from "one minor feature is" (seed article: business-impact tracking). Keys are bounded:
 * the first `maxKeys` distinct keys get their own row and every later one is folded into
 * {@link OTHER_KEY}, because user ids come from traffic and must not grow memory without limit.
 */
export interface BreakdownRow {
  /** Logical requests offered with this key (unfinished ones included). */
  requests: number;
  successes: number;
  /** successes / requests: over offered, like the verdict table. */
  successRate: number;
  /** p95 of successful requests' latency (from intended arrival), ms; null when none succeeded. */
  p95Ms: number | null;
}

export const OTHER_KEY = '(other)';
/** Key for requests that do not carry the dimension at all (no user id, no feature tag). */
export const NONE_KEY = '(none)';
export const DEFAULT_MAX_BREAKDOWN_KEYS = 200;

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

  /** A request with this key arrived. */
  offer(key: string | undefined): void {
    this.cellFor(key ?? NONE_KEY).requests++;
  }

  /**
   * A request with this key finished. Only successes carry latency: the same population as the verdict
   * table's p95, at the same histogram precision, so the two agree when one slice is the whole run.
   */
  record(key: string | undefined, ok: boolean, latencyUs: number): void {
    if (!ok) return;
    const cell = this.cellFor(key ?? NONE_KEY);
    cell.successes++;
    cell.latency.record(latencyUs);
  }

  toJSON(): Record<string, BreakdownRow> {
    const out: Record<string, BreakdownRow> = {};
    for (const [key, cell] of this.cells) {
      out[key] = {
        requests: cell.requests,
        successes: cell.successes,
        successRate: cell.requests === 0 ? 0 : cell.successes / cell.requests,
        p95Ms: cell.successes === 0 ? null : Math.round(cell.latency.percentile(95)) / 1000,
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
        latency: new Histogram(),
      };
      this.cells.set(slot, cell);
    }
    return cell;
  }
}
