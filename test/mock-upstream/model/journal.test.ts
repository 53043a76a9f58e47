import { describe, expect, it } from 'vitest';
import { Journal, type JournalEntry, maskApiKey } from '../../../mock-upstream/model/journal.ts';

function entry(i: number): Omit<JournalEntry, 'seq'> {
  return {
    atMs: i * 10,
    requestId: `req_${i}`,
    apiKey: 'sk-ab...yz',
    model: 'gpt-4o-mini',
    endpoint: 'chat.completions',
    promptTokens: 10,
    maxTokens: 20,
    stream: false,
    outcome: 'ok',
    reason: 'ok',
    phases: [],
    latencyMs: 5,
  };
}

function filled(size: number, n: number): Journal {
  const j = new Journal(size);
  for (let i = 1; i <= n; i++) j.add(entry(i));
  return j;
}

describe('Journal', () => {
  it('keeps only the last `size` entries, numbered from 1', () => {
    const j = filled(5, 12);
    expect(j.list().map((e) => e.seq)).toEqual([8, 9, 10, 11, 12]);
    expect(j.list().map((e) => e.requestId)).toEqual(['req_8', 'req_9', 'req_10', 'req_11', 'req_12']);
    expect([j.total, j.size, j.capacity]).toEqual([12, 5, 5]);
  });

  it.each([
    { o: {}, seqs: [8, 9, 10, 11, 12] },
    { o: { limit: 2 }, seqs: [11, 12] },
    { o: { sinceSeq: 9 }, seqs: [10, 11, 12] },
    { o: { sinceSeq: 0, limit: 2 }, seqs: [8, 9] },
    { o: { sinceSeq: 9, limit: 1 }, seqs: [10] },
    { o: { sinceSeq: 12 }, seqs: [] },
    { o: { limit: 0 }, seqs: [] },
  ])('lists $o', ({ o, seqs }) => {
    expect(
      filled(5, 12)
        .list(o)
        .map((e) => e.seq),
    ).toEqual(seqs);
  });

  it('clear() drops entries but sequence numbers keep counting', () => {
    const j = filled(5, 3);
    j.clear();
    expect(j.list()).toEqual([]);
    j.add(entry(4));
    expect(j.list().map((e) => e.seq)).toEqual([4]);
    expect(j.size).toBe(1);
  });

  it('a zero-size journal keeps nothing but still counts', () => {
    const j = filled(0, 3);
    expect([j.list(), j.total]).toEqual([[], 3]);
  });
});

describe('maskApiKey', () => {
  // The kind of key, then the first 8 hex digits of its SHA-256: stable, distinct, nothing of the key.
  it.each([
    { key: 'sk-abcdefghijklmnopqrstuvwxyz', masked: 'sk-…693f5072' },
    { key: 'sk-proj-1234567890', masked: 'sk-proj-…ff17bbb3' },
    { key: 'short', masked: '…f9b0078b' },
    { key: '', masked: '***' },
  ])('$key → $masked', ({ key, masked }) => {
    expect(maskApiKey(key)).toBe(masked);
  });

  it('short test keys are told apart (they all showed as *** before)', () => {
    expect(new Set(['sk-a', 'sk-b', 'sk-test', 'sk-cli'].map(maskApiKey)).size).toBe(4);
  });

  it('keeps any request id exactly: short, 40 bytes, longer, non-Latin-1, and after a slot is reused', () => {
    const j = new Journal(3);
    const ids = [
      'req_0123456789abcdef0123456789abcdef',
      'x'.repeat(40),
      `key-${'y'.repeat(60)}`,
      'ключ#1',
      '#7',
      '',
    ];
    const seen: string[] = [];
    for (const requestId of ids) {
      j.add({ ...entry(1), requestId });
      seen.push(j.list({ limit: 1 })[0]!.requestId);
    }
    expect(seen).toEqual(ids);
    expect(j.list().map((e) => e.requestId)).toEqual(ids.slice(-3));
  });
});
