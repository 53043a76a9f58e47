import type { Rng } from '../../sim/rng.ts';
import { integerAtLeast, nonNegative, oneOf, positive, strategyError } from '../check.ts';
import { exponentialBackoff } from './exponential.ts';
import { fixedBackoff } from './fixed.ts';
import { linearBackoff } from './linear.ts';
import { noneBackoff } from './none.ts';
import {
  BACKOFF_KINDS,
  type Backoff,
  type BackoffSpec,
  type BackoffState,
  INITIAL_BACKOFF_STATE,
  JITTER_KINDS,
} from './types.ts';

export type { Backoff, BackoffSpec, BackoffState, JitterKind } from './types.ts';
export { BACKOFF_KINDS, INITIAL_BACKOFF_STATE, JITTER_KINDS } from './types.ts';

type Kind = BackoffSpec['kind'];
type Spec<K extends Kind> = Extract<BackoffSpec, { kind: K }>;

/** The registry: one line per backoff, each with the check of its own fields. */
const BACKOFFS: { [K in Kind]: (spec: Spec<K>, where: string) => Backoff } = {
  none: (spec) => noneBackoff(spec),
  fixed: (spec, where) => {
    nonNegative(where, 'delayMs', spec.delayMs);
    return fixedBackoff(spec);
  },
  linear: (spec, where) => {
    nonNegative(where, 'baseMs', spec.baseMs);
    if (spec.stepMs !== undefined) nonNegative(where, 'stepMs', spec.stepMs);
    nonNegative(where, 'capMs', spec.capMs);
    return linearBackoff(spec);
  },
  exponential: (spec, where) => {
    nonNegative(where, 'baseMs', spec.baseMs);
    if (spec.factor !== undefined) positive(where, 'factor', spec.factor);
    nonNegative(where, 'capMs', spec.capMs);
    oneOf(where, 'jitter', spec.jitter, JITTER_KINDS);
    if (spec.jitterMs !== undefined) nonNegative(where, 'jitterMs', spec.jitterMs);
    return exponentialBackoff(spec);
  },
};

/**
 * Builds a backoff from plain data, checking every field first. `where` prefixes error messages, e.g.
 * `strategy "sdk" policies[0].backoff`, so a bad value can be found in the scenario file.
 * Throws SquallError ERR_SQUALL_STRATEGY for an unknown kind or jitter, or a negative delay.
 */
export function createBackoff(spec: BackoffSpec, where = 'backoff'): Backoff {
  if (spec === null || typeof spec !== 'object') {
    throw strategyError(where, 'kind', 'a backoff must be an object with a kind', kindsHint());
  }
  const kind = oneOf(where, 'kind', (spec as { kind?: unknown }).kind, BACKOFF_KINDS);
  const build = BACKOFFS[kind] as (s: BackoffSpec, w: string) => Backoff;
  return build(spec, where);
}

function kindsHint(): string {
  return `expected one of: ${BACKOFF_KINDS.join(', ')}`;
}

/** Runs a backoff from the start and returns its first `count` delays (reports, tests, `squall explain`). */
export function backoffSchedule(backoff: Backoff, rng: Rng, count: number): number[] {
  integerAtLeast('backoffSchedule', 'count', count, 0);
  const out: number[] = [];
  let state: BackoffState = INITIAL_BACKOFF_STATE;
  for (let i = 0; i < count; i++) {
    const step = backoff.next(state, rng);
    out.push(step.delayMs);
    state = step.state;
  }
  return out;
}
