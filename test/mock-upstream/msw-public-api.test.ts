import { setupServer } from 'msw/node';
import OpenAI, { InternalServerError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpstream, squallHandlers } from '../../mock-upstream/index.ts';

/** The README's msw example, through the public entry point, with the SDK's default base URL. */
describe('squall/mock-upstream in a user test suite (msw)', () => {
  const upstream = createUpstream({
    seed: 1,
    upstream: {
      latency: { fixed: '0ms' },
      phases: [
        { name: 'down', start: '0s', end: '30s', faults: { '503': 1 }, scope: { api_keys: ['sk-unlucky'] } },
      ],
    },
  });
  const server = setupServer(...squallHandlers(upstream));
  beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
  afterAll(() => server.close());

  it('the SDK, pointed at api.openai.com as in production, meets the scheduled outage', async () => {
    const unlucky = new OpenAI({ apiKey: 'sk-unlucky', maxRetries: 0 });
    const e = await unlucky.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InternalServerError);
    expect((e as InternalServerError).status).toBe(503);
    const fine = new OpenAI({ apiKey: 'sk-fine', maxRetries: 0 });
    const ok = await fine.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(ok.choices[0]!.message.content!.length).toBeGreaterThan(0);
  });

  it('a bad upstream section is refused with the field named', () => {
    expect(() => createUpstream({ seed: 1, upstream: { latency: { fixed: 'soon' } } })).toThrow(
      /upstream:\d+:\d+ {2}latency\.fixed: expected a duration, found "soon"/,
    );
  });
});
