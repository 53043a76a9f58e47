import { describe, expect, it } from 'vitest';
import type { Reply } from '../../mock-upstream/types.ts';
import { testUpstream } from '../helpers/upstream.ts';

const body = (content: string, extra: object = {}) =>
  JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], ...extra });

function status(r: Reply): number | string {
  return r.kind === 'response' ? r.status : r.kind;
}

describe('parsed bodies remembered by text', () => {
  it('a repeated body is answered exactly as a fresh upstream answers it, headers read per request', () => {
    const cached = testUpstream();
    const fresh = () => testUpstream();
    const text = body('Say hello', { max_tokens: 7 });
    // Warm the cache, then send the same text with different per-request headers.
    cached.handle(
      {
        method: 'POST',
        path: '/v1/chat/completions',
        headers: { authorization: 'Bearer sk-a' },
        bodyText: text,
      },
      0,
    );
    const headers = {
      authorization: 'Bearer sk-b',
      'x-squall-attempt-key': 'r1#2',
      'x-stainless-retry-count': '1',
    };
    const again = cached.handle(
      { method: 'POST', path: '/v1/chat/completions', headers, bodyText: text },
      10,
    );
    const first = fresh();
    first.handle(
      {
        method: 'POST',
        path: '/v1/chat/completions',
        headers: { authorization: 'Bearer sk-a' },
        bodyText: text,
      },
      0,
    );
    const expected = first.handle(
      { method: 'POST', path: '/v1/chat/completions', headers, bodyText: text },
      10,
    );
    expect(status(again)).toBe(200);
    expect(again.kind === 'response' && again.parts[0]!.data).toBe(
      expected.kind === 'response' && expected.parts[0]!.data,
    );
    const last = cached.journal.list({ limit: 1 })[0]!;
    expect([last.apiKey, last.retryCount, last.maxTokens]).toEqual(['sk-…18519d64', 1, 7]);
  });

  it('bad bodies stay errors on every sending, and the cache stays bounded and correct past its size', () => {
    const u = testUpstream();
    const send = (bodyText: string) =>
      u.handle(
        {
          method: 'POST',
          path: '/v1/chat/completions',
          headers: { authorization: 'Bearer sk-test' },
          bodyText,
        },
        0,
      );
    expect(status(send('{"model":'))).toBe(400);
    expect(status(send('{"model":'))).toBe(400);
    const texts = Array.from({ length: 300 }, (_, i) => body(`prompt number ${i} ${'x'.repeat(i)}`));
    for (const t of texts) expect(status(send(t))).toBe(200);
    // Prompt tokens grow with the prompt: each text was parsed as itself, not confused with another.
    const tokens = u.journal.list({ limit: 300 }).map((e) => e.promptTokens);
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]!).toBeGreaterThanOrEqual(tokens[i - 1]!);
    expect(tokens.at(-1)!).toBeGreaterThan(tokens[0]! + 60);
    expect(status(send(texts[0]!))).toBe(200);
    expect(u.journal.list({ limit: 1 })[0]!.promptTokens).toBe(tokens[0]);
  });
});
