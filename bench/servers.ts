/**
 * Child process for bench/mock-throughput.ts: starts either the squall mock or a bare node:http server that
 * returns the same bytes, then prints its port. Running each server in its own process keeps autocannon
 * (in the parent) from competing with it for one event loop.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHttpFront } from '../mock-upstream/fronts/http.ts';
import { Upstream } from '../mock-upstream/upstream.ts';
import { upstreamConfigFrom } from '../src/scenario/upstream-schema.ts';

export const BENCH_UPSTREAM = upstreamConfigFrom('bench', {
  latency: { fixed: 0 },
  rate_limits: { requests_per_min: 100_000_000, tokens_per_min: 2_000_000_000 },
  capacity: { max_concurrent: 100_000, max_queue: 0 },
  // A schedule is configured, with every fault at 0%: the decision path runs in full.
  phases: [{ name: 'calm', start: 0, end: '24h', faults: { '429': 0, '500': 0, '503': 0, timeout: 0 } }],
});

const which = process.argv[2];
if (which === 'mock') {
  const front = await startHttpFront(new Upstream(BENCH_UPSTREAM), { port: 0 });
  process.send?.({ port: front.port });
} else if (which === 'bare') {
  const { status, headers, body } = JSON.parse(process.argv[3]!) as {
    status: number;
    headers: Record<string, string>;
    body: string;
  };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
}
