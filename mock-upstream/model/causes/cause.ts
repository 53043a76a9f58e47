import type { Decision, ParsedAttempt } from '../../types.ts';
import type { DecideContext } from '../decide.ts';
import type { Effects } from '../schedule.ts';

/** What a cause sees of one attempt: the model's context, what is in effect, the attempt and its draw key. */
export interface CauseInput {
  readonly ctx: DecideContext;
  readonly fx: Effects;
  readonly attempt: ParsedAttempt;
  /** Names the attempt for counter-based draws (see draws.ts): a cause draws from its own sub-stream. */
  readonly key: string;
  readonly nowMs: number;
  readonly phases: string[];
}

/**
 * One cause of upstream behaviour (network time, slow failures, quantized limits, ...): its name, the
 * scenario key that sets it, the public source it is modelled on, and the hooks the decision calls.
 * A cause without hooks acts where its data is read (the buckets, the capacity step) and is listed for
 * the docs and the state endpoint.
 */
export interface UpstreamCause {
  readonly name: string;
  /** Where a scenario file sets it, e.g. `upstream.network.rtt`. */
  readonly key: string;
  /** The public fact or story it is modelled on, by title and author or URL. */
  readonly source: string;
  /** Before any fault is drawn: answers the attempt outright (a state, not a coin), or undefined. */
  gate?(input: CauseInput): Decision | undefined;
  /** After the decision: adjusts it in place (time, headers). Runs in registry order. */
  shape?(d: Decision, input: CauseInput): void;
}
