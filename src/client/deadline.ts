import type { Clock, TimerHandle } from '../sim/clock.ts';
import type { LogicalOutcome } from '../strategies/types.ts';
import type { CauseInstance, ClientCause } from './cause.ts';

/**
 * The app's own deadline towards its caller (an API gateway's 30 s, a load balancer's idle timeout): at
 * `timeoutMs` from the request's intended arrival its user gets a failure, whatever the request is doing.
 * The work it started is not stopped (a Python thread cannot be killed): its attempts go on, are still
 * billed, and its worker stays held until the strategy gives up on its own. A request still waiting
 * (for a worker) when it fires leaves the queue.
 */
export interface ClientDeadline extends CauseInstance {
  timeoutMs: number;
  /** Calls `expire` at the deadline of a request that arrived (intended) at `arrivalMs`. */
  arm(arrivalMs: number, expire: () => void): TimerHandle;
  clear(handle: TimerHandle): void;
}

const TIMED_OUT: LogicalOutcome = { ok: false, result: 'client_timeout', attempts: 0 };

export const deadline: ClientCause<ClientDeadline> = {
  name: 'deadline',
  create(config, ctx) {
    const timeoutMs = config.timeoutMs;
    if (timeoutMs === undefined) return undefined;
    const clock: Clock = ctx.clock;
    const timers = new Map<string, TimerHandle>();
    let timedOut = 0;
    let attemptsAfterTimeout = 0;
    const arm = (arrivalMs: number, expire: () => void) =>
      clock.setTimeout(expire, Math.max(0, arrivalMs + timeoutMs - clock.now()));
    return {
      timeoutMs,
      arm,
      clear: (handle) => clock.clearTimeout(handle),
      admit(req, next) {
        timers.set(
          req.id,
          arm(req.arrivalMs, () => {
            timers.delete(req.id);
            if (req.userOutcome !== undefined) return;
            timedOut++;
            ctx.failUser(req, TIMED_OUT);
            if (!req.running) ctx.drop(req);
          }),
        );
        next();
      },
      onAbandonedAttempt(req) {
        if (req.userOutcome === 'client_timeout') attemptsAfterTimeout++;
      },
      onDone(req) {
        const timer = timers.get(req.id);
        if (timer === undefined) return;
        timers.delete(req.id);
        clock.clearTimeout(timer);
      },
      summarize(into) {
        into.client.timedOut = timedOut;
        into.client.attemptsAfterTimeout = attemptsAfterTimeout;
      },
    };
  },
};
