import type { Clock, TimerHandle } from '../sim/clock.ts';
import type { ClientConfig } from './types.ts';

/**
 * The app's own deadline towards its caller (an API gateway's 30 s, a load balancer's idle timeout): at
 * `timeoutMs` from the request's intended arrival its user gets a failure, whatever the request is doing.
 * The work it started is not stopped (a Python thread cannot be killed): its attempts go on, are still
 * billed, and its worker stays held until the strategy gives up on its own.
 */
export interface ClientDeadline {
  timeoutMs: number;
  /** Calls `expire` at the deadline of a request that arrived (intended) at `arrivalMs`. */
  arm(arrivalMs: number, expire: () => void): TimerHandle;
  clear(handle: TimerHandle): void;
}

export function createDeadline(config: ClientConfig, clock: Clock): ClientDeadline | undefined {
  const timeoutMs = config.timeoutMs;
  if (timeoutMs === undefined) return undefined;
  return {
    timeoutMs,
    arm: (arrivalMs, expire) => clock.setTimeout(expire, Math.max(0, arrivalMs + timeoutMs - clock.now())),
    clear: (handle) => clock.clearTimeout(handle),
  };
}
