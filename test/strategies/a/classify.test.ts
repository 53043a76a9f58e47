import { describe, expect, it } from 'vitest';
import { type ClassifyOptions, classify, isRetryable } from '../../../src/strategies/classify.ts';
import type { AttemptOutcome } from '../../../src/strategies/types.ts';
import { network, response } from './harness.ts';

const quota429 = response(429, {
  errorType: 'insufficient_quota',
  errorCode: 'insufficient_quota',
  errorMessage: 'You exceeded your current quota, please check your plan and billing details.',
});
const tooLarge429 = response(429, {
  errorType: 'tokens',
  errorCode: 'rate_limit_exceeded',
  errorMessage:
    'Request too large for gpt-4o in organization org-x on tokens per min (TPM): Limit 30000, Requested 34307.',
});
const rateLimit429 = response(429, {
  errorType: 'requests',
  errorCode: 'rate_limit_exceeded',
  errorMessage: 'Rate limit reached for gpt-4o-mini in organization org-x on requests per min (RPM).',
});
const credit429 = response(429, { errorType: 'rate_limit_error', errorCode: 'credit_balance_exhausted' });

const cases: Array<[string, AttemptOutcome, ClassifyOptions, string]> = [
  ['200 is a success', response(200), {}, 'success'],
  ['201 is a success', response(201), {}, 'success'],
  ['400 bad request is a client error', response(400), {}, 'client'],
  ['401 bad key is a client error', response(401), {}, 'client'],
  ['403 forbidden is a client error', response(403), {}, 'client'],
  ['404 unknown model is a client error', response(404), {}, 'client'],
  ['422 is a client error', response(422), {}, 'client'],
  ['408 request timeout is transient', response(408), {}, 'transient'],
  ['409 lock timeout is transient', response(409), {}, 'transient'],
  ['429 rate limit is transient', rateLimit429, {}, 'transient'],
  ['500 is transient', response(500), {}, 'transient'],
  ['502 is transient', response(502), {}, 'transient'],
  ['503 is transient', response(503), {}, 'transient'],
  ['504 is transient', response(504), {}, 'transient'],
  ['529 overloaded is transient (any 5xx)', response(529), {}, 'transient'],
  ['429 insufficient_quota is a client error', quota429, {}, 'client'],
  [
    '429 insufficient_quota as type only is a client error',
    response(429, { errorType: 'insufficient_quota' }),
    {},
    'client',
  ],
  ['429 "Request too large" is a client error', tooLarge429, {}, 'client'],
  ['429 credit_balance_exhausted is a client error', credit429, {}, 'client'],
  [
    '429 insufficient_quota is transient when retryQuota429 (openai SDK)',
    quota429,
    { retryQuota429: true },
    'transient',
  ],
  ['429 too large is transient when retryQuota429', tooLarge429, { retryQuota429: true }, 'transient'],
  [
    'x-should-retry: true makes a 400 transient',
    response(400, { headers: { 'x-should-retry': 'true' } }),
    {},
    'transient',
  ],
  [
    'x-should-retry: false makes a 500 a client error',
    response(500, { headers: { 'x-should-retry': 'false' } }),
    {},
    'client',
  ],
  [
    'X-Should-Retry is read whatever its casing',
    response(503, { headers: { 'X-Should-Retry': 'FALSE' } }),
    {},
    'client',
  ],
  [
    'x-should-retry: true even retries a quota 429',
    { ...quota429, headers: { 'x-should-retry': 'true' } } as AttemptOutcome,
    {},
    'transient',
  ],
  [
    'x-should-retry is ignored when not honoured',
    response(500, { headers: { 'x-should-retry': 'false' } }),
    { honourShouldRetryHeader: false },
    'transient',
  ],
  [
    'x-should-retry never turns a 2xx into a failure',
    response(200, { headers: { 'x-should-retry': 'true' } }),
    {},
    'success',
  ],
  [
    'clientStatuses overrides the transient list (langchain: no retry on 409)',
    response(409),
    { clientStatuses: [400, 401, 402, 403, 404, 405, 406, 407, 408, 409] },
    'client',
  ],
  ['a custom transient list can drop 408', response(408), { transientStatuses: [429, 503] }, 'client'],
  ['a custom transient list can add 400', response(400), { transientStatuses: [400] }, 'transient'],
  ['5xx stay transient without being listed', response(500), { transientStatuses: [429] }, 'transient'],
  ['connection reset is a network error', network('reset'), {}, 'network'],
  ['connection refused is a network error', network('refused'), {}, 'network'],
  ['DNS failure is a network error', network('dns'), {}, 'network'],
  ['our own timeout is a network error', network('timeout'), {}, 'network'],
  ['a broken stream is a network error', network('stream'), {}, 'network'],
];

describe('classify', () => {
  it.each(cases)('%s', (_name, outcome, options, expected) => {
    expect(classify(outcome, options)).toBe(expected);
  });

  it('isRetryable is true exactly for transient and network outcomes', () => {
    for (const [, outcome, options, expected] of cases) {
      expect(isRetryable(outcome, options)).toBe(expected === 'transient' || expected === 'network');
    }
  });
});
