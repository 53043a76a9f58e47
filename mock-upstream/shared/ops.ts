import { type RateLimitCheck, RateLimits } from '../model/buckets.ts';
import type { RateLimitConfig } from '../types.ts';

/**
 * One bucket operation a decision needs, as plain data so it can cross a process boundary (IPC, Redis).
 * Mirrors the three calls decide.ts makes on `RateLimits`: check (admit and charge), charge (one request,
 * no check) and snapshot (read only).
 */
export type BucketOp =
  | {
      kind: 'check';
      apiKey: string;
      requestedTokens: number;
      nowMs: number;
      override?: Partial<RateLimitConfig>;
    }
  | { kind: 'charge'; apiKey: string; nowMs: number; override?: Partial<RateLimitConfig> }
  | { kind: 'snapshot'; apiKey: string; nowMs: number };

/**
 * Rate-limit buckets that live outside this process. `apply` is async because the state does; the
 * answer is what `RateLimits` would have answered for the same operation on one shared instance
 * (charge and snapshot answer `{ outcome: 'ok', snapshot }`).
 */
export interface SharedBuckets {
  /** Short name for logs: "redis redis://…", "primary process (ipc)". */
  readonly label: string;
  apply(op: BucketOp): Promise<RateLimitCheck>;
  close(): Promise<void>;
}

/** Runs an operation on an in-memory `RateLimits` (the primary's copy, or a test's). */
export function applyBucketOp(limits: RateLimits, op: BucketOp): RateLimitCheck {
  switch (op.kind) {
    case 'check':
      return limits.check(op.apiKey, op.requestedTokens, op.nowMs, op.override);
    case 'charge':
      return { outcome: 'ok', snapshot: limits.charge(op.apiKey, op.nowMs, op.override) };
    case 'snapshot':
      return { outcome: 'ok', snapshot: limits.snapshot(op.apiKey, op.nowMs) };
  }
}

/**
 * In-process buckets behind the async interface: what the primary process holds for `--workers N`, and
 * a reference implementation for tests (the async path must decide exactly what the sync path decides).
 */
export class InMemorySharedBuckets implements SharedBuckets {
  readonly label = 'in-memory';
  readonly limits: RateLimits;

  constructor(defaults: RateLimitConfig, byKey: Record<string, Partial<RateLimitConfig>> = {}) {
    this.limits = new RateLimits(defaults, byKey);
  }

  async apply(op: BucketOp): Promise<RateLimitCheck> {
    return applyBucketOp(this.limits, op);
  }

  async close(): Promise<void> {}
}
