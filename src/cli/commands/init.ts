import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SquallError } from '../../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { ioError } from '../reports.ts';

/** The starter scenario `squall init` writes: valid as written, every section commented. */
export const STARTER_SCENARIO = `# yaml-language-server: $schema=./node_modules/squall/scenarios/schema.json
# A squall scenario: one file holds the whole experiment. Run it with \`squall run scenario.yaml\`.
# Durations: 500ms, 30s, 5m, 2h. Rates: 2000/min, 30/s. Probabilities: 0.3 or "30%".
name: my-first-scenario
description: A 429 storm at 600 requests per minute; does exponential backoff with jitter beat a fixed 2 s retry?
seed: 42            # same seed, same result, bit for bit
# seeds: 5          # repeat over 5 seeds and report 95% confidence intervals
duration: 1m        # simulated time: a minute runs in well under a second

traffic:
  arrivals: { kind: constant, rate: 600/min }    # open model: arrivals never wait for answers
  mix:
    models: { gpt-4o-mini: 3, gpt-4o: 1 }
    prompt_tokens: { kind: lognormal, median: 400, p99: 3000 }

upstream:
  rate_limits: { requests_per_min: 1000, tokens_per_min: 2000000 }
  latency: { median: 400ms, p99: 2s }
  phases:
    - name: storm                                # 20 s in, for 20 s: the limit drops to 120/min and 5% of answers are 500s
      start: 20s
      end: 40s
      rate_limits: { requests_per_min: 120 }
      faults: { "500": 0.05 }

strategies:                                      # each faces the same traffic and fault draws
  - name: fixed-2s
    preset: naive-fixed                          # retry everything 5 times, 2 s apart
  - name: expo-jitter
    policies:
      - type: retry
        max_attempts: 4
        backoff: { kind: exponential, base_ms: 500ms, cap_ms: 20s, jitter: full }
        retry_after: { honour: true, max_ms: 30s }
  - name: sdk-defaults
    preset: openai-sdk                           # the openai SDK's own numbers

thresholds:                                      # k6 style; a failed threshold exits 99
  all:
    - success_rate >= 0.5
    - p(99) < 1m
  expo-jitter:
    - amplification <= 2
  compare:
    - '"expo-jitter".p(99) < "fixed-2s".p(99)'     # jitter spreads retries out; fixed 2 s waits pile up
`;

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('Write a commented starter scenario (refuses to overwrite an existing file)')
    .argument('[file]', 'where to write it', 'scenario.yaml')
    .addHelpText(
      'after',
      `
Examples:
  $ squall init
  $ squall init scenarios/my-service.yaml && squall run scenarios/my-service.yaml`,
    )
    .action((file: string) => {
      process.exitCode = initCommand(file);
    });
}

export function initCommand(file: string): number {
  try {
    // 'wx': fails if the file exists, atomically (no check-then-write race).
    writeFileSync(file, STARTER_SCENARIO, { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(file, e); // exit 74
    throw new SquallError('ERR_SQUALL_INVALID_CONFIG', `${file} already exists; not overwriting it`, {
      hint: 'pass another file name: squall init my-scenario.yaml',
    });
  }
  process.stdout.write(`wrote ${file}; run it with: squall run ${file}\n`);
  return EXIT.ok;
}
