import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { SquallError } from '../../errors.ts';
import { exportK6 } from '../../export/k6.ts';
import { exportLocust } from '../../export/locust.ts';
import { loadScenario } from '../../scenario/plan.ts';

/** `foo.k6.ts` → `foo.testrun.yaml`; `foo.ts` → `foo.testrun.yaml`. */
export function testRunPathFor(scriptPath: string): string {
  return `${scriptPath.replace(/(\.k6)?\.[cm]?[jt]s$/, '')}.testrun.yaml`;
}

export function registerExport(program: Command): void {
  const exportCmd = program
    .command('export')
    .description('Export a scenario to another load-testing tool (Locust, k6)');
  registerLocust(exportCmd);
  exportCmd
    .command('k6')
    .description(
      'Write a k6 TypeScript script reproducing a scenario with one strategy, and a k6-operator TestRun',
    )
    .argument('<scenario>', 'scenario file (YAML)')
    .option('--strategy <name>', 'strategy to reproduce in the script (default: the first exportable one)')
    .option('-o, --out <file>', 'script to write (default: <scenario name>.<strategy>.k6.ts)')
    .option('--testrun <file>', 'k6-operator TestRun manifest to write (default: next to the script)')
    .option('--parallelism <n>', 'k6-operator runners in the TestRun', '1')
    .option(
      '--approximate',
      'drop policies k6 cannot reproduce (listed in the script header) instead of failing',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ squall export k6 scenarios/seed-article/singles-day-429-storm.yaml --strategy expo-jitter --out storm.k6.ts
  $ squall serve --scenario scenarios/seed-article/singles-day-429-storm.yaml &
  $ k6 run storm.k6.ts                      # SQUALL_BASE_URL=http://host:8787/v1 to point elsewhere
  $ kubectl create configmap squall-singles-day-429-storm-expo-jitter-script --from-file=storm.k6.ts
  $ kubectl apply -f storm.testrun.yaml   # its header repeats the configmap command`,
    )
    .action(
      (
        file: string,
        opts: {
          strategy?: string;
          out?: string;
          testrun?: string;
          parallelism: string;
          approximate?: boolean;
        },
      ) => {
        const parallelism = Number(opts.parallelism);
        if (!Number.isInteger(parallelism) || parallelism < 1) {
          throw new SquallError(
            'ERR_SQUALL_INVALID_CONFIG',
            `--parallelism: expected a whole number ≥ 1, got "${opts.parallelism}"`,
          );
        }
        const loaded = loadScenario(file);
        // Resolve the strategy first so the default file name can carry it.
        const probe = exportK6(loaded, {
          ...(opts.strategy !== undefined ? { strategy: opts.strategy } : {}),
          ...(opts.approximate ? { approximate: true } : {}),
        });
        const out = opts.out ?? `${loaded.name}.${probe.strategy}.k6.ts`;
        const testRunPath = opts.testrun ?? testRunPathFor(out);
        const result = exportK6(loaded, {
          strategy: probe.strategy,
          scriptFile: out,
          parallelism,
          scenarioPath: file,
          ...(opts.approximate ? { approximate: true } : {}),
        });
        for (const [path, text] of [
          [out, result.script],
          [testRunPath, result.testRun],
        ] as const) {
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, text);
        }
        process.stdout.write(`${out}\n${testRunPath}\n`);
        const others = loaded.scenario.strategies.map((s) => s.name).filter((n) => n !== result.strategy);
        const notes = [
          `squall: exported strategy "${result.strategy}"${opts.strategy === undefined && others.length > 0 ? ` (others: ${others.join(', ')}; pick one with --strategy)` : ''}`,
          ...(result.thresholds.unmapped.length > 0
            ? [
                `squall: ${result.thresholds.unmapped.length} threshold(s) have no k6 equivalent (listed in the script header)`,
              ]
            : []),
          ...result.dropped.map((d) => `squall: not reproduced: ${d}`),
          `squall: run \`squall serve --scenario ${file}\`, then \`k6 run ${out}\``,
        ];
        process.stderr.write(`${notes.join('\n')}\n`);
      },
    );
}

function registerLocust(exportCmd: Command): void {
  exportCmd
    .command('locust')
    .description(
      'Write a self-contained locustfile reproducing a scenario with one strategy (distributed: --master and --worker)',
    )
    .argument('<scenario>', 'scenario file (YAML)')
    .option('--strategy <name>', 'strategy to reproduce (default: the first exportable one)')
    .option('-o, --out <file>', 'locustfile to write (default: <scenario name>.<strategy>.locustfile.py)')
    .option(
      '--approximate',
      'drop policies the locustfile cannot reproduce (listed in its header) instead of failing',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ squall export locust scenarios/ci/locust-distributed.yaml --out locustfile.py
  $ squall serve --workers 2 --scenario scenarios/ci/locust-distributed.yaml &
  $ locust -f locustfile.py --master --headless --expect-workers 2 --csv run &
  $ locust -f locustfile.py --worker & locust -f locustfile.py --worker
  (exit code 99 when a threshold fails; --host or SQUALL_BASE_URL points at another squall serve)`,
    )
    .action((file: string, opts: { strategy?: string; out?: string; approximate?: boolean }) => {
      const loaded = loadScenario(file);
      const base = {
        ...(opts.strategy !== undefined ? { strategy: opts.strategy } : {}),
        ...(opts.approximate ? { approximate: true } : {}),
      };
      // Resolve the strategy first so the default file name can carry it.
      const out = opts.out ?? `${loaded.name}.${exportLocust(loaded, base).strategy}.locustfile.py`;
      const result = exportLocust(loaded, { ...base, fileName: out, scenarioPath: file });
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, result.locustfile);
      process.stdout.write(`${out}\n`);
      const others = loaded.scenario.strategies.map((s) => s.name).filter((n) => n !== result.strategy);
      const notes = [
        `squall: exported strategy "${result.strategy}"${opts.strategy === undefined && others.length > 0 ? ` (others: ${others.join(', ')}; pick one with --strategy)` : ''}`,
        ...(result.thresholds.unmapped.length > 0
          ? [
              `squall: ${result.thresholds.unmapped.length} threshold(s) cannot be checked by Locust (listed in the file's header)`,
            ]
          : []),
        ...result.notReproduced.map((d) => `squall: not reproduced: ${d}`),
        ...result.dropped.map((d) => `squall: not reproduced: ${d}`),
        `squall: run \`squall serve --scenario ${file}\`, then \`locust -f ${out} --headless\``,
      ];
      process.stderr.write(`${notes.join('\n')}\n`);
    });
}
