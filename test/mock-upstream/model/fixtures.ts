import type { ParsedAttempt, UpstreamConfig } from '../../../mock-upstream/types.ts';

/** A permissive upstream: huge limits and capacity, fixed latency, no schedule. Tests narrow what they need. */
export function upstreamConfig(patch: Partial<UpstreamConfig> = {}): UpstreamConfig {
  return {
    seed: 'model-test',
    models: [],
    apiKeys: [],
    rateLimits: { requestsPerMin: 1e9, tokensPerMin: 1e12 },
    defaultMaxTokens: 256,
    tokenCounter: 'estimate',
    latency: { kind: 'fixed', ms: 100 },
    stream: { ttft: { kind: 'fixed', ms: 50 }, tokensPerSec: 100, jitter: 0.2 },
    completionTokens: { medianTokens: 40, p99Tokens: 200 },
    capacity: { maxConcurrent: 1_000_000, maxQueue: 0 },
    phases: [],
    incidents: [],
    maxHangMs: 30_000,
    streamFaults: { cutAfterChunks: 3, stallAfterChunks: 3, keepAliveEveryMs: 1000 },
    maxBodyBytes: 1_000_000,
    journalSize: 100,
    rateLimitHeaders: true,
    ...patch,
  };
}

export function chatAttempt(patch: Partial<ParsedAttempt> = {}): ParsedAttempt {
  return {
    endpoint: 'chat.completions',
    apiKey: 'sk-test-key-aaaa',
    model: 'gpt-4o-mini',
    stream: false,
    includeUsage: false,
    promptTokens: 100,
    maxTokens: 256,
    inputCount: 1,
    ...patch,
  };
}
