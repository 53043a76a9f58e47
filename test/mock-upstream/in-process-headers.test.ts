import { describe, expect, it } from 'vitest';
import { createInProcessFetch } from '../../mock-upstream/fronts/in-process.ts';
import type { ParsedAttempt } from '../../mock-upstream/types.ts';
import { VirtualClock } from '../../src/sim/clock.ts';
import { CHAT, testUpstream } from '../helpers/upstream.ts';

/**
 * The in-process front reads request headers without building a `Headers` when it is handed a plain
 * record already in canonical form (what squall's driver passes). Whatever form the headers come in, the
 * upstream must read the same values a `Headers` would give, and a bad header must fail as fetch fails.
 */
const URL_ = 'http://squall.local/v1/chat/completions';

async function seenBy(
  headers: HeadersInit,
): Promise<Pick<ParsedAttempt, 'apiKey' | 'attemptKey' | 'retryCount'>> {
  const up = testUpstream({}, 'headers');
  const clock = new VirtualClock(0);
  let seen: ParsedAttempt | undefined;
  up.onDecision = (a) => {
    seen = a;
  };
  const f = createInProcessFetch(up, clock);
  const res = f(URL_, { method: 'POST', headers, body: JSON.stringify(CHAT) });
  await clock.run();
  expect((await res).status).toBe(200);
  return { apiKey: seen!.apiKey, attemptKey: seen!.attemptKey, retryCount: seen!.retryCount };
}

describe('in-process front: request headers', () => {
  const canonical = {
    authorization: 'Bearer sk-one',
    'x-squall-attempt-key': 'r1#2',
    'x-stainless-retry-count': '2',
  };
  const expected = { apiKey: 'sk-one', attemptKey: 'r1#2', retryCount: 2 };

  it('a canonical record, a Headers, pairs, and a record fetch would normalise all read the same', async () => {
    expect(await seenBy(canonical)).toEqual(expected);
    expect(await seenBy(new Headers(canonical))).toEqual(expected);
    expect(await seenBy(Object.entries(canonical))).toEqual(expected);
    // Upper-case names and padded values: not canonical, so they go through Headers and come out the same.
    expect(
      await seenBy({
        Authorization: '  Bearer sk-one\t',
        'X-Squall-Attempt-Key': 'r1#2',
        'x-stainless-retry-count': ' 2 ',
      }),
    ).toEqual(expected);
    // The same name twice in different case is one header with both values, as with Headers.
    expect((await seenBy({ ...canonical, 'X-Squall-Attempt-Key': 'r1#3' })).attemptKey).toBe(
      new Headers({ 'x-squall-attempt-key': 'r1#2', 'X-Squall-Attempt-Key': 'r1#3' }).get(
        'x-squall-attempt-key',
      ),
    );
  });

  it('a header fetch would refuse is refused with the same TypeError', async () => {
    const up = testUpstream({}, 'headers');
    const f = createInProcessFetch(up, new VirtualClock(0));
    const bads: Array<Record<string, string>> = [
      { 'bad name': 'x' },
      { 'x-a': 'line\nbreak' },
      { 'x-a': 'snow ☃' },
    ];
    for (const bad of bads) {
      const ours = await f(URL_, { method: 'POST', headers: bad, body: '{}' }).catch((e: unknown) => e);
      expect(ours).toBeInstanceOf(TypeError);
      // The platform's own verdict on the same header, for comparison.
      expect(() => new Headers(bad)).toThrow(TypeError);
    }
  });
});
