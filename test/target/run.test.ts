import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isSquallError } from '../../src/errors.ts';
import { renderHtml } from '../../src/report/html.ts';
import { renderMarkdown } from '../../src/report/markdown.ts';
import { parseScenario, runScenario } from '../../src/scenario/plan.ts';
import { freePort } from '../../src/target/port.ts';

/**
 * A service under test for real: a small Node relay (fixtures/relay.mjs) started by squall as a child
 * process, over real sockets on loopback, against squall's own mock upstream. Each run is a couple of
 * seconds of traffic; every process is stopped by squall itself (these tests check that it was).
 */
const RELAY = fileURLToPath(new URL('./fixtures/relay.mjs', import.meta.url));

/** `port`: the service's port, or '{{port}}' for squall to pick one. */
function scenario(
  port: number | '{{port}}',
  o: { env?: string; variants: string; upstream?: string; extra?: string },
) {
  return `
seed: 7
duration: 2s
drain: 5s
request_deadline: 5s
traffic: { arrivals: { kind: constant, rate: 20/s } }
upstream:
  latency: { fixed: 20ms }
${o.upstream ?? ''}
target:
  command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(RELAY)}]
  env: { OPENAI_BASE_URL: "{{upstream_url}}", PORT: "${port}"${o.env ? `, ${o.env}` : ''} }
  ready: { url: "http://127.0.0.1:${port}/healthz", timeout: 10s }
  request: { path: /ask, body: { model: "{{model}}", max_tokens: "{{max_tokens}}" } }
variants:
${o.variants}
${o.extra ?? ''}`;
}

async function run(text: string) {
  const logDir = mkdtempSync(join(tmpdir(), 'squall-target-run-'));
  const run = await runScenario(parseScenario(join(logDir, 'svc.yaml'), text), { logDir });
  return { ...run, logDir };
}

/** True while something accepts connections on the port. */
async function listening(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

describe('a target run', { timeout: 60_000 }, () => {
  it('joins upstream attempts to requests when the service forwards x-squall-request-id, and stops it after', async () => {
    // {{port}}: squall picks the service's port; the relay's log says which.
    const { result, logDir } = await run(
      scenario('{{port}}', { env: 'FORWARD: "1"', variants: '  - { name: relay }' }),
    );
    expect(result.mode).toBe('live');
    const [v] = result.strategies;
    expect(v!.name).toBe('relay');
    const s = v!.summary;
    expect(s.requests.offered).toBe(40);
    expect(s.requests.completed + s.requests.inFlightAtEnd).toBe(40);
    expect(v!.target).toMatchObject({
      attemptsJoinedBy: 'x-squall-request-id',
      upstreamAttempts: s.attempts.total,
      forwardedRequestId: s.attempts.total,
    });
    // One upstream call per request, each counted against its own request.
    expect(s.attempts.total).toBe(s.requests.offered);
    expect(s.attempts.perRequest[1]).toBe(s.requests.completed);
    expect(v!.target!.logFile).toBe(join(logDir, 'target-relay.log'));
    const log = readFileSync(v!.target!.logFile, 'utf8');
    const port = Number(/relay listening on (\d+)/.exec(log)?.[1]);
    expect(port).toBeGreaterThan(0);
    expect(renderMarkdown(result)).toContain(
      'variant relay: every upstream attempt carried x-squall-request-id, so attempts are counted per request; its output is in target-relay.log',
    );
    expect(await listening(port)).toBe(false);
  });

  it('counts attempts in totals only when the service does not forward the id, and says so', async () => {
    const port = await freePort();
    const { result } = await run(scenario(port, { variants: '  - { name: no-forward }' }));
    const [v] = result.strategies;
    expect(v!.target).toMatchObject({ attemptsJoinedBy: 'totals', forwardedRequestId: 0 });
    expect(v!.summary.attempts.total).toBe(40);
    expect(v!.summary.amplification).toBe(1);
    // Attempts per request are unknown, not "none".
    expect(v!.summary.attempts.perRequest.every((n) => n === 0)).toBe(true);
    for (const report of [renderMarkdown(result), renderHtml(result)])
      expect(report).toContain(
        '0 of 40 upstream attempts carried x-squall-request-id, so attempts are totals only',
      );
  });

  it('gives every variant its own fresh upstream: the second is not starved by the first', async () => {
    const port = await freePort();
    // 30 requests a minute: a full bucket of 30 for 40 requests; shared, the second variant would get none.
    const { result } = await run(
      scenario(port, {
        env: 'FORWARD: "1"',
        upstream: '  rate_limits: { requests_per_min: 30 }',
        variants: '  - { name: first }\n  - { name: second }',
      }),
    );
    const [a, b] = result.strategies;
    for (const v of [a!, b!]) {
      expect(v.summary.attempts.byKind['200']).toBeGreaterThanOrEqual(30);
      expect(v.summary.attempts.byKind['429']).toBeGreaterThan(0);
    }
  });

  it('a service that dies mid-run is an error naming the variant, with the end of its log', async () => {
    const port = await freePort();
    const err = await run(scenario(port, { env: 'DIE_AFTER: "5"', variants: '  - { name: crashes }' })).catch(
      (e: unknown) => e,
    );
    expect(isSquallError(err, 'ERR_SQUALL_TARGET')).toBe(true);
    expect((err as Error).message).toMatch(
      /variant "crashes": the service exited with code 3 .* into the run/,
    );
    expect((err as Error).message).toMatch(/relay listening on/);
    expect(await listening(port)).toBe(false);
  });

  it('a service that never answers its probe fails after ready.timeout, and is stopped', async () => {
    const port = await freePort();
    // It listens on another port than the one probed.
    const elsewhere = await freePort();
    const text = scenario(port, { variants: '  - { name: deaf }' })
      .replace(`/healthz", timeout: 10s`, `/healthz", timeout: 1s`)
      .replace(`PORT: "${port}"`, `PORT: "${elsewhere}"`);
    const started = performance.now();
    const err = await run(text).catch((e: unknown) => e);
    expect(isSquallError(err, 'ERR_SQUALL_TARGET')).toBe(true);
    expect((err as Error).message).toMatch(/variant "deaf": the service did not answer .* within 1 s/);
    // The timeout, plus stopping the process: bounded, never a hang.
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(await listening(elsewhere)).toBe(false);
  });

  it('an interrupt while the service gets ready gives a partial result, not a failure, and stops it', async () => {
    const port = await freePort();
    const elsewhere = await freePort();
    // Never ready (it listens elsewhere), so the interrupt lands during the readiness wait.
    const text = scenario(port, { variants: '  - { name: interrupted }' }).replace(
      `PORT: "${port}"`,
      `PORT: "${elsewhere}"`,
    );
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 1000);
    const logDir = mkdtempSync(join(tmpdir(), 'squall-target-run-'));
    const { result } = await runScenario(parseScenario(join(logDir, 'svc.yaml'), text), {
      logDir,
      signal: ac.signal,
    });
    expect(result.partial).toBe(true);
    expect(result.strategies).toEqual([]);
    expect(await listening(elsewhere)).toBe(false);
  });

  it('a command that cannot start is an error naming the variant', async () => {
    const port = await freePort();
    const text = scenario(port, { variants: '  - { name: missing }' }).replace(
      /command: \[.*\]/,
      'command: [squall-no-such-program-here]',
    );
    const err = await run(text).catch((e: unknown) => e);
    expect(isSquallError(err, 'ERR_SQUALL_TARGET')).toBe(true);
    expect((err as Error).message).toMatch(/variant "missing": the service could not start: .*ENOENT/);
  });

  it('a log folder that cannot be written is an error naming the variant, before anything starts', async () => {
    const port = await freePort();
    const text = scenario(port, { variants: '  - { name: nolog }' });
    const err = await runScenario(parseScenario('svc.yaml', text), { logDir: '/dev/null/squall' }).catch(
      (e: unknown) => e,
    );
    expect(isSquallError(err, 'ERR_SQUALL_TARGET')).toBe(true);
    expect((err as Error).message).toMatch(/variant "nolog": could not start the service \(.*ENOTDIR/);
    expect(await listening(port)).toBe(false);
  });

  it('refuses to start when something already answers the ready URL', async () => {
    const port = await freePort();
    const squatter = (await import('node:http')).createServer((_, res) => res.end('me'));
    await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', r));
    try {
      const err = await run(scenario(port, { variants: '  - { name: late }' })).catch((e: unknown) => e);
      expect(isSquallError(err, 'ERR_SQUALL_TARGET')).toBe(true);
      expect((err as Error).message).toMatch(/variant "late": something already answers/);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });
});
