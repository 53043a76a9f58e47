import { describe, expect, it } from 'vitest';
import { startHttpFront } from '../../mock-upstream/fronts/http.ts';
import { Upstream } from '../../mock-upstream/upstream.ts';
import { upstreamConfigFrom } from '../../src/scenario/upstream-schema.ts';

/**
 * The journal keeps the `x-squall-request-id` a service forwarded, so attempts can be joined to logical
 * requests from /__squall/journal too (a service tried by hand against `squall serve`).
 */
describe('the mock upstream journal', () => {
  it('records the x-squall-request-id of each attempt that carried one, and nothing for the others', async () => {
    const upstream = new Upstream(upstreamConfigFrom('4', { latency: { fixed: '1ms' } }));
    const front = await startHttpFront(upstream, { port: 0 });
    try {
      const send = (id?: string) =>
        fetch(`${front.baseURL}/chat/completions`, {
          method: 'POST',
          headers: {
            authorization: 'Bearer sk-test-journal',
            'content-type': 'application/json',
            ...(id ? { 'x-squall-request-id': id } : {}),
          },
          body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
        }).then((r) => r.text());
      await send('r1');
      await send('r1');
      await send();
      const res = await fetch(front.baseURL.replace(/\/v1$/, '/__squall/journal'));
      const { entries } = (await res.json()) as { entries: Array<{ squallRequestId?: string }> };
      expect(entries.map((e) => e.squallRequestId)).toEqual(['r1', 'r1', undefined]);
    } finally {
      await front.close();
    }
  });
});
