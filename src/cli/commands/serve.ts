import type { Command } from 'commander';
import { startHttpFront } from '../../../mock-upstream/fronts/http.ts';
import {
  isServeWorker,
  reportReady,
  startPrimary,
  workerStartMs,
} from '../../../mock-upstream/shared/cluster.ts';
import { IpcBuckets } from '../../../mock-upstream/shared/ipc.ts';
import type { SharedBuckets } from '../../../mock-upstream/shared/ops.ts';
import { RedisBuckets } from '../../../mock-upstream/shared/redis.ts';
import { parseStartTime } from '../../../mock-upstream/shared/start-time.ts';
import { createUpstream } from '../../../mock-upstream/upstream.ts';
import { SquallError } from '../../errors.ts';
import { loadFile } from '../../scenario/load.ts';
import { serveFileSchema, toUpstreamConfig } from '../../scenario/upstream-schema.ts';
import { RealClock } from '../../sim/clock.ts';

interface ServeOptions {
  scenario?: string;
  port: string;
  host: string;
  seed?: string;
  controlToken?: string;
  allowOpenControl?: boolean;
  workers: string;
  redis?: string;
  startTime?: string;
}

/** At most this many workers: more than cores only adds context switches. */
const MAX_WORKERS = 256;

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Start the mock OpenAI upstream on loopback; prints its base URL as the first line')
    .option(
      '-s, --scenario <file>',
      'take the upstream (limits, latency, fault schedule) and seed from a scenario file',
    )
    .option('-p, --port <n>', 'port to listen on (0 picks a free one)', '8787')
    .option(
      '-H, --host <host>',
      'address to bind; anything but loopback exposes the mock to your network',
      '127.0.0.1',
    )
    .option('--seed <seed>', 'seed for every random decision (overrides the scenario file)')
    .option(
      '--control-token <token>',
      'require "Authorization: Bearer <token>" on the /__squall/ control API (required with a --host other than loopback)',
    )
    .option(
      '--allow-open-control',
      'with a --host other than loopback and no --control-token: leave the control API open to the network anyway',
    )
    .option(
      '-w, --workers <n>',
      'processes sharing the port (node:cluster), one schedule and one set of rate limits',
      '1',
    )
    .option(
      '--redis <url>',
      'keep the rate-limit buckets in Redis, shared by every squall serve using it (e.g. redis://127.0.0.1:6379)',
    )
    .option(
      '--start-time <time>',
      'when the schedule starts (epoch ms or ISO 8601 with zone); give every process the same value',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ squall serve
  $ squall serve --scenario scenarios/incidents/2024-12-11-full-outage.yaml --port 0 --seed 7
  $ squall serve --workers 4
  $ squall serve --redis redis://redis:6379 --start-time 2026-03-01T12:00:00Z --seed 7 --host 0.0.0.0 \\
      --control-token "$SQUALL_CONTROL_TOKEN"
  $ curl -s http://127.0.0.1:8787/v1/chat/completions -H 'authorization: Bearer sk-test' \\
      -H 'x-squall-fault: 429' -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'`,
    )
    .action(async (opts: ServeOptions) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new SquallError('ERR_SQUALL_INVALID_CONFIG', `--port: expected 0..65535, got "${opts.port}"`);
      }
      const workers = Number(opts.workers);
      if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
        throw new SquallError(
          'ERR_SQUALL_INVALID_CONFIG',
          `--workers: expected 1..${MAX_WORKERS}, got "${opts.workers}"`,
          { hint: 'e.g. the number of cores: nproc' },
        );
      }
      checkExposure(opts);
      const file = opts.scenario ? loadFile(opts.scenario, serveFileSchema) : undefined;
      const seed = String(opts.seed ?? file?.seed ?? 1);
      const config = toUpstreamConfig(seed, file?.upstream);
      const clock = new RealClock();
      const startMs = isServeWorker()
        ? workerStartMs()
        : opts.startTime !== undefined
          ? parseStartTime(opts.startTime)
          : clock.now();

      if (workers > 1 && !isServeWorker()) {
        const primary = await startPrimary({ workers, startMs, config, redis: opts.redis !== undefined });
        process.stdout.write(`${primary.baseURL}\n`);
        process.stderr.write(
          `squall: mock upstream up with ${workers} workers (seed ${seed}, schedule start ${new Date(startMs).toISOString()}, rate limits in ${opts.redis ? 'redis' : 'the primary process'}); Ctrl-C stops\n`,
        );
        const why = await new Promise<string>((resolve) => {
          process.once('SIGINT', () => resolve('SIGINT'));
          process.once('SIGTERM', () => resolve('SIGTERM'));
          primary.exited.then(resolve);
        });
        await primary.stop();
        if (why !== 'SIGINT' && why !== 'SIGTERM') {
          throw new SquallError('ERR_SQUALL_INTERNAL', `squall serve --workers: ${why}`);
        }
        return;
      }

      let sharedBuckets: SharedBuckets | undefined;
      if (opts.redis !== undefined) {
        const redis = new RedisBuckets(opts.redis, config.rateLimits, config.rateLimitsByKey ?? {}, {
          // One run's processes share seed and start; another run on the same Redis gets other keys.
          keyPrefix: `squall:rl:${seed}:${startMs}:`,
        });
        await redis.connect();
        sharedBuckets = redis;
      } else if (isServeWorker()) {
        sharedBuckets = new IpcBuckets();
      }
      const upstream = createUpstream(config, {
        startMs,
        ...(sharedBuckets ? { sharedBuckets } : {}),
      });
      const front = await startHttpFront(upstream, {
        port,
        host: opts.host,
        clock,
        ...(opts.controlToken ? { controlToken: opts.controlToken } : {}),
      }).catch(async (e: NodeJS.ErrnoException) => {
        await sharedBuckets?.close();
        throw new SquallError(
          'ERR_SQUALL_INVALID_CONFIG',
          `cannot listen on ${opts.host}:${port}: ${e.code ?? e.message}`,
          {
            hint:
              e.code === 'EADDRINUSE'
                ? 'another process uses that port; pick another with --port, or --port 0'
                : undefined,
          },
        );
      });
      if (isServeWorker()) reportReady(front.baseURL);
      else {
        process.stdout.write(`${front.baseURL}\n`);
        process.stderr.write(
          `squall: mock upstream up (seed ${seed}${sharedBuckets ? `, rate limits in ${sharedBuckets.label}` : ''}); control API at ${front.baseURL.replace(/\/v1$/, '')}/__squall/state; Ctrl-C stops\n`,
        );
      }
      await new Promise<void>((resolve) => {
        const stop = () => {
          front.close().then(resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await sharedBuckets?.close();
      // A worker's IPC channel would keep it alive after the server closed.
      if (isServeWorker()) process.exit(0);
    });
}

/**
 * The control API can reset the mock, change its faults and read its journal. On loopback only this
 * machine reaches it; on any other address the whole network does, so that needs a token, or a flag
 * that says the user means it. An empty token would leave the API open while looking closed.
 */
function checkExposure(opts: ServeOptions): void {
  if (opts.controlToken !== undefined && opts.controlToken.trim() === '') {
    throw new SquallError(
      'ERR_SQUALL_INVALID_CONFIG',
      '--control-token: empty; the control API would be open',
      {
        hint: 'pass a secret, e.g. --control-token "$(openssl rand -hex 16)", or leave the flag out on loopback',
      },
    );
  }
  if (isLoopback(opts.host)) return;
  if (opts.controlToken === undefined && opts.allowOpenControl !== true) {
    throw new SquallError(
      'ERR_SQUALL_INVALID_CONFIG',
      `--host ${opts.host}: the mock and its control API (/__squall/: reset, faults, journal) would be open to your network`,
      { hint: 'add --control-token <secret>, or --allow-open-control if the network is yours alone' },
    );
  }
  // Once, from the primary: workers run this too.
  if (!isServeWorker()) {
    process.stderr.write(
      `squall: warning: listening on ${opts.host}, not loopback: anyone who can reach this machine can call the mock${
        opts.controlToken === undefined ? ' and its control API (no --control-token)' : ''
      }\n`,
    );
  }
}

/** 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1'
  );
}
