import type { Command } from 'commander';
import { startHttpFront } from '../../../mock-upstream/fronts/http.ts';
import { createUpstream } from '../../../mock-upstream/upstream.ts';
import { SquallError } from '../../errors.ts';
import { loadFile } from '../../scenario/load.ts';
import { serveFileSchema, toUpstreamConfig } from '../../scenario/upstream-schema.ts';

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
      'require "Authorization: Bearer <token>" on the /__squall/ control API',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ squall serve
  $ squall serve --scenario scenarios/incidents/2024-12-11-full-outage.yaml --port 0 --seed 7
  $ curl -s http://127.0.0.1:8787/v1/chat/completions -H 'authorization: Bearer sk-test' \\
      -H 'x-squall-fault: 429' -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'`,
    )
    .action(
      async (opts: {
        scenario?: string;
        port: string;
        host: string;
        seed?: string;
        controlToken?: string;
      }) => {
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          throw new SquallError('ERR_SQUALL_INVALID_CONFIG', `--port: expected 0..65535, got "${opts.port}"`);
        }
        const file = opts.scenario ? loadFile(opts.scenario, serveFileSchema) : undefined;
        const seed = String(opts.seed ?? file?.seed ?? 1);
        const upstream = createUpstream(toUpstreamConfig(seed, file?.upstream));
        const front = await startHttpFront(upstream, {
          port,
          host: opts.host,
          ...(opts.controlToken ? { controlToken: opts.controlToken } : {}),
        }).catch((e: NodeJS.ErrnoException) => {
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
        process.stdout.write(`${front.baseURL}\n`);
        process.stderr.write(
          `squall: mock upstream up (seed ${seed}); control API at ${front.baseURL.replace(/\/v1$/, '')}/__squall/state; Ctrl-C stops\n`,
        );
        await new Promise<void>((resolve) => {
          const stop = () => {
            front.close().then(resolve);
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      },
    );
}
