import { describe, expect, it } from 'vitest';
import { rateLimitHeaders, responseHeaders, retryAfterHeaders } from '../../../mock-upstream/wire/headers.ts';

const snapshot = {
  limitRequests: 60,
  remainingRequests: 59,
  resetRequestsMs: 1000,
  limitTokens: 150_000,
  remainingTokens: 149_984,
  resetTokensMs: 360_000,
};

describe('responseHeaders', () => {
  it('carries the headers api.openai.com sends on every answer', () => {
    expect(
      responseHeaders({ requestId: 'req_abc', processingMs: 1032.4, contentType: 'application/json' }),
    ).toEqual({
      'content-type': 'application/json',
      'x-request-id': 'req_abc',
      'openai-processing-ms': '1032',
      'openai-version': '2020-10-01',
      'openai-organization': 'squall-mock',
      'access-control-expose-headers': 'X-Request-ID',
    });
  });

  it('adds the six x-ratelimit headers only when given a snapshot (the docs sample values)', () => {
    const h = responseHeaders({ requestId: 'r', processingMs: 5, contentType: 'x', rateLimit: snapshot });
    expect(h).toMatchObject({
      'x-ratelimit-limit-requests': '60',
      'x-ratelimit-limit-tokens': '150000',
      'x-ratelimit-remaining-requests': '59',
      'x-ratelimit-remaining-tokens': '149984',
      'x-ratelimit-reset-requests': '1s',
      'x-ratelimit-reset-tokens': '6m0s',
    });
    expect(
      Object.keys(responseHeaders({ requestId: 'r', processingMs: 5, contentType: 'x' })).join(),
    ).not.toMatch(/ratelimit/);
  });

  it.each([
    [12, '12ms'],
    [1146, '1.146s'],
    [172_800, '2m52.8s'],
    [0, '0s'],
    [-5, '0s'],
  ])('formats a reset of %d ms as the Go duration %s', (ms, text) => {
    expect(rateLimitHeaders({ ...snapshot, resetTokensMs: ms })['x-ratelimit-reset-tokens']).toBe(text);
  });

  it.each([
    [149_983.7, '149983'],
    [0.4, '0'],
    [-12.5, '0'],
  ])('floors remaining %d to %s and never goes negative', (remaining, text) => {
    expect(
      rateLimitHeaders({ ...snapshot, remainingTokens: remaining })['x-ratelimit-remaining-tokens'],
    ).toBe(text);
  });
});

describe('retryAfterHeaders', () => {
  it.each([
    [1000, '1', '1000'],
    [1146.4, '2', '1146'],
    [84, '1', '84'],
    [0, '1', '0'],
    [59_500, '60', '59500'],
  ])('%d ms → retry-after %s (integer ≥ 1, rounded up), retry-after-ms %s', (ms, seconds, millis) => {
    expect(retryAfterHeaders(ms)).toEqual({ 'retry-after': seconds, 'retry-after-ms': millis });
  });
});
