import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The README's examples of pointing existing tools at `squall serve`, run for real. */
const BIN = fileURLToPath(new URL('../../bin/squall.mjs', import.meta.url));
let child: ChildProcess;
let baseURL: string;

beforeAll(async () => {
  child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--seed', '5'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  baseURL = await new Promise<string>((resolve) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
  });
});
afterAll(() => {
  child.kill('SIGTERM');
});

const hasLocust = await promisify(execFile)('locust', ['--version']).then(
  () => true,
  () => false,
);
if (!hasLocust)
  console.warn(
    '\n*** SKIPPED: the Locust example (no `locust`; .ci/run installs Debian python3-locust) ***\n',
  );

describe('existing tools against squall serve', () => {
  it.skipIf(!hasLocust)(
    'Locust: docs/examples/locustfile.py runs headless against the mock',
    async () => {
      const locustfile = fileURLToPath(new URL('../../docs/examples/locustfile.py', import.meta.url));
      const host = baseURL.replace(/\/v1$/, '');
      const { stdout, stderr } = await promisify(execFile)(
        'locust',
        // It stops itself after 5 requests (STOP_AFTER_REQUESTS); -t is only an upper bound, so a loaded
        // machine that fits no request into a few seconds still gets the same check.
        ['-f', locustfile, '--headless', '-u', '5', '-r', '5', '-t', '60s', '--host', host, '--only-summary'],
        { timeout: 90_000, env: { ...process.env, STOP_AFTER_REQUESTS: '5' } },
      );
      const out = stdout + stderr;
      const row = /POST\s+\/v1\/chat\/completions\s+(\d+)\s+(\d+)\(/.exec(out);
      expect(row, out).not.toBeNull();
      expect(Number(row![1])).toBeGreaterThanOrEqual(5);
      expect(Number(row![2])).toBe(0);
    },
    120_000,
  );

  it('curl: a forced 429 shows the status, retry-after-ms and the OpenAI error body', async () => {
    const { stdout } = await promisify(execFile)('curl', [
      '-s',
      '-i',
      `${baseURL}/chat/completions`,
      '-H',
      'authorization: Bearer sk-test',
      '-H',
      'x-squall-fault: 429',
      '-d',
      '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}',
    ]);
    expect(stdout).toMatch(/^HTTP\/1\.1 429/);
    expect(stdout).toMatch(/^retry-after-ms: \d+/im);
    expect(stdout).toMatch(/"code":"rate_limit_exceeded"/);
  });

  it('autocannon: a short load with no errors, and the journal and /metrics saw it', async () => {
    const r = await autocannon({
      url: `${baseURL}/chat/completions`,
      method: 'POST',
      headers: { authorization: 'Bearer sk-ac', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      // The default upstream answers in ~400 ms (lognormal): enough connections to finish in seconds.
      connections: 50,
      amount: 200,
    });
    expect(r.errors).toBe(0);
    expect(r['2xx'] + r.non2xx).toBe(200);
    const metrics = await (await fetch(`${baseURL.replace(/\/v1$/, '')}/metrics`)).text();
    const total = [...metrics.matchAll(/^squall_attempts_total\{[^}]*\} (\d+)/gm)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
    expect(total).toBeGreaterThanOrEqual(200);
  });
});
