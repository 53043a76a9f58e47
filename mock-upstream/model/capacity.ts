import type { CapacityConfig } from '../types.ts';

export type Admission = { admitted: true; queueMs: number } | { admitted: false; inFlight: number };

/**
 * How busy the upstream is, so that retry storms feed back into load instead of being scripted.
 *
 * Every admitted attempt is held as the time it will be done (a min-heap of end times), pruned lazily at
 * each call. The model therefore does not care which front asked or whether the client hung up: the work
 * keeps going and still occupies the upstream, as it does on a real one.
 *
 * Queueing formula: with c servers and n attempts in the system (serving or queued), a FIFO newcomer starts
 * when a server frees up and everyone ahead of it has started, which is exactly at the (n − c + 1)-th
 * earliest end time among those n. So queueMs = that end time − now, and the newcomer occupies the
 * upstream until now + queueMs + serviceMs. This is the exact FIFO multi-server wait for the service
 * times already drawn (better than position × serviceMs / c, which ignores how far along the others are),
 * and it stays well defined when a phase changes c. Cost: O(k log k) for queue position k ≤ maxQueue + 1,
 * paid only by queued attempts.
 */
/** The common answer, shared rather than made per attempt (callers only read it). */
const ADMITTED_AT_ONCE: Admission = Object.freeze({ admitted: true, queueMs: 0 });

export class Capacity {
  private readonly cfg: CapacityConfig;
  private readonly heap: number[] = [];
  // Scratch space for the k-th smallest search, reused so a queued attempt allocates nothing.
  private readonly scratchIdx: number[] = [];

  constructor(cfg: CapacityConfig) {
    this.cfg = cfg;
  }

  /** Admits one attempt needing `serviceMs` of work, or reports overload (more than maxConcurrent + maxQueue). */
  admit(nowMs: number, serviceMs: number, maxConcurrentOverride?: number): Admission {
    this.prune(nowMs);
    const servers = Math.max(0, Math.floor(maxConcurrentOverride ?? this.cfg.maxConcurrent));
    const n = this.heap.length;
    if (n < servers) {
      this.push(nowMs + serviceMs);
      return ADMITTED_AT_ONCE;
    }
    if (servers === 0 || n >= servers + this.cfg.maxQueue) return { admitted: false, inFlight: n };
    const startMs = this.kthSmallest(n - servers + 1);
    const queueMs = Math.max(0, startMs - nowMs);
    this.push(nowMs + queueMs + serviceMs);
    return { admitted: true, queueMs };
  }

  /** Attempts being served or queued at `nowMs`. */
  inFlight(nowMs: number): number {
    this.prune(nowMs);
    return this.heap.length;
  }

  reset(): void {
    this.heap.length = 0;
  }

  private prune(nowMs: number): void {
    const h = this.heap;
    while (h.length > 0 && h[0]! <= nowMs) this.pop();
  }

  private push(endMs: number): void {
    const h = this.heap;
    h.push(endMs);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]! <= endMs) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = endMs;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const m = r < h.length && h[r]! < h[l]! ? r : l;
      if (h[m]! >= last) break;
      h[i] = h[m]!;
      i = m;
    }
    h[i] = last;
  }

  /** k-th smallest end time (1-based) without disturbing the heap: a best-first walk over heap indices. */
  private kthSmallest(k: number): number {
    const h = this.heap;
    const frontier = this.scratchIdx;
    frontier.length = 0;
    frontier.push(0);
    for (let popped = 1; ; popped++) {
      const top = frontier[0]!;
      if (popped === k) return h[top]!;
      // Replace the top of the frontier by its heap children, keeping the frontier a min-heap by value.
      const last = frontier.pop()!;
      if (frontier.length > 0) siftDown(frontier, h, last);
      const l = 2 * top + 1;
      if (l < h.length) siftUp(frontier, h, l);
      if (l + 1 < h.length) siftUp(frontier, h, l + 1);
    }
  }
}

function siftUp(f: number[], h: number[], idx: number): void {
  f.push(idx);
  let i = f.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h[f[p]!]! <= h[idx]!) break;
    f[i] = f[p]!;
    i = p;
  }
  f[i] = idx;
}

/** Puts `idx` at the root and sifts it down (the root slot is being replaced). */
function siftDown(f: number[], h: number[], idx: number): void {
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= f.length) break;
    const r = l + 1;
    const m = r < f.length && h[f[r]!]! < h[f[l]!]! ? r : l;
    if (h[f[m]!]! >= h[idx]!) break;
    f[i] = f[m]!;
    i = m;
  }
  f[i] = idx;
}
