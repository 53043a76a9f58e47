import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isLoopback } from '../../src/cli/commands/serve.ts';

// Each test here starts squall processes; on a 2-core machine shared by several test runs one start can
// take a minute (two runs of these files beside eight people's work: a test of two starts took over
// 120 s). The tests wait for what the process does, never for the clock, so only this generous limit
// depends on the machine's load.
vi.setConfig({ testTimeout: 300_000 });

const BIN = fileURLToPath(new URL('../../bin/squall.mjs', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

function squall(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  // 'close', not 'exit': only then has every byte of output been read.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const nl = stdout.indexOf('\n');
      if (nl >= 0) resolve(stdout.slice(0, nl));
    });
    child.on('exit', () => reject(new Error(`exited before printing a line; stderr: ${stderr}`)));
  });
  firstLine.catch(() => {}); // tests that expect an early exit never read it
  return { child, exited, firstLine, out: () => stdout, err: () => stderr };
}

describe('squall serve', () => {
  it('prints its base URL first, serves the SDK wire format, and shuts down cleanly on SIGTERM', async () => {
    const s = squall(['serve', '--port', '0', '--seed', '3']);
    const url = await s.firstLine;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const r = await fetch(`${url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-cli' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-request-id')).toMatch(/^req_/);
    // A hung request must not keep the server from stopping.
    const hung = fetch(`${url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-cli', 'x-squall-fault': 'timeout' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    }).catch((e: Error) => e);
    await new Promise((res) => setTimeout(res, 100));
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(await hung).toBeInstanceOf(Error);
  });

  it('loads the upstream from a scenario file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'squall-'));
    const file = join(dir, 'down.yaml');
    writeFileSync(
      file,
      'seed: 9\nupstream:\n  phases:\n    - { name: down, start: 0s, end: 1h, faults: { "503": 1 } }\n',
    );
    const s = squall(['serve', '--port', '0', '--scenario', file]);
    const url = await s.firstLine;
    const r = await fetch(`${url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-cli' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(r.status).toBe(503);
    s.child.kill('SIGINT');
    expect(await s.exited).toBe(0);
  });

  it('refuses a broken scenario file at start, naming every problem with file:line:col and a hint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'squall-'));
    const file = join(dir, 'broken.yaml');
    writeFileSync(
      file,
      [
        'seed: 1',
        'upstream:',
        '  rate_limts: { requests_per_min: 60 }',
        '  phases:',
        '    - name: backwards',
        '      start: 10m',
        '      end: 5m',
        '      faults: { "503": 2, "meteor": 0.1 }',
        '  latency: { median: soon, p99: 2s }',
        '',
      ].join('\n'),
    );
    const s = squall(['serve', '--port', '0', '--scenario', file]);
    expect(await s.exited).toBe(64);
    const err = s.err();
    expect(err).toContain(`${file}:3:3  upstream.rate_limts: unknown key "rate_limts"`);
    expect(err).toContain('did you mean `rate_limits`?');
    expect(err).toMatch(/:7:\d+ {2}upstream\.phases\.0\.end: a phase must end after it starts/);
    expect(err).toMatch(/upstream\.phases\.0\.faults\.503: expected a probability/);
    expect(err).toMatch(/unknown fault kind "meteor"/);
    expect(err).not.toMatch(/\n\s+at /); // no stack trace for a user mistake
    expect(s.out()).toBe('');
  });

  it('a missing scenario file is a clear error with exit code 64', async () => {
    const s = squall(['serve', '--scenario', '/nonexistent/x.yaml']);
    expect(await s.exited).toBe(64);
    expect(s.err()).toMatch(/cannot read the file \(ENOENT\)/);
  });

  it('--help shows an example', async () => {
    const s = squall(['serve', '--help']);
    expect(await s.exited).toBe(0);
    expect(s.out()).toMatch(/Examples:\n\s+\$ squall serve/);
  });
});

describe('squall serve: exposure and the control API', () => {
  const chat = (url: string, key: string) =>
    fetch(`${url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });

  it('refuses an empty --control-token (it would leave the control API open)', async () => {
    for (const token of ['', '  ']) {
      const s = squall(['serve', '--port', '0', '--control-token', token]);
      expect(await s.exited).toBe(64);
      expect(s.err()).toMatch(/--control-token: empty; the control API would be open/);
      expect(s.out()).toBe('');
    }
  });

  it('refuses a non-loopback --host without a control token, saying how to go on', async () => {
    const s = squall(['serve', '--port', '0', '--host', '0.0.0.0']);
    expect(await s.exited).toBe(64);
    expect(s.err()).toMatch(
      /--host 0\.0\.0\.0: the mock and its control API .* would be open to your network/,
    );
    expect(s.err()).toMatch(/hint: add --control-token <secret>, or --allow-open-control/);
  });

  it('--allow-open-control starts it anyway, with a warning', async () => {
    const s = squall(['serve', '--port', '0', '--host', '0.0.0.0', '--allow-open-control']);
    const url = await s.firstLine;
    const port = new URL(url).port;
    expect((await fetch(`http://127.0.0.1:${port}/__squall/state`)).status).toBe(200);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    // Read once the process has closed its output: stderr is another pipe than the URL's.
    expect(s.err()).toMatch(
      /warning: listening on 0\.0\.0\.0, not loopback: .* and its control API \(no --control-token\)/,
    );
  });

  it('with a token: a warning about the mock only; the control API needs the token; keys show as stable short hashes', async () => {
    const s = squall(['serve', '--port', '0', '--host', '0.0.0.0', '--control-token', 'secret-1']);
    const url = await s.firstLine;
    const base = `http://127.0.0.1:${new URL(url).port}`;
    for (const key of ['sk-cli', 'sk-other']) expect((await chat(`${base}/v1`, key)).status).toBe(200);
    expect((await fetch(`${base}/__squall/state`)).status).toBe(401);
    const state = await fetch(`${base}/__squall/state`, { headers: { authorization: 'Bearer secret-1' } });
    expect(state.status).toBe(200);
    const keys = ((await state.json()) as { rateLimits: Array<{ apiKey: string }> }).rateLimits.map(
      (l) => l.apiKey,
    );
    // The kind of key and 8 hex digits of its SHA-256: the two keys are told apart, neither is shown.
    const hash = (k: string) => `sk-…${createHash('sha256').update(k).digest('hex').slice(0, 8)}`;
    expect(keys.sort()).toEqual([hash('sk-cli'), hash('sk-other')].sort());
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(s.err()).toMatch(/warning: listening on 0\.0\.0\.0, not loopback/);
    expect(s.err()).not.toMatch(/no --control-token/);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
    ['example.com', false],
  ])('isLoopback(%j) is %j', (host, loopback) => {
    expect(isLoopback(host)).toBe(loopback);
  });
});
