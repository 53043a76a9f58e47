import type { LatencySpec } from '../../mock-upstream/types.ts';

/**
 * The calling application, as plain data (it crosses to worker threads): the resources a request of the
 * app needs besides the upstream. Each strategy of a run gets its own copy, so what one strategy's hung
 * calls hold never starves another's.
 */
export interface ClientConfig {
  /** Worker threads/processes; absent: as many as needed (no pool). */
  workers?: number;
  /**
   * 'blocking': a request holds its worker for its whole life, backoff sleeps included (Python's
   * `time.sleep`, the seed article's style). 'async': only while an attempt is in flight.
   */
  sleep: 'blocking' | 'async';
  /** Waiting for a worker: at most `max` waiting, each at most `timeoutMs`. */
  queue: QueueLimits;
  /** HTTP connections to the upstream host; absent: no pool. A hung attempt holds its connection. */
  connections?: number;
  /** Waiting for a connection, bounded on its own. */
  connectionQueue: QueueLimits;
  /** The app's deadline towards its caller (a gateway's 30 s); absent: none. */
  timeoutMs?: number;
  /** The rest of the app: requests that never call the LLM but need a worker too. */
  otherTraffic: OtherRoute[];
}

export interface QueueLimits {
  max: number;
  timeoutMs: number;
}

export interface OtherRoute {
  name: string;
  ratePerSec: number;
  /** How long the route's handler holds its worker. */
  serviceTime: LatencySpec;
}
