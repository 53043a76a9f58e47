import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpFront, startHttpFront } from '../../mock-upstream/fronts/http.ts';
import { testUpstream } from '../helpers/upstream.ts';

let front: HttpFront;
beforeAll(async () => {
  front = await startHttpFront(testUpstream({ models: ['gpt-4o-mini', 'modèle-ü-✓'] }), { port: 0 });
});
afterAll(() => front.close());

describe('content-length over HTTP', () => {
  it('is the body length in bytes, for ASCII and non-ASCII model names, over many answers', async () => {
    for (const model of ['gpt-4o-mini', 'modèle-ü-✓']) {
      for (let i = 0; i < 20; i++) {
        const r = await fetch(`${front.baseURL}/chat/completions`, {
          method: 'POST',
          headers: { authorization: 'Bearer sk-test', 'content-type': 'application/json' },
          body: JSON.stringify({ model, messages: [{ role: 'user', content: `hello ${i}` }] }),
        });
        const bytes = Buffer.from(await r.arrayBuffer());
        expect(r.status).toBe(200);
        expect(Number(r.headers.get('content-length'))).toBe(bytes.length);
        expect(JSON.parse(bytes.toString('utf8')).model).toBe(model);
      }
    }
  });
});
