import type { WireErrorKind } from '../wire/errors.ts';

/**
 * Every fault kind, one row each: what a front sends, how a client counts it, whether the upstream bills
 * the work, and how (and how fast) it is answered. Everything that used to be a per-kind list elsewhere
 * (the kind list, `statusOf`, the decision's edge/body/hang sets, the reply's error bodies, the runner's
 * billed outcomes) reads this table, so a new kind is one row here.
 *
 * How a kind is answered (`answer`):
 * - `edge`: at once, before any processing (a gateway or the limiter answers): latency 0 by default.
 * - `processed`: after the attempt's processing latency (the upstream worked on it, then failed).
 * - `body`: a generated answer broken on the way; it takes the full work (latency, length, stream gaps).
 * - `hang`: accepted and never answered; the server gives up after maxHangMs.
 * - `none`: no connection at all (refused).
 * `hangs`: the answer is held open after what was sent (timeouts and stream stalls), bounded by maxHangMs.
 * The answer also fixes a kind's default latency: `processed` and `body` take the upstream's latency (or
 * the phase's), the others none.
 *
 * `upstream.fault_latency` overrides the default latency of any kind (see fault-latency.ts).
 */
export interface FaultKindRow {
  /** HTTP status a front sends; undefined when no response is sent at all. */
  status: number | undefined;
  /** The class a client's report puts a failed attempt of this kind in (src/metrics/failure-class.ts). */
  failureClass: '429' | '5xx' | 'client_4xx' | 'timeout' | 'reset' | 'stream' | 'other';
  /** Whether the upstream did (and bills) the work: prompt + completion tokens are counted as spent. */
  billed: boolean;
  answer: 'edge' | 'processed' | 'body' | 'hang' | 'none';
  hangs: boolean;
  /** The API error body of an error answer (mock-upstream/wire/errors.ts); absent for the others. */
  wireError?: WireErrorKind;
  /** Stream faults do nothing to a non-streaming request (it is answered normally). */
  streamOnly: boolean;
}

const edge = (status: number, failureClass: FaultKindRow['failureClass'], wireError: WireErrorKind) =>
  ({
    status,
    failureClass,
    billed: false,
    answer: 'edge',
    hangs: false,
    wireError,
    streamOnly: false,
  }) as const;
const brokenBody = (failureClass: FaultKindRow['failureClass'], streamOnly: boolean, hangs = false) =>
  ({ status: 200, failureClass, billed: true, answer: 'body', hangs, streamOnly }) as const;

/**
 * The table. Its order is the order the fault draw walks the kinds in (see decide.ts, step b); JavaScript
 * puts integer-like keys first, in ascending order, whatever order they are written in.
 */
export const FAULT_KIND_TABLE = {
  '400': edge(400, 'client_4xx', 'bad_request'),
  '401': edge(401, 'client_4xx', 'invalid_api_key'),
  '404': edge(404, 'client_4xx', 'model_not_found'),
  // Its body is built from the limiter's state (reply.ts), not from `wireError`.
  // What a shedding gateway says when "the engine is overloaded" (capacity-reject.ts): the overloaded
  // body with this status. The SDKs retry a 409.
  '409': edge(409, 'client_4xx', 'overloaded'),
  '429': edge(429, '429', 'rate_limit_requests'),
  '500': {
    status: 500,
    failureClass: '5xx',
    billed: false,
    answer: 'processed',
    hangs: false,
    wireError: 'server_error',
    streamOnly: false,
  },
  '502': edge(502, '5xx', 'bad_gateway_html'),
  '503': edge(503, '5xx', 'overloaded'),
  '504': {
    status: 504,
    failureClass: '5xx',
    billed: false,
    answer: 'processed',
    hangs: false,
    wireError: 'gateway_timeout_html',
    streamOnly: false,
  },
  insufficient_quota: edge(429, '429', 'insufficient_quota'),
  request_too_large: edge(429, '429', 'request_too_large'),
  timeout: {
    status: undefined,
    failureClass: 'timeout',
    billed: false,
    answer: 'hang',
    hangs: true,
    streamOnly: false,
  },
  reset: {
    status: undefined,
    failureClass: 'reset',
    billed: false,
    answer: 'processed',
    hangs: false,
    streamOnly: false,
  },
  reset_mid_body: brokenBody('reset', false),
  refuse: {
    status: undefined,
    failureClass: 'reset',
    billed: false,
    answer: 'none',
    hangs: false,
    streamOnly: false,
  },
  malformed: brokenBody('other', false),
  stream_cut: brokenBody('stream', true),
  stream_stall: brokenBody('timeout', true, true),
  stream_stall_keepalive: brokenBody('timeout', true, true),
  stream_malformed: brokenBody('stream', true),
  stream_error: brokenBody('stream', true),
} as const satisfies Record<string, FaultKindRow>;

export type FaultKind = keyof typeof FAULT_KIND_TABLE;

/** Fault kinds, spelled as users write them in schedules and in the `x-squall-fault` header. */
export const FAULT_KINDS = Object.keys(FAULT_KIND_TABLE) as [FaultKind, ...FaultKind[]];

/** The row of a kind. */
export function faultKindRow(kind: FaultKind): FaultKindRow {
  return FAULT_KIND_TABLE[kind];
}

/** A success: what 'ok' would be in the table. */
const OK_ROW: FaultKindRow = {
  status: 200,
  failureClass: 'other',
  billed: true,
  answer: 'processed',
  hangs: false,
  streamOnly: false,
};

/** The row of an outcome ('ok' or a kind). */
export function outcomeRow(outcome: 'ok' | FaultKind): FaultKindRow {
  return outcome === 'ok' ? OK_ROW : FAULT_KIND_TABLE[outcome];
}

/** Outcomes whose work the upstream bills (tokens spent), for the runner's cost accounting. */
export const BILLED_OUTCOMES: ReadonlySet<string> = new Set([
  'ok',
  ...FAULT_KINDS.filter((k) => FAULT_KIND_TABLE[k].billed),
]);
