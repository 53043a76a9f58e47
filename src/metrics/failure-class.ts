import type { AttemptOutcome, LogicalOutcome } from '../strategies/types.ts';

/**
 * Why a logical request failed, in the words a chart legend uses. Status families and fault kinds
 * come from the last attempt; the three that never reached the upstream (breaker, shedding, deadline)
 * come from the strategy's own verdict, because their last attempt (if any) is not why they failed; 'app'
 * is the calling application's own verdict (no worker free, its own timeout towards its caller).
 */
export const FAILURE_CLASSES = [
  '429',
  '5xx',
  'timeout',
  'reset',
  'stream',
  'client_4xx',
  'breaker_open',
  'shed',
  'deadline',
  'app',
  'other',
] as const;

export type FailureClass = (typeof FAILURE_CLASSES)[number];

/** null for a success. */
export function failureClassOf(outcome: LogicalOutcome): FailureClass | null {
  if (outcome.ok) return null;
  switch (outcome.result) {
    case 'breaker_open':
      return 'breaker_open';
    case 'shed':
      return 'shed';
    case 'deadline_exceeded':
      return 'deadline';
    case 'client_saturated':
    case 'client_timeout':
      return 'app';
    default:
      return outcome.last === undefined ? 'other' : attemptFailureClass(outcome.last);
  }
}

/** The class a failed attempt falls in (a 2xx maps to 'other': the strategy failed it for its own reasons). */
export function attemptFailureClass(outcome: AttemptOutcome): FailureClass {
  if (outcome.kind === 'network') {
    switch (outcome.error) {
      case 'timeout':
        return 'timeout';
      case 'reset':
      case 'refused':
        return 'reset';
      case 'stream':
        return 'stream';
      default:
        return 'other';
    }
  }
  if (outcome.status === 429) return '429';
  if (outcome.status >= 500) return '5xx';
  if (outcome.status >= 400) return 'client_4xx';
  return 'other';
}

/** Key for per-attempt counts: the HTTP status ('200', '503') or the fault kind ('timeout', 'reset'). */
export function attemptKindOf(outcome: AttemptOutcome): string {
  return outcome.kind === 'network' ? outcome.error : String(outcome.status);
}
