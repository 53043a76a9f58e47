import { BILLED_OUTCOMES, outcomeRow } from '../../mock-upstream/model/fault-kinds.ts';
import type { Decision, ParsedAttempt } from '../../mock-upstream/types.ts';
import { classify } from '../strategies/classify.ts';
import type { AttemptOutcome, LogicalOutcome } from '../strategies/types.ts';

/**
 * Outcomes on both sides of a service under test: the upstream attempt the mock decided (what the
 * service saw from "OpenAI"), and the service's own answer to squall (what its caller saw).
 */

/** The attempt as the service received it, from the mock's decision. */
export function attemptOutcomeOf(a: ParsedAttempt, d: Decision): AttemptOutcome {
  const row = outcomeRow(d.outcome);
  const model = a.model;
  // A stream fault drawn for a non-streaming request does nothing: it was answered normally.
  if (d.outcome === 'ok' || (row.streamOnly && !a.stream))
    return { kind: 'response', status: 200, headers: {}, model };
  if (row.status === undefined || row.status === 200) {
    const error =
      d.outcome === 'refuse'
        ? 'refused'
        : row.failureClass === 'timeout' || row.failureClass === 'reset'
          ? row.failureClass
          : 'stream';
    return { kind: 'network', error, message: `upstream fault ${d.outcome}`, model };
  }
  return { kind: 'response', status: row.status, headers: {}, model, errorMessage: d.reason };
}

/** Tokens the upstream billed for the attempt (prompt + completion), 0 when it did no work. */
export function billedTokensOf(a: ParsedAttempt, d: Decision): number {
  return BILLED_OUTCOMES.has(d.outcome) ? a.promptTokens + d.completionTokens : 0;
}

/** The service's answer as the logical outcome of the request squall sent it. */
export function serviceOutcome(last: AttemptOutcome, attempts: number, model: string): LogicalOutcome {
  const c = classify(last);
  const result =
    c === 'success'
      ? 'success'
      : c === 'transient'
        ? 'failed_transient'
        : c === 'client'
          ? 'failed_client'
          : 'failed_network';
  return { ok: c === 'success', result, last, attempts, model };
}
