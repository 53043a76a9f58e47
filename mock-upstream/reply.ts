import { KeyedStreams, Rng } from '../src/sim/rng.ts';
import { memo } from '../src/util/memo.ts';
import { outcomeRow } from './model/fault-kinds.ts';
import type { Decision, ParsedAttempt, Reply, UpstreamConfig } from './types.ts';
import * as wire from './wire/index.ts';

/**
 * Turns a decision into a Reply: the status, headers and paced body parts a front plays on the wire.
 * Pure: same decision and context, same bytes.
 */
export interface BuildContext {
  requestId: string;
  nowMs: number;
  createdSec: number;
  config: UpstreamConfig;
  /** Skeleton bodies (see liteSuccess): for the simulator's direct transport only. */
  lite?: boolean;
  /**
   * Where an attempt without an attempt key draws its text and ids: the upstream's sequential content
   * stream (its request id already depends on the order of attempts, so nothing is lost, and no key is
   * hashed per answer). Without it, the stream keyed by the request id.
   */
  content?: Rng;
}

/** What the upstream's body parser extracted, beyond the ParsedAttempt. */
export interface BodyExtras {
  encodingFormat?: 'float' | 'base64';
  dimensions?: number;
  /** Embeddings' inputs, one vector each (wire/content.ts embeddingOf). */
  embeddingInputs?: ReadonlyArray<string | readonly number[]>;
  instructions?: string;
}

export function replyForDecision(
  ctx: BuildContext,
  a: ParsedAttempt,
  d: Decision,
  extras: BodyExtras = {},
): Reply {
  const outcome = d.outcome;

  const row = outcomeRow(outcome);
  // The round trip (causes/network-rtt.ts) goes before whatever the answer does first.
  const networkMs = d.networkMs ?? 0;
  // No response at all: how the connection ends is the kind's answer.
  if (row.status === undefined) {
    if (row.answer === 'hang') return { kind: 'hang', ms: (d.hangMs ?? ctx.config.maxHangMs) + networkMs };
    if (row.answer === 'none') return { kind: 'refuse', delayMs: d.latencyMs + networkMs };
    return { kind: 'reset', delayMs: d.latencyMs + networkMs };
  }

  // The two 429s built from the limiter's state; every other error body comes from the kind's row.
  switch (outcome) {
    case '429': {
      const byTokens = d.limitedBy === 'tokens';
      const retryAfterMs = d.retryAfterMs ?? 1000;
      // An injected 429 (no limiter numbers) presents its bucket as spent, in the message and the
      // x-ratelimit-* headers alike: remaining 0 until its retry-after, Used = Limit.
      const shown = d.limit ? d : { ...d, rateLimit: spentSnapshot(d.rateLimit, byTokens, retryAfterMs) };
      const snap = shown.rateLimit;
      const e = wire.errorResponse(byTokens ? 'rate_limit_tokens' : 'rate_limit_requests', {
        requestId: ctx.requestId,
        fieldsOnly: ctx.lite === true,
        model: a.model,
        retryAfterMs,
        limit: d.limit?.limit ?? (byTokens ? snap.limitTokens : snap.limitRequests),
        used: d.limit?.used ?? (byTokens ? snap.limitTokens : snap.limitRequests),
        requested: d.limit?.requested ?? (byTokens ? a.promptTokens + a.maxTokens : 1),
      });
      return errorReply(ctx, shown, e);
    }
    case 'request_too_large': {
      const limit = d.limit?.limit ?? d.rateLimit.limitTokens;
      // An injected one on a request that would fit states the smallest size that would not: the message
      // never claims a request under its own limit is too large.
      const requested = d.limit?.requested ?? Math.max(a.promptTokens + a.maxTokens, limit + 1);
      const e = wire.errorResponse('request_too_large', {
        requestId: ctx.requestId,
        fieldsOnly: ctx.lite === true,
        model: a.model,
        limit,
        requested,
      });
      return errorReply(ctx, d, e);
    }
    default:
      break;
  }
  const errorKind = row.wireError;
  if (errorKind) {
    const e = wire.errorResponse(errorKind, {
      requestId: ctx.requestId,
      model: a.model,
      apiKey: a.apiKey,
      fieldsOnly: ctx.lite === true,
      // A server-chosen wait (causes/retry-after.ts, capacity-reject.ts), where this body has the header.
      ...(d.retryAfterMs !== undefined ? { retryAfterMs: d.retryAfterMs } : {}),
    });
    return errorReply(ctx, d, e);
  }

  // A success, possibly broken on the way (malformed, reset_mid_body, stream faults).
  if (ctx.lite) return liteSuccess(ctx, a, d);
  const perSeed = contentFor(ctx.config.seed);
  // Keyed by the attempt key when there is one (the same text whichever front or order): the same stream
  // as Rng.keyed(seed, `content/${key}`), without allocating one per answer.
  const content =
    a.attemptKey !== undefined
      ? perSeed.content.at(a.attemptKey)
      : (ctx.content ?? perSeed.content.at(ctx.requestId));
  const finishReason = d.completionTokens >= a.maxTokens ? 'length' : 'stop';
  if (a.endpoint === 'embeddings') {
    const dims = extras.dimensions ?? 1536;
    // A function of (model, input, dimensions), not of the seed or the draw: same text, same vector.
    const inputs = extras.embeddingInputs ?? Array.from({ length: a.inputCount }, (_, i) => `#${i}`);
    const vectors = inputs.map((input) => wire.embeddingOf(a.model, input, dims));
    const body = wire.embeddingsBody({
      model: a.model,
      vectors,
      promptTokens: a.promptTokens,
      encodingFormat: extras.encodingFormat ?? 'float',
    });
    return brokenOrWhole(outcome, headersFor(ctx, d, wire.JSON_CONTENT_TYPE), headerDelayOf(d), body);
  }

  const pool = perSeed.pool;
  if (!a.stream) {
    const text = pool.text(content, d.completionTokens);
    const body =
      a.endpoint === 'responses'
        ? wire.responsesBody({
            id: wire.responseId(content),
            createdAtSec: ctx.createdSec,
            model: a.model,
            messageId: wire.messageItemId(content),
            text,
            inputTokens: a.promptTokens,
            outputTokens: d.completionTokens,
            finishReason,
            ...(extras.instructions !== undefined ? { instructions: extras.instructions } : {}),
          })
        : wire.chatCompletionBody({
            id: wire.chatCompletionId(content),
            createdSec: ctx.createdSec,
            model: a.model,
            fingerprint: wire.systemFingerprint(a.model),
            text,
            textJsonSafe: pool.jsonSafe,
            promptTokens: a.promptTokens,
            completionTokens: d.completionTokens,
            finishReason,
          });
    // Ids, numbers and pool text are ASCII: with an ASCII model name the length in bytes is the length.
    const bytes = pool.ascii && isAscii(a.model) && a.endpoint !== 'responses' ? body.length : undefined;
    return brokenOrWhole(outcome, headersFor(ctx, d, wire.JSON_CONTENT_TYPE), headerDelayOf(d), body, bytes);
  }

  const pieces = pool.take(content, d.completionTokens);
  // Streaming: events[0] is the opening event(s), then one per piece, then the closing ones.
  const events =
    a.endpoint === 'responses'
      ? wire.responsesStreamEvents({
          id: wire.responseId(content),
          createdAtSec: ctx.createdSec,
          model: a.model,
          messageId: wire.messageItemId(content),
          pieces,
          inputTokens: a.promptTokens,
          outputTokens: d.completionTokens,
          finishReason,
          ...(extras.instructions !== undefined ? { instructions: extras.instructions } : {}),
        })
      : wire.chatStreamChunks({
          id: wire.chatCompletionId(content),
          createdSec: ctx.createdSec,
          model: a.model,
          fingerprint: wire.systemFingerprint(a.model),
          pieces,
          promptTokens: a.promptTokens,
          completionTokens: d.completionTokens,
          finishReason,
          includeUsage: a.includeUsage,
        });
  const lead = Math.max(0, events.findIndex(isContentDelta));
  return streamReply(ctx, a, d, events, lead, pieces.length, headersFor(ctx, d, wire.SSE_CONTENT_TYPE));
}

/** A stream, broken or whole as the decision says; `lead` events open it, then one per piece. */
function streamReply(
  ctx: BuildContext,
  a: ParsedAttempt,
  d: Decision,
  events: string[],
  lead: number,
  pieceCount: number,
  sseHeaders: Record<string, string>,
): Reply {
  const outcome = d.outcome;
  const gaps = d.tokenGapsMs ?? [];
  const parts = events.map((data, i) => {
    const pieceIndex = i - lead;
    return { delayMs: pieceIndex >= 0 && pieceIndex < pieceCount ? (gaps[pieceIndex] ?? 0) : 0, data };
  });
  const base = {
    kind: 'response' as const,
    status: 200,
    headers: sseHeaders,
    headerDelayMs: headerDelayOf(d),
  };
  const sf = ctx.config.streamFaults;
  const hangMs = Math.min(d.hangMs ?? ctx.config.maxHangMs, ctx.config.maxHangMs);
  switch (outcome) {
    case 'stream_cut':
      return { ...base, parts: parts.slice(0, lead + sf.cutAfterChunks), end: { kind: 'end' } };
    case 'reset_mid_body':
      return { ...base, parts: parts.slice(0, lead + sf.cutAfterChunks), end: { kind: 'destroy' } };
    case 'stream_stall':
      return {
        ...base,
        parts: parts.slice(0, lead + sf.stallAfterChunks),
        end: { kind: 'hang', ms: hangMs },
      };
    case 'stream_stall_keepalive': {
      const every = Math.max(1, sf.keepAliveEveryMs);
      const n = Math.floor(hangMs / every);
      const pings = Array.from({ length: n }, () => ({ delayMs: every, data: wire.keepAliveComment() }));
      return {
        ...base,
        parts: [...parts.slice(0, lead + sf.stallAfterChunks), ...pings],
        end: { kind: 'hang', ms: hangMs - n * every },
      };
    }
    case 'stream_malformed':
      return {
        ...base,
        parts: [...parts.slice(0, lead + sf.cutAfterChunks), { delayMs: 0, data: wire.malformedChunk() }],
        end: { kind: 'end' },
      };
    case 'stream_error': {
      const errorEvent =
        a.endpoint === 'responses'
          ? wire.responsesStreamErrorEvent(
              lead + sf.cutAfterChunks,
              'The server had an error while processing your request. Sorry about that!',
            )
          : wire.streamErrorEvent('The server had an error while processing your request. Sorry about that!');
      return {
        ...base,
        parts: [...parts.slice(0, lead + sf.cutAfterChunks), { delayMs: 0, data: errorEvent }],
        end: { kind: 'end' },
      };
    }
    case 'malformed':
      return {
        ...base,
        parts: [...parts.slice(0, lead), { delayMs: 0, data: wire.malformedChunk() }],
        end: { kind: 'end' },
      };
    default:
      return { ...base, parts, end: { kind: 'end' } };
  }
}

interface SeedContent {
  pool: wire.TokenPool;
  content: KeyedStreams;
}
const contents = new Map<string, SeedContent>();
/** The text pool and the per-answer content streams of a seed (bounded: runs use a handful of seeds). */
function contentFor(seed: string): SeedContent {
  let c = contents.get(seed);
  if (!c) {
    if (contents.size >= 64) contents.clear();
    c = {
      pool: new wire.TokenPool(new Rng(seed).fork('content-pool')),
      content: new KeyedStreams(seed, 'content/'),
    };
    contents.set(seed, c);
  }
  return c;
}

/**
 * Simulated time through the direct transport needs what a client decides on (status, headers, usage,
 * whether a stream ended cleanly) and the timing, not the text: bodies shrink to their skeleton. The
 * decision, and so every number in a result, is the same as with full bodies.
 */
function liteSuccess(ctx: BuildContext, a: ParsedAttempt, d: Decision): Reply {
  const total = a.promptTokens + d.completionTokens;
  const usage = `{"total_tokens":${total}}`;
  if (!a.stream || a.endpoint === 'embeddings') {
    const reply = brokenOrWhole(
      d.outcome,
      headersFor(ctx, d, wire.JSON_CONTENT_TYPE),
      headerDelayOf(d),
      `{"usage":${usage}}`,
    );
    // A whole answer also carries the number, so the client side need not parse it back.
    if (reply.kind === 'response' && d.outcome !== 'malformed' && d.outcome !== 'reset_mid_body')
      reply.usageTokens = total;
    return reply;
  }
  const n = d.completionTokens;
  const events: string[] = new Array(n + 3);
  events[0] = LITE_EVENT;
  for (let i = 1; i <= n; i++) events[i] = LITE_EVENT;
  events[n + 1] =
    a.endpoint === 'responses'
      ? `data: {"type":"response.completed","response":{"usage":${usage}}}\n\n`
      : `data: {"usage":${usage}}\n\n`;
  events[n + 2] = wire.SSE_DONE;
  return streamReply(ctx, a, d, events, 1, n, headersFor(ctx, d, wire.SSE_CONTENT_TYPE));
}

const LITE_EVENT = 'data: {}\n\n';

/** The events that carry one piece each (their gaps come from the decision's tokenGapsMs). */
function isContentDelta(event: string): boolean {
  return event.includes('"delta":{"content"') || event.includes('"type":"response.output_text.delta"');
}

/** An error answer; a skeleton one also carries the error's fields (see Reply.error). */
function errorReply(ctx: BuildContext, d: Decision, e: wire.WireErrorResponse): Reply {
  // The kind's status: a 409 capacity rejection carries the overloaded body (fault-kinds.ts).
  const reply = whole(
    outcomeRow(d.outcome).status ?? e.status,
    Object.assign(headersFor(ctx, d, e.contentType), e.headers),
    headerDelayOf(d),
    e.body,
  );
  if (ctx.lite && e.fields && reply.kind === 'response') reply.error = e.fields;
  return reply;
}

/** The limiter's snapshot with one bucket spent until `resetMs` (an injected 429's headers). */
function spentSnapshot(r: Decision['rateLimit'], tokens: boolean, resetMs: number): Decision['rateLimit'] {
  return tokens
    ? { ...r, remainingTokens: 0, resetTokensMs: Math.max(r.resetTokensMs, resetMs) }
    : { ...r, remainingRequests: 0, resetRequestsMs: Math.max(r.resetRequestsMs, resetMs) };
}

/** Wait before the status line: the upstream's own time (processing-ms says it) plus the network's. */
function headerDelayOf(d: Decision): number {
  return d.networkMs === undefined ? d.latencyMs : d.latencyMs + d.networkMs;
}

/** The usual headers of an answer (a plain function, not a closure per answer: this runs per request). */
function headersFor(ctx: BuildContext, d: Decision, contentType: string): Record<string, string> {
  return wire.responseHeadersOf(
    ctx.requestId,
    d.latencyMs,
    contentType,
    ctx.config.rateLimitHeaders ? d.rateLimit : undefined,
  );
}

/** Replies are plain data that nobody mutates: the common end is shared rather than made per answer. */
const END: { kind: 'end' } = Object.freeze({ kind: 'end' });

/** `bytes`: the body's UTF-8 length, when the builder knows it (see BodyPart). */
function whole(
  status: number,
  headers: Record<string, string>,
  delayMs: number,
  body: string,
  bytes?: number,
): Reply {
  return {
    kind: 'response',
    status,
    headers,
    headerDelayMs: delayMs,
    parts: [bytes === undefined ? { delayMs: 0, data: body } : { delayMs: 0, data: body, bytes }],
    end: END,
  };
}

/** A whole JSON answer, or one broken on the way: malformed JSON, or the connection dropped midway. */
function brokenOrWhole(
  outcome: Decision['outcome'],
  headers: Record<string, string>,
  delayMs: number,
  body: string,
  bytes?: number,
): Reply {
  if (outcome === 'malformed')
    return whole(200, headers, delayMs, body.slice(0, Math.floor(body.length / 2)));
  if (outcome === 'reset_mid_body') {
    return {
      kind: 'response',
      status: 200,
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      headerDelayMs: delayMs,
      parts: [{ delayMs: 0, data: body.slice(0, Math.floor(body.length / 2)) }],
      end: { kind: 'destroy' },
    };
  }
  return whole(200, headers, delayMs, body, bytes);
}

const asciiModels = new Map<string, boolean>();
/** Memoised per model name (bounded: a run has a handful). */
function isAscii(model: string): boolean {
  return memo(asciiModels, model, (m) => /^[\x00-\x7f]*$/.test(m));
}
