import type { ParsedAttempt } from '../../mock-upstream/types.ts';
import type { Upstream } from '../../mock-upstream/upstream.ts';
import {
  countChatPromptTokens,
  countEmbeddingInputTokens,
  countResponsesInputTokens,
  type TokenCounter,
} from '../../mock-upstream/wire/tokens.ts';
import type { Clock } from '../sim/clock.ts';
import { syntheticPrompt } from '../strategies/prompt.ts';
import type { AttemptOptions, AttemptOutcome, LogicalRequest, SendAttempt } from '../strategies/types.ts';
import { offAbort, onAbort } from '../util/abort.ts';
import { attemptKey, errorOutcome, interpretAnswer, successOutcome } from './transport.ts';

/**
 * The simulated-time transport for squall's own policies: one attempt straight into the upstream model,
 * waiting on the virtual clock for as long as the reply would take on the wire, with no fetch, Response or
 * stream objects, and no JSON, in between (those dominate the cost of a simulated attempt). The upstream
 * decides on the same parsed attempt it would get over HTTP, so its decisions are the same as through any
 * front; only the bodies shrink to what a client decides on.
 */
export function createDirectSend(upstream: Upstream, clock: Clock): SendAttempt {
  return async (req, options) => {
    const model = options.model;
    const reply = upstream.handleParsed(
      parsedAttempt(req, options, upstream.config.tokenCounter),
      clock.now(),
    );
    let waitMs: number;
    let broken: AttemptOutcome | undefined;
    switch (reply.kind) {
      case 'refuse':
        // The refused handshake still takes its round trip (causes/network-rtt.ts).
        waitMs = reply.delayMs;
        broken = { kind: 'network', error: 'refused', message: 'connect ECONNREFUSED', model };
        break;
      case 'reset':
        waitMs = reply.delayMs;
        broken = { kind: 'network', error: 'reset', message: 'socket hang up', model };
        break;
      case 'hang':
        waitMs = reply.ms;
        broken = { kind: 'network', error: 'reset', message: 'server gave up on a hung request', model };
        break;
      case 'response': {
        waitMs = reply.headerDelayMs;
        for (const p of reply.parts) waitMs += p.delayMs;
        if (reply.end.kind === 'hang') waitMs += reply.end.ms;
        if (reply.end.kind !== 'end') {
          broken = { kind: 'network', error: 'reset', message: 'connection dropped mid-body', model };
        }
        break;
      }
    }
    const timedOut = await waitFor(clock, waitMs, options.timeoutMs, options.signal);
    if (timedOut) return { kind: 'network', error: 'timeout', message: timedOut, model };
    if (broken || reply.kind !== 'response') return broken!;
    // A skeleton error reply carries what interpretAnswer would read back out of its JSON body.
    if (reply.error?.message) return errorOutcome(reply.status, reply.headers, model, reply.error, '');
    // A whole skeleton success carries its usage: what interpretAnswer would read from its body.
    if (reply.usageTokens !== undefined && !req.stream)
      return successOutcome(reply.status, reply.headers, model, reply.usageTokens);
    const text = reply.parts.length === 1 ? reply.parts[0]!.data : reply.parts.map((p) => p.data).join('');
    return interpretAnswer(reply.status, reply.headers, text, req, model);
  };
}

/**
 * What the upstream would parse from the HTTP request the transport sends for this attempt (same token
 * counts: same decisions, so simulated and live runs meet the same faults and limits).
 */
function parsedAttempt(req: LogicalRequest, options: AttemptOptions, counter: TokenCounter): ParsedAttempt {
  // One literal per attempt, in one shape for all endpoints (spreading a shared base built two objects).
  const endpoint = req.endpoint;
  const chat = endpoint === 'chat.completions';
  return {
    endpoint,
    apiKey: req.apiKey,
    model: options.model,
    stream: endpoint !== 'embeddings' && req.stream,
    includeUsage: endpoint === 'responses' || (chat && req.stream),
    promptTokens: promptCount(counter, endpoint, req.promptTokens),
    maxTokens: chat ? req.maxTokens : endpoint === 'responses' ? Math.max(16, req.maxTokens) : 0,
    inputCount: 1,
    attemptKey: attemptKey(req, options),
  };
}

/** What the upstream counts for the synthetic prompt of `size` tokens sent to `endpoint`. */
function countPrompt(counter: TokenCounter, endpoint: LogicalRequest['endpoint'], size: number): number {
  const prompt = syntheticPrompt(size);
  if (endpoint === 'embeddings') return countEmbeddingInputTokens(prompt, counter);
  if (endpoint === 'responses') return countResponsesInputTokens(prompt, undefined, counter);
  return countChatPromptTokens([{ role: 'user', content: prompt }], counter);
}

/**
 * Every retry of a request (and many requests) carry the same prompt: each (counter, endpoint, size) is
 * counted once. Bounded: prompt sizes come from a distribution, a few thousand at most.
 */
const promptCounts = new Map<TokenCounter, Record<LogicalRequest['endpoint'], Map<number, number>>>();
function promptCount(counter: TokenCounter, endpoint: LogicalRequest['endpoint'], size: number): number {
  let byEndpoint = promptCounts.get(counter);
  if (!byEndpoint) {
    byEndpoint = { 'chat.completions': new Map(), embeddings: new Map(), responses: new Map() };
    promptCounts.set(counter, byEndpoint);
  }
  const bySize = byEndpoint[endpoint];
  let n = bySize.get(size);
  if (n === undefined) {
    if (bySize.size >= 10_000) bySize.clear();
    n = countPrompt(counter, endpoint, size);
    bySize.set(size, n);
  }
  return n;
}

/** Waits `ms` on the clock; returns why it stopped early (attempt timeout or caller abort), if it did. */
function waitFor(
  clock: Clock,
  ms: number,
  timeoutMs: number | undefined,
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  if (signal?.aborted) return Promise.resolve('aborted by the caller');
  const limit = timeoutMs !== undefined && timeoutMs < ms ? timeoutMs : undefined;
  if (ms <= 0 && limit === undefined) return Promise.resolve(undefined);
  if (!signal) {
    return new Promise((resolve) =>
      clock.setTimeout(
        () => resolve(limit !== undefined ? `no answer within ${timeoutMs} ms` : undefined),
        limit ?? ms,
      ),
    );
  }
  return new Promise((resolve) => {
    const aborted = () => {
      clock.clearTimeout(timer);
      resolve('aborted by the caller');
    };
    const timer = clock.setTimeout(() => {
      offAbort(signal, aborted);
      resolve(limit !== undefined ? `no answer within ${timeoutMs} ms` : undefined);
    }, limit ?? ms);
    onAbort(signal, aborted);
  });
}
