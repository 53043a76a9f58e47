/**
 * Throughput of the mock upstream vs a bare node:http server returning the same bytes, in one run.
 * Goal (issue 2): the mock serves at least 0.8x the bare server's requests/second.
 *
 *   node bench/mock-throughput.ts [--duration 10] [--connections 50] [--rounds 5]
 *
 * The machines are shared and noisy: rounds alternate bare and mock, and the ratio reported is the median
 * of each round's own ratio (paired, so a slow minute hits both servers of a round alike).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const durationSec = arg('duration', 10);
const connections = arg('connections', 50);
const rounds = arg('rounds', 5);
const serversPath = fileURLToPath(new URL('./servers.ts', import.meta.url));

const body = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say hello to the benchmark' }],
  max_tokens: 64,
});
const headers = { authorization: 'Bearer sk-bench', 'content-type': 'application/json' };

function start(kind: 'mock' | 'bare', sample?: string): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(serversPath, sample ? [kind, sample] : [kind], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (m) => resolve({ child, port: (m as { port: number }).port }));
    child.once('error', reject);
  });
}

async function load(port: number) {
  const r = await autocannon({
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    method: 'POST',
    headers,
    body,
    connections,
    duration: durationSec,
  });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

const mock = await start('mock');
const sampleRes = await fetch(`http://127.0.0.1:${mock.port}/v1/chat/completions`, {
  method: 'POST',
  headers,
  body,
});
const sample = JSON.stringify({
  status: sampleRes.status,
  headers: Object.fromEntries(
    [...sampleRes.headers].filter(
      ([k]) => !['content-length', 'date', 'connection', 'keep-alive'].includes(k),
    ),
  ),
  body: await sampleRes.text(),
});
const bare = await start('bare', sample);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results = {
  mock: [] as Awaited<ReturnType<typeof load>>[],
  bare: [] as Awaited<ReturnType<typeof load>>[],
};
// Alternate the two so machine noise hits both alike; report medians over the rounds.
for (let i = 0; i < rounds; i++) {
  results.bare.push(await load(bare.port));
  results.mock.push(await load(mock.port));
}
mock.child.kill();
bare.child.kill();

const row = (name: string, rs: Awaited<ReturnType<typeof load>>[]) => ({
  server: name,
  'req/s (median)': Math.round(median(rs.map((r) => r.rps))),
  'p50 ms': median(rs.map((r) => r.p50)),
  'p99 ms': median(rs.map((r) => r.p99)),
  'non-2xx': rs.reduce((s, r) => s + r.non2xx, 0),
  errors: rs.reduce((s, r) => s + r.errors, 0),
});
const table = [row('bare node:http', results.bare), row('squall mock', results.mock)];
console.table(table);
const ratios = results.mock.map((m, i) => m.rps / results.bare[i]!.rps);
const ratio = median(ratios);
console.log(
  `node ${process.version}, ${connections} connections, ${durationSec}s x ${rounds} rounds each; ` +
    `mock/bare throughput ratio per round: ${ratios.map((r) => r.toFixed(2)).join(' ')}; median ${ratio.toFixed(2)} (goal >= 0.80)`,
);
