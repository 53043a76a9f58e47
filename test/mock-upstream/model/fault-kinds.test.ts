import { describe, expect, it } from 'vitest';
import {
  BILLED_OUTCOMES,
  FAULT_KINDS,
  faultKindRow,
  outcomeRow,
} from '../../../mock-upstream/model/fault-kinds.ts';
import { statusOf } from '../../../mock-upstream/model/index.ts';

describe('the fault kind table', () => {
  it('lists the kinds in the order the fault draw walks them (status codes first, ascending)', () => {
    expect(FAULT_KINDS).toEqual([
      '400',
      '401',
      '404',
      '409',
      '429',
      '500',
      '502',
      '503',
      '504',
      'insufficient_quota',
      'request_too_large',
      'timeout',
      'reset',
      'reset_mid_body',
      'refuse',
      'malformed',
      'stream_cut',
      'stream_stall',
      'stream_stall_keepalive',
      'stream_malformed',
      'stream_error',
    ]);
  });

  it('gives every error status a body and every connection fault no status', () => {
    for (const kind of FAULT_KINDS) {
      const row = faultKindRow(kind);
      if (row.status !== undefined && row.status >= 400) expect(row.wireError, kind).toBeDefined();
      if (row.answer === 'hang' || row.answer === 'none') expect(row.status, kind).toBeUndefined();
      expect(statusOf(kind)).toBe(row.status);
    }
    expect(statusOf('ok')).toBe(200);
    expect(outcomeRow('ok').billed).toBe(true);
  });

  it('bills exactly the answers that carried generated work', () => {
    expect([...BILLED_OUTCOMES].sort()).toEqual(
      [
        'ok',
        'malformed',
        'reset_mid_body',
        'stream_cut',
        'stream_stall',
        'stream_stall_keepalive',
        'stream_malformed',
        'stream_error',
      ].sort(),
    );
  });
});
