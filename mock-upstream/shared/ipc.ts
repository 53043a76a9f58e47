import type { Worker } from 'node:cluster';
import type { RateLimitCheck, RateLimits } from '../model/buckets.ts';
import { applyBucketOp, type BucketOp, type SharedBuckets } from './ops.ts';

/**
 * `--workers N` without Redis: the primary process holds the one `RateLimits` and every worker asks it
 * over the cluster IPC channel. One process owns the state, so there is nothing to make atomic; the cost
 * is one IPC round trip per attempt (see docs/scale-out.md for the numbers).
 */
interface BucketRequest {
  squall: 'bucket';
  id: number;
  op: BucketOp;
}

interface BucketResponse {
  squall: 'bucket';
  id: number;
  result?: RateLimitCheck;
  error?: string;
}

function isBucketMessage(m: unknown): m is { squall: 'bucket'; id: number } {
  return typeof m === 'object' && m !== null && (m as { squall?: unknown }).squall === 'bucket';
}

/** The worker's side: a `SharedBuckets` whose state is in the primary. */
export class IpcBuckets implements SharedBuckets {
  readonly label = 'primary process (ipc)';
  private readonly pending = new Map<
    number,
    { resolve: (r: RateLimitCheck) => void; reject: (e: Error) => void }
  >();
  private nextId = 1;
  private readonly onMessage = (m: unknown) => {
    if (!isBucketMessage(m)) return;
    const res = m as BucketResponse;
    const p = this.pending.get(res.id);
    if (!p) return;
    this.pending.delete(res.id);
    if (res.result) p.resolve(res.result);
    else p.reject(new Error(res.error ?? 'no result'));
  };

  constructor() {
    if (!process.send) throw new Error('IpcBuckets: not a child process with an IPC channel');
    process.on('message', this.onMessage);
  }

  apply(op: BucketOp): Promise<RateLimitCheck> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const req: BucketRequest = { squall: 'bucket', id, op };
      process.send!(req, undefined, {}, (err) => {
        if (!err) return;
        this.pending.delete(id);
        reject(err);
      });
    });
  }

  async close(): Promise<void> {
    process.off('message', this.onMessage);
    for (const p of this.pending.values()) p.reject(new Error('closed'));
    this.pending.clear();
  }
}

/** The primary's side: answers a worker's bucket requests from `limits`. */
export function serveBucketsTo(worker: Worker, limits: RateLimits): void {
  worker.on('message', (m: unknown) => {
    if (!isBucketMessage(m)) return;
    const req = m as BucketRequest;
    let res: BucketResponse;
    try {
      res = { squall: 'bucket', id: req.id, result: applyBucketOp(limits, req.op) };
    } catch (e) {
      res = { squall: 'bucket', id: req.id, error: e instanceof Error ? e.message : String(e) };
    }
    if (worker.isConnected()) worker.send(res);
  });
}
