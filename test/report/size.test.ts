import { describe, expect, it } from 'vitest';
import { renderCompareHtml, renderHtml } from '../../src/report/index.ts';
import type { RunPayload } from '../../src/report/payload.ts';
import { syntheticResult } from './helpers.ts';

const MB = 1024 * 1024;

function embedded(html: string): RunPayload {
  const m = html.match(/<script type="application\/json" id="squall-data">([\s\S]*?)<\/script>/)!;
  return (JSON.parse(m[1]!) as { run: RunPayload }).run;
}

describe('report size', () => {
  it('6 strategies × 2 hours at 1 s resolution stays under 2 MB', () => {
    const result = syntheticResult({ strategies: 6, seconds: 7200 });
    const html = renderHtml(result);
    expect(Buffer.byteLength(html)).toBeLessThan(2 * MB);
    // The compare page carries two runs' series.
    expect(Buffer.byteLength(renderCompareHtml(result, result))).toBeLessThan(2 * MB);
  });

  it('keeps a one-second spike of a long run visible after downsampling', () => {
    const result = syntheticResult({ strategies: 6, seconds: 7200 });
    const series = result.strategies[3]!.summary.series;
    series.attempted[4321] = 99_999;
    series.offered[1234] = 0;
    const run = embedded(renderHtml(result));
    expect(run.axis.bucketS).toBeGreaterThan(1);
    expect(Math.max(...(run.strategies[3]!.series.attempted as number[]))).toBe(99_999);
    expect(run.strategies[3]!.series.offered).toContain(0);
    // The spike is drawn inside its bucket.
    const at = run.strategies[3]!.series.attempted.indexOf(99_999);
    expect(run.axis.t[at]!).toBeGreaterThan(4321 - run.axis.bucketS);
    expect(run.axis.t[at]!).toBeLessThan(4321 + run.axis.bucketS);
  });
});
