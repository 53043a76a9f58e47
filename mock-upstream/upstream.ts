import { type UpstreamInput, upstreamConfigFrom } from '../src/scenario/upstream-schema.ts';
import { Rng } from '../src/sim/rng.ts';
import type { OverrideRequest } from './fronts/control.ts';
import { UpstreamModel } from './model/index.ts';
import { renderPrometheus } from './model/metrics.ts';
import { type BodyExtras, type BuildContext, replyForDecision } from './reply.ts';
import type { SharedBuckets } from './shared/ops.ts';
import {
  type Decision,
  FAULT_KINDS,
  type FaultKind,
  type ParsedAttempt,
  type RawAttempt,
  type Reply,
  type UpstreamConfig,
} from './types.ts';
import * as wire from './wire/index.ts';

/**
 * The mock upstream: routing, auth and validation (wire), then one decision per attempt (model), then a
 * Reply for whichever front asked. It never reads the time itself: every call passes `nowMs`, so the same
 * attempt sequence gives the same replies through the HTTP, msw and in-process fronts.
 */
export class Upstream {
  readonly config: UpstreamConfig;
  readonly model: UpstreamModel;
  private readonly ids: Rng;
  /** Text and ids of answers to attempts without an attempt key (those are keyed by it instead). */
  private readonly content: Rng;
  private readonly createdSec: number;
  private lastParsed: { endpoint: BodyEndpoint | ''; bodyText: string; parsed: ParsedBody | BodyFailure } = {
    endpoint: '',
    bodyText: '',
    parsed: { ok: false, kind: 'invalid_json' },
  };
  private readonly parsedBodies: Record<BodyEndpoint, Map<string, ParsedBody | BodyFailure>> = {
    'chat.completions': new Map(),
    embeddings: new Map(),
    responses: new Map(),
  };
  /**
   * Called for every decided attempt. The load driver uses it to count work the upstream billed even when
   * the client had already given up (a timeout followed by a retry bills twice).
   */
  onDecision: ((attempt: ParsedAttempt, decision: Decision) => void) | undefined;
  /** Rate-limit buckets shared with other processes; undefined: this process's own (synchronous) buckets. */
  readonly sharedBuckets: SharedBuckets | undefined;

  /**
   * `startMs`: clock time the schedule counts from (a server's start; a simulation's epoch).
   * `sharedBuckets`: keep the rate-limit state in a shared store; then fronts must call `respond`.
   */
  constructor(config: UpstreamConfig, options: { startMs?: number; sharedBuckets?: SharedBuckets } = {}) {
    this.config = config;
    this.sharedBuckets = options.sharedBuckets;
    this.model = new UpstreamModel(config, options.startMs === undefined ? {} : { startMs: options.startMs });
    this.ids = new Rng(config.seed).fork('ids');
    this.content = new Rng(config.seed).fork('content');
    if (config.tokenCounter === 'tokenizer') wire.loadTokenizer();
    // Models' own `created`: fixed, like a real model's release date.
    this.createdSec = wire.VIRTUAL_EPOCH_SEC;
  }

  get journal() {
    return this.model.journal;
  }

  handle(raw: RawAttempt, nowMs: number): Reply {
    const p = this.prepare(raw, nowMs);
    if ('kind' in p) return p;
    const decision = this.model.decide(p.attempt, nowMs, p.ctx.requestId);
    this.onDecision?.(p.attempt, decision);
    return replyForDecision(p.ctx, p.attempt, decision, p.parsed);
  }

  /**
   * What a front calls: `handle` when the buckets are this process's own (a Reply at once), otherwise a
   * promise of the same Reply decided over the shared buckets. A store that cannot be reached gives a 500
   * that says so, rather than a made-up rate-limit answer.
   */
  respond(raw: RawAttempt, nowMs: number): Reply | Promise<Reply> {
    const shared = this.sharedBuckets;
    if (!shared) return this.handle(raw, nowMs);
    const p = this.prepare(raw, nowMs);
    if ('kind' in p) return p;
    // Replies are built when the store answers, in whatever order that is: key the text by the request id
    // (drawn in arrival order) rather than drawing it from the sequential stream.
    p.ctx.content = undefined;
    return this.model.decideShared(p.attempt, nowMs, shared, p.ctx.requestId).then(
      (decision) => {
        this.onDecision?.(p.attempt, decision);
        return replyForDecision(p.ctx, p.attempt, decision, p.parsed);
      },
      (e: unknown) =>
        this.errorReply(
          'server_error',
          {
            requestId: p.ctx.requestId,
            message: `squall: shared rate-limit state (${shared.label}) unavailable: ${e instanceof Error ? e.message : String(e)}`,
          },
          nowMs,
        ),
    );
  }

  /** Routing, auth and body parsing: either the Reply for a request that never reaches the model, or the attempt. */
  private prepare(
    raw: RawAttempt,
    nowMs: number,
  ): Reply | { attempt: ParsedAttempt; parsed: ParsedBody; ctx: BuildContext } {
    const requestId = wire.requestId(this.ids);
    const ctx: BuildContext = {
      requestId,
      nowMs,
      createdSec: wire.createdSecAt(nowMs),
      config: this.config,
      content: this.content,
    };
    const routed = this.route(raw);
    if ('error' in routed)
      return this.errorReply(routed.error, { requestId, path: raw.path, method: raw.method }, nowMs);
    const { endpoint, modelId } = routed;

    const apiKey = bearer(raw.headers.authorization);
    if (!apiKey) return this.errorReply('missing_api_key', { requestId }, nowMs);
    if (this.config.apiKeys.length > 0 && !this.config.apiKeys.includes(apiKey)) {
      return this.errorReply('invalid_api_key', { requestId, apiKey }, nowMs);
    }

    // Listing models is cheap metadata: no faults, no rate limits (as with the real API's GET /v1/models).
    if (endpoint === 'models.list')
      return this.okJson(requestId, wire.modelsListBody(this.config.models, this.createdSec));
    if (endpoint === 'models.retrieve') {
      if (!this.config.models.includes(modelId!))
        return this.errorReply('model_not_found', { requestId, model: modelId! }, nowMs);
      return this.okJson(requestId, wire.modelBody(modelId!, this.createdSec));
    }

    const parsed = this.parseCached(endpoint, raw.bodyText);
    if (!parsed.ok) {
      const { kind, ok: _ok, ...fields } = parsed;
      return this.errorReply(kind, { requestId, ...fields }, nowMs);
    }
    if (!this.config.models.includes(parsed.model))
      return this.errorReply('model_not_found', { requestId, model: parsed.model }, nowMs);

    const forced = raw.headers['x-squall-fault'];
    // `none` asks for a clean answer: no injected fault, whatever the schedule says (model/decide.ts (b)).
    if (forced !== undefined && forced !== 'none' && !(FAULT_KINDS as readonly string[]).includes(forced)) {
      return this.errorReply(
        'bad_request',
        {
          requestId,
          param: 'x-squall-fault',
          message: `Unknown x-squall-fault "${forced}". Known kinds: ${FAULT_KINDS.join(', ')}, or none for no injected fault.`,
        },
        nowMs,
      );
    }
    const attempt: ParsedAttempt = {
      endpoint,
      apiKey,
      model: parsed.model,
      stream: parsed.stream,
      includeUsage: parsed.includeUsage,
      promptTokens: parsed.promptTokens,
      maxTokens: parsed.maxTokens ?? this.config.defaultMaxTokens,
      inputCount: parsed.inputCount,
    };
    const retryRaw = raw.headers['x-stainless-retry-count'];
    if (retryRaw !== undefined && /^\d+$/.test(retryRaw)) attempt.retryCount = Number(retryRaw);
    const attemptKey = raw.headers['x-squall-attempt-key'];
    if (attemptKey) attempt.attemptKey = attemptKey;
    const squallRequestId = raw.headers['x-squall-request-id'];
    if (squallRequestId) attempt.squallRequestId = squallRequestId;
    if (forced === 'none') attempt.noFaults = true;
    else if (forced) attempt.forcedFault = forced as FaultKind;
    return { attempt, parsed, ctx };
  }

  /**
   * `parseBody`, remembered by body text. Load tools replay a handful of bodies, and parsing, validating
   * and counting a prompt's tokens is the largest share of a request's cost here. Parsing is a function of
   * the text and this upstream's config only, and results are never changed, so sharing one is safe.
   * Bounded: small bodies only, a fixed number per endpoint, oldest dropped first.
   */
  private parseCached(endpoint: BodyEndpoint, bodyText: string): ParsedBody | BodyFailure {
    if (bodyText.length > PARSE_CACHE_MAX_CHARS) return parseBody(endpoint, bodyText, this.config);
    // The body just seen, compared without hashing (a fresh string's hash costs more than a compare).
    const last = this.lastParsed;
    if (last.endpoint === endpoint && last.bodyText === bodyText) return last.parsed;
    const cache = this.parsedBodies[endpoint];
    let parsed = cache.get(bodyText);
    if (parsed === undefined) {
      parsed = parseBody(endpoint, bodyText, this.config);
      if (cache.size >= PARSE_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
      cache.set(bodyText, parsed);
    }
    this.lastParsed = { endpoint, bodyText, parsed };
    return parsed;
  }

  /**
   * For the simulator's direct transport: an attempt the caller already parsed (no JSON, no routing),
   * answered with skeleton bodies. The decision is the one `handle` makes for the same request.
   */
  handleParsed(attempt: ParsedAttempt, nowMs: number): Reply {
    const requestId = wire.requestId(this.ids);
    if (!this.config.models.includes(attempt.model)) {
      return this.errorReply('model_not_found', { requestId, model: attempt.model }, nowMs);
    }
    const decision = this.model.decide(attempt, nowMs, requestId);
    this.onDecision?.(attempt, decision);
    const ctx: BuildContext = {
      requestId,
      nowMs,
      createdSec: wire.createdSecAt(nowMs),
      config: this.config,
      lite: true,
    };
    return replyForDecision(ctx, attempt, decision);
  }

  /** 413 for a body the front stopped reading. */
  payloadTooLarge(nowMs: number): Reply {
    return this.errorReply(
      'payload_too_large',
      {
        requestId: wire.requestId(this.ids),
        message: `Request body exceeds ${this.config.maxBodyBytes} bytes.`,
      },
      nowMs,
    );
  }

  state(nowMs: number): unknown {
    return this.model.state(nowMs);
  }

  schedule(): unknown[] {
    return this.model.schedule.phasesList();
  }

  override(o: OverrideRequest, nowMs: number): { id: string; expiresAtMs: number } {
    return this.model.override(o, nowMs);
  }

  clearOverrides(): void {
    this.model.clearOverrides();
  }

  reset(nowMs: number): void {
    this.model.reset(nowMs);
  }

  metrics(nowMs: number): string {
    return renderPrometheus(this.model, nowMs);
  }

  /** The schedule counts from `nowMs` unless its start was already fixed; returns the start. */
  startAt(nowMs: number): number {
    return this.model.startAt(nowMs);
  }

  /** Windows in which every attempt is refused (unscoped, probability 1): the HTTP front closes its listener. */
  refuseWindows(): Array<{ startMs: number; endMs: number }> {
    const start = this.model.startMs;
    if (start === undefined) return [];
    return this.model.schedule
      .phasesList()
      .filter((p) => p.faults.refuse === 1 && !p.scope && !p.flap && !p.rampUpMs && !p.rampDownMs)
      .map((p) => ({ startMs: start + p.startMs, endMs: start + p.endMs }));
  }

  private route(
    raw: RawAttempt,
  ):
    | { endpoint: ParsedAttempt['endpoint'] | 'models.list' | 'models.retrieve'; modelId?: string }
    | { error: 'not_found_route' | 'method_not_allowed' } {
    // What nearly every request is: no query, no trailing slash, upper-case method.
    if (raw.path === '/v1/chat/completions' && raw.method === 'POST') return CHAT_ROUTE;
    const path = raw.path.split('?')[0]!.replace(/\/+$/, '');
    const method = raw.method.toUpperCase();
    const post = (endpoint: 'chat.completions' | 'embeddings' | 'responses') =>
      method === 'POST' ? { endpoint } : ({ error: 'method_not_allowed' } as const);
    if (path === '/v1/chat/completions') return post('chat.completions');
    if (path === '/v1/embeddings') return post('embeddings');
    if (path === '/v1/responses') return post('responses');
    // HEAD answers as GET does (the HTTP front sends no body for it).
    const get = method === 'GET' || method === 'HEAD';
    if (path === '/v1/models') return get ? { endpoint: 'models.list' } : { error: 'method_not_allowed' };
    const m = /^\/v1\/models\/([^/]+)$/.exec(path);
    if (m)
      return get
        ? { endpoint: 'models.retrieve', modelId: decodePathSegment(m[1]!) }
        : { error: 'method_not_allowed' };
    return { error: 'not_found_route' };
  }

  private okJson(requestId: string, body: string): Reply {
    return {
      kind: 'response',
      status: 200,
      headers: wire.responseHeaders({ requestId, processingMs: 1, contentType: wire.JSON_CONTENT_TYPE }),
      headerDelayMs: this.model.networkMs(requestId),
      parts: [{ delayMs: 0, data: body }],
      end: { kind: 'end' },
    };
  }

  private errorReply(
    kind: wire.WireErrorKind,
    ctx: Omit<wire.ErrorContext, 'requestId'> & { requestId: string },
    _nowMs: number,
  ): Reply {
    const e = wire.errorResponse(kind, ctx);
    return {
      kind: 'response',
      status: e.status,
      headers: {
        ...wire.responseHeaders({ requestId: ctx.requestId, processingMs: 1, contentType: e.contentType }),
        ...e.headers,
      },
      // Answered by the front, not the model, yet still a round trip away (causes/network-rtt.ts).
      headerDelayMs: this.model.networkMs(ctx.requestId),
      parts: [{ delayMs: 0, data: e.body }],
      end: { kind: 'end' },
    };
  }
}

/** For users' own tests: `createUpstream({ seed: 1 })` or a full config. The schedule starts now. */
/**
 * For users' own tests: `createUpstream({ seed: 1 })`, optionally with the `upstream:` section of a
 * scenario file as written (`{ seed: 1, upstream: { latency: { fixed: '0ms' }, phases: [...] } }`,
 * validated, with the same messages as a scenario file), or a full config.
 */
export function createUpstream(
  config: UpstreamConfig | { seed: string | number; upstream?: UpstreamInput },
  options: { startMs?: number; sharedBuckets?: SharedBuckets } = {},
): Upstream {
  const full =
    'models' in config
      ? (config as UpstreamConfig)
      : upstreamConfigFrom(String(config.seed), (config as { upstream?: UpstreamInput }).upstream ?? {});
  return new Upstream(full, options);
}

/** A malformed escape (`/v1/models/%`) is a model id like any other (and not found), never an exception. */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const CHAT_ROUTE = Object.freeze({ endpoint: 'chat.completions' as const });

/** The last Authorization header seen and its key: clients send the same one on every request. */
let lastAuthorization: string | undefined;
let lastKey: string | undefined;

function bearer(h: string | undefined): string | undefined {
  if (h === undefined) return undefined;
  if (h === lastAuthorization) return lastKey;
  const key = /^Bearer\s+(\S+)\s*$/i.exec(h)?.[1];
  lastAuthorization = h;
  lastKey = key;
  return key;
}

export interface ParsedBody extends BodyExtras {
  ok: true;
  model: string;
  stream: boolean;
  includeUsage: boolean;
  promptTokens: number;
  maxTokens?: number;
  inputCount: number;
}

type BodyEndpoint = 'chat.completions' | 'embeddings' | 'responses';
/** Bodies remembered per endpoint, and the longest remembered: at most 512K characters per endpoint. */
const PARSE_CACHE_ENTRIES = 128;
const PARSE_CACHE_MAX_CHARS = 4096;

type BodyFailure = {
  ok: false;
  kind: wire.WireErrorKind;
  param?: string;
  message?: string;
  code?: string;
  type?: string;
};

function parseBody(
  endpoint: BodyEndpoint,
  bodyText: string,
  config: UpstreamConfig,
): ParsedBody | BodyFailure {
  const counter = config.tokenCounter;
  if (endpoint === 'chat.completions') {
    const r = wire.parseChatRequest(bodyText);
    if (!r.ok) return r;
    const v = r.value;
    return {
      ok: true,
      model: v.model,
      stream: v.stream,
      includeUsage: v.includeUsage,
      promptTokens: wire.countChatPromptTokens(v.messages, counter),
      ...(v.maxTokens !== undefined ? { maxTokens: v.maxTokens } : {}),
      inputCount: 1,
    };
  }
  if (endpoint === 'responses') {
    const r = wire.parseResponsesRequest(bodyText);
    if (!r.ok) return r;
    const v = r.value;
    return {
      ok: true,
      model: v.model,
      stream: v.stream,
      includeUsage: true,
      promptTokens: wire.countResponsesInputTokens(v.input, v.instructions, counter),
      ...(v.maxOutputTokens !== undefined ? { maxTokens: v.maxOutputTokens } : {}),
      ...(v.instructions !== undefined ? { instructions: v.instructions } : {}),
      inputCount: 1,
    };
  }
  const r = wire.parseEmbeddingsRequest(bodyText, counter);
  if (!r.ok) return r;
  const v = r.value;
  return {
    ok: true,
    model: v.model,
    stream: false,
    includeUsage: false,
    promptTokens: v.promptTokens,
    // Embeddings produce no completion: nothing beyond the input is charged on TPM.
    maxTokens: 0,
    inputCount: v.inputCount,
    encodingFormat: v.encodingFormat,
    dimensions: v.dimensions,
    embeddingInputs: v.items,
  };
}
