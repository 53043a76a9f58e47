import { describe, expect, it } from 'vitest';
import { synthEmbedding, synthText, synthTokens } from '../../../mock-upstream/wire/content.ts';
import {
  chatCompletionId,
  messageItemId,
  requestId,
  responseId,
  systemFingerprint,
} from '../../../mock-upstream/wire/ids.ts';
import { Rng } from '../../../src/sim/rng.ts';

describe('synthTokens', () => {
  it.each([0, 1, 2, 7, 100, 1000])('returns exactly %d pieces', (n) => {
    expect(synthTokens(new Rng('s').fork('content'), n)).toHaveLength(n);
  });

  it('is the same for the same seed and differs for another', () => {
    const a = synthTokens(new Rng('seed-1'), 50);
    expect(synthTokens(new Rng('seed-1'), 50)).toEqual(a);
    expect(synthTokens(new Rng('seed-2'), 50)).not.toEqual(a);
  });

  it('pins the text for a fixed seed (a change here changes every recorded transcript)', () => {
    expect(synthText(new Rng('pinned'), 12)).toMatchInlineSnapshot(
      `"Can outage a, stream always. This retry before recovers."`,
    );
  });

  it('reads as sentences: no leading space, words after the first start with one, ends with a full stop', () => {
    const pieces = synthTokens(new Rng('prose'), 200);
    expect(pieces[0]).toMatch(/^[A-Z][a-z]*$/);
    for (const p of pieces.slice(1)) expect(p).toMatch(/^( [A-Za-z]+|[.,])$/);
    expect(pieces.at(-1)).toBe('.');
    const text = pieces.join('');
    expect(text).not.toMatch(/ {2}|[.,][.,]/);
    // After a full stop the next word is capitalised.
    for (const m of text.matchAll(/\. (\w)/g)) expect(m[1]).toMatch(/[A-Z]/);
    expect(pieces.filter((p) => p === ',').length).toBeGreaterThan(0);
  });
});

describe('synthEmbedding', () => {
  it.each([1, 8, 256, 1536])('is a unit vector of %d dimensions', (dims) => {
    const v = synthEmbedding(new Rng('e'), dims);
    expect(v).toHaveLength(dims);
    expect(Math.hypot(...v)).toBeCloseTo(1, 12);
  });

  it('is deterministic per seed and not constant', () => {
    const a = synthEmbedding(new Rng('e1'), 16);
    expect(synthEmbedding(new Rng('e1'), 16)).toEqual(a);
    expect(new Set(a).size).toBe(16);
  });
});

describe('ids', () => {
  it('hex ids (request, response, message) are lowercase hex digits, evenly spread', () => {
    const rng = new Rng('hex');
    expect(requestId(rng)).toMatch(/^req_[0-9a-f]{32}$/);
    expect(responseId(rng)).toMatch(/^resp_[0-9a-f]{48}$/);
    expect(messageItemId(rng)).toMatch(/^msg_[0-9a-f]{48}$/);
    const counts = new Map<string, number>();
    for (let i = 0; i < 5_000; i++)
      for (const ch of requestId(rng).slice(4)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(16);
    // 10,000 expected per digit; 5 sigma is ~490.
    for (const n of counts.values()) expect(Math.abs(n - 10_000)).toBeLessThan(500);
  });

  it.each([
    ['request id', requestId, /^req_[0-9a-f]{32}$/],
    ['chat completion id', chatCompletionId, /^chatcmpl-[A-Za-z0-9]{29}$/],
    ['response id', responseId, /^resp_[0-9a-f]{48}$/],
    ['message item id', messageItemId, /^msg_[0-9a-f]{48}$/],
  ] as const)('%s has the real shape and repeats per seed', (_name, make, shape) => {
    const first = make(new Rng('ids'));
    expect(first).toMatch(shape);
    expect(make(new Rng('ids'))).toBe(first);
    const rng = new Rng('ids');
    expect(make(rng)).not.toBe(make(rng));
  });

  it('gives each model one stable fingerprint', () => {
    expect(systemFingerprint('gpt-4o-mini')).toMatch(/^fp_[0-9a-f]{10}$/);
    expect(systemFingerprint('gpt-4o-mini')).toBe(systemFingerprint('gpt-4o-mini'));
    expect(systemFingerprint('gpt-4o')).not.toBe(systemFingerprint('gpt-4o-mini'));
  });
});
