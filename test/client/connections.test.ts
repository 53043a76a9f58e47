import { describe, expect, it } from 'vitest';
import { releaseAfterBody } from '../../src/client/connections.ts';
import type { ClientConfig } from '../../src/client/types.ts';
import { runStrategySim } from '../../src/runner/run-strategy.ts';
import { upstreamConfigFrom } from '../../src/scenario/upstream-schema.ts';
import { userStrategy } from '../../src/strategies/adapters/user-module.ts';
import { createTraffic, DEFAULT_MIX } from '../../src/traffic/index.ts';

function streamed(): { res: Response; push(text: string): void; end(): void; fail(): void } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  return {
    res: new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
    push: (text) => controller.enqueue(new TextEncoder().encode(text)),
    end: () => controller.close(),
    fail: () => controller.error(new Error('cut')),
  };
}

describe('a fetch answer holds its pooled connection until its body is done', () => {
  it('released at the end of the body, not when the head arrives', async () => {
    let released = 0;
    const s = streamed();
    const res = releaseAfterBody(s.res, () => released++);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    s.push('data: a\n\n');
    const reader = res.body!.getReader();
    await reader.read();
    expect(released).toBe(0);
    s.end();
    expect((await reader.read()).done).toBe(true);
    expect(released).toBe(1);
  });

  it('released once when the reader cancels, the stream breaks or the request is aborted', async () => {
    let released = 0;
    const a = streamed();
    await releaseAfterBody(a.res, () => released++).body!.cancel();
    const b = streamed();
    const broken = releaseAfterBody(b.res, () => released++);
    b.fail();
    await expect(broken.text()).rejects.toThrow();
    const ac = new AbortController();
    const c = streamed();
    releaseAfterBody(c.res, () => released++, ac.signal);
    ac.abort();
    ac.abort();
    expect(released).toBe(3);
  });

  it('a stalled stream holds its connection in a run: the next caller finds none (fetch path, virtual time)', async () => {
    const client: ClientConfig = {
      sleep: 'async',
      queue: { max: 10, timeoutMs: 1000 },
      connections: 1,
      connectionQueue: { max: 10, timeoutMs: 1000 },
      otherTraffic: [],
    };
    // Every stream stalls after a few chunks and is held until max_hang (5 s).
    const strategy = userStrategy('streams', async (req, ctx) => {
      try {
        const res = await ctx.fetch(`${ctx.baseURL}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${req.apiKey}` },
          body: JSON.stringify({
            model: req.model,
            messages: [{ role: 'user', content: 'hi' }],
            stream: true,
          }),
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        });
        await res.text();
        return { ok: true, result: 'success', attempts: 1 };
      } catch {
        return { ok: false, result: 'failed_network', attempts: 1 };
      }
    });
    const r = await runStrategySim({
      strategy,
      usesGlobals: false,
      traffic: createTraffic(
        {
          model: 'open',
          arrivals: { kind: 'constant', ratePerSec: 2 },
          mix: { ...DEFAULT_MIX, streamFraction: 1 },
        },
        2000,
        'st',
      ),
      upstream: upstreamConfigFrom('st', {
        latency: { fixed: '10ms' },
        max_hang: '5s',
        phases: [{ start: 0, end: '1h', faults: { stream_stall: 1 } }],
      }),
      seed: 'st',
      durationMs: 2000,
      drainMs: 20_000,
      requestDeadlineMs: 30_000,
      faultWindows: [],
      client,
    });
    const c = r.summary.client!.connections!;
    // The first stream holds the only connection for 5 s; the three after it wait 1 s and are refused.
    expect(r.summary.requests.offered).toBe(4);
    expect(c.refused).toBe(3);
    expect(r.summary.attempts.total).toBe(1);
  });
});
