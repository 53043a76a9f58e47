import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { MIN_CLAIM_SEEDS } from '../../claims/evaluate.ts';
import { SquallError } from '../../errors.ts';
import { MIN_REQUESTS_FOR_WORKERS } from '../../runner/experiment.ts';
import type { Progress } from '../../runner/run-strategy.ts';
import { ScenarioValidationError } from '../../scenario/load.ts';
import { checkedPlan, type LoadedScenario, loadScenario, runScenario } from '../../scenario/plan.ts';
import { MAX_SEEDS as MAX_SEEDS_CLI } from '../../scenario/schema.ts';
import { formatGoDuration } from '../../util/duration.ts';
import { EXIT } from '../exit-codes.ts';
import { onInterrupt } from '../interrupt.ts';
import { appendStepSummary, loadRenderers, renderOptions } from '../reports.ts';
import { saveReport } from '../save-report.ts';

export interface RunCommandOptions {
  out: string;
  seed?: string;
  seeds?: string;
  claimSeeds?: string;
  mode?: string;
  upstream?: string;
  workers?: string;
  quiet?: boolean;
  color?: boolean;
  open?: boolean;
}

/** More threads than strategies or cores only adds start-up time and context switches. */
const MAX_WORKERS = 256;

export function registerRun(program: Command): void {
  program
    .command('run')
    .description(
      'Run scenario files in simulated time, print a table per strategy, write reports, check thresholds',
    )
    .argument('<files...>', 'scenario files (YAML or JSON)')
    .option('-o, --out <dir>', 'where reports go: <dir>/<scenario>/<timestamp>/', 'reports')
    .option('--seed <seed>', "seed for every random draw (overrides the file's seed)")
    .option('--seeds <n>', 'repeat over N seeds and report 95% confidence intervals')
    .option(
      '--claim-seeds <n>',
      `seeds a scenario's claims are judged over when --seeds is fewer (default ${MIN_CLAIM_SEEDS}; the extra seeds feed the claims only)`,
    )
    .option(
      '--mode <mode>',
      'sim (simulated time, the default) or live (wall time: HTTP on loopback, real sockets)',
    )
    .option(
      '--upstream <url>',
      'with --mode live: strategies call this running upstream (e.g. a `squall serve`, a gateway) instead of a mock of their own',
    )
    .option(
      '-w, --workers <n>',
      'threads simulating strategies at once (default: one per core, up to one per strategy, for runs of ' +
        `${MIN_REQUESTS_FOR_WORKERS.toLocaleString('en-US')}+ requests; 1: one after another). Results are identical ` +
        'either way; --mode live always runs one at a time',
    )
    .option('-q, --quiet', 'no progress and no table; only failures and the report folder')
    .option('--no-color', 'no ANSI colours in the table')
    .option(
      '--open',
      'open each report.html in the desktop browser when done (prints its file:// URL otherwise)',
    )
    .addHelpText(
      'after',
      `
Exit codes: 0 every threshold passed; 99 a threshold failed; 64 invalid scenario or input;
70 internal error; 74 a report could not be written (the result goes to the temp folder instead);
130 interrupted (Ctrl-C: a partial result, marked as such, is still written).

Examples:
  $ squall run scenarios/incidents/2024-12-11-full-outage.yaml
  $ squall run scenarios/ci/*.yaml --out reports --quiet
  $ squall run scenarios/seed-article/singles-day-429-storm.yaml --seed 7 --seeds 10
  $ squall run scenarios/patterns/metastable-retry-storm.yaml --workers 1
  $ squall run scenarios/ci/smoke.yaml --mode live --upstream http://127.0.0.1:8787/v1
  $ squall run examples/python-service/retry-429-storm.yaml   # a service of your own (target:)`,
    )
    .action(async (files: string[], opts: RunCommandOptions) => {
      process.exitCode = await runCommand(files, opts);
    });
}

/** The `run` command; returns the exit code. */
export async function runCommand(files: string[], opts: RunCommandOptions): Promise<number> {
  if (opts.mode !== undefined && opts.mode !== 'sim' && opts.mode !== 'live') {
    throw new SquallError('ERR_SQUALL_INVALID_CONFIG', `--mode: expected sim or live, got "${opts.mode}"`);
  }
  const upstreamURL = opts.upstream === undefined ? undefined : checkUpstreamURL(opts.upstream, opts.mode);
  const workers = opts.workers === undefined ? undefined : Number(opts.workers);
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1 && workers <= MAX_WORKERS)) {
    throw new SquallError(
      'ERR_SQUALL_INVALID_CONFIG',
      `--workers: expected a whole number from 1 to ${MAX_WORKERS}, got "${opts.workers}"`,
      { hint: 'e.g. the number of cores (nproc); 1 runs strategies one after another' },
    );
  }
  const seeds = opts.seeds === undefined ? undefined : Number(opts.seeds);
  if (seeds !== undefined && !(Number.isInteger(seeds) && seeds >= 1 && seeds <= MAX_SEEDS_CLI)) {
    throw new SquallError(
      'ERR_SQUALL_INVALID_CONFIG',
      `--seeds: expected a whole number from 1 to ${MAX_SEEDS_CLI}, got "${opts.seeds}"`,
    );
  }
  const claimSeeds = opts.claimSeeds === undefined ? undefined : Number(opts.claimSeeds);
  if (
    claimSeeds !== undefined &&
    !(Number.isInteger(claimSeeds) && claimSeeds >= 2 && claimSeeds <= MAX_SEEDS_CLI)
  ) {
    throw new SquallError(
      'ERR_SQUALL_INVALID_CONFIG',
      `--claim-seeds: expected a whole number from 2 to ${MAX_SEEDS_CLI}, got "${opts.claimSeeds}"`,
      {
        hint: `a claim is judged on an interval over seeds, which needs at least 2 (default ${MIN_CLAIM_SEEDS})`,
      },
    );
  }
  // Nothing runs until every file is valid.
  const loaded: LoadedScenario[] = [];
  let invalid = 0;
  for (const file of files) {
    try {
      const l = loadScenario(file);
      // The run's own checks (e.g. the request cap), so nothing runs while a later file would fail them.
      checkedPlan(l, {
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        ...(seeds !== undefined ? { seeds } : {}),
      });
      loaded.push(l);
    } catch (e) {
      if (!(e instanceof SquallError)) throw e;
      invalid++;
      process.stderr.write(
        `${e instanceof ScenarioValidationError ? e.message : `squall: ${e.message}`}\n${e.hint ? `hint: ${e.hint}\n` : ''}`,
      );
    }
  }
  if (invalid > 0) {
    process.stderr.write(
      `squall: ${invalid} of ${files.length} scenario files are invalid; nothing was run\n`,
    );
    return EXIT.invalidInput;
  }
  const ac = onInterrupt();
  const renderers = await loadRenderers();
  let failed = 0;
  let unsaved = 0;
  try {
    for (const l of loaded) {
      // A Ctrl-C before the first scenario ran still leaves its (empty, partial) result.
      if (ac.signal.aborted && l !== loaded[0]) break;
      const mode = opts.mode ?? l.scenario.mode ?? 'sim';
      const progress = opts.quiet ? undefined : new ProgressLine(l.name, mode as 'sim' | 'live');
      // A target's services log beside the report, so its folder is chosen before the run.
      const logDir = l.scenario.target ? reportDir(opts.out, l.name, new Date().toISOString()) : undefined;
      const run = await runScenario(l, {
        ...(upstreamURL !== undefined ? { upstreamURL } : {}),
        ...(logDir !== undefined ? { logDir } : {}),
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        ...(seeds !== undefined ? { seeds } : {}),
        ...(claimSeeds !== undefined ? { claimSeeds } : {}),
        ...(opts.mode !== undefined ? { mode: opts.mode as 'sim' | 'live' } : {}),
        ...(workers !== undefined ? { workers } : {}),
        signal: ac.signal,
        ...(progress ? { onProgress: (p, i, n) => progress.update(p, i, n) } : {}),
      });
      progress?.done();
      const dir = logDir ?? reportDir(opts.out, l.name, run.result.wall.startedAt);
      const saved = await saveReport(dir, run.result, l.name);
      if (saved.failure !== undefined) unsaved++;
      if (saved.markdown !== undefined) writeStepSummary(saved.markdown);
      const bad = run.thresholds.filter((t) => !t.pass);
      failed += bad.length;
      if (!opts.quiet) {
        process.stdout.write(
          `\n${l.name}${run.partial ? ' (PARTIAL: interrupted)' : ''}  seed ${run.result.seed}${run.runs.length > 1 ? ` ×${run.runs.length} seeds` : ''}\n`,
        );
        process.stdout.write(
          renderers.renderTerminalTable(run.result, {
            ...renderOptions(run.result),
            color: opts.color !== false && process.stdout.isTTY === true && !process.env.NO_COLOR,
          }),
        );
      } else {
        for (const t of bad)
          process.stderr.write(`✗ ${l.name} ${t.strategy}: ${t.expression}: ${t.message}\n`);
      }
      if (run.result.upstream)
        process.stdout.write(
          `upstream: ${run.result.upstream.url} (already running; its faults and limits are its own)\n`,
        );
      for (const s of run.result.strategies) {
        if (s.target)
          process.stdout.write(
            `${s.name}: service log ${s.target.logFile}; upstream attempts joined by ${s.target.attemptsJoinedBy === 'totals' ? 'totals (the service did not forward x-squall-request-id)' : 'x-squall-request-id'}\n`,
          );
      }
      const passed = run.thresholds.length - bad.length;
      process.stdout.write(
        `${run.thresholds.length ? `thresholds: ${passed} passed, ${bad.length} failed; ` : ''}report: ${saved.lost ? 'not saved' : saved.dir}\n`,
      );
      if (opts.open && !saved.lost) openInBrowser(resolve(saved.dir, 'report.html'));
      // The table already says how to reproduce; quiet output needs it spelt out.
      if (bad.length > 0 && opts.quiet) process.stdout.write(`reproduce: ${run.result.reproduce}\n`);
    }
  } finally {
    ac.dispose();
  }
  if (ac.signal.aborted) return EXIT.interrupted;
  if (unsaved > 0) return EXIT.ioError;
  return failed > 0 ? EXIT.thresholdsFailed : EXIT.ok;
}

/** `--upstream`: an http(s) URL, with --mode live (or a file that says live). */
function checkUpstreamURL(text: string, mode: string | undefined): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SquallError('ERR_SQUALL_INVALID_CONFIG', `--upstream: expected a URL, got "${text}"`, {
      hint: 'the base URL an OpenAI client takes, e.g. http://127.0.0.1:8787/v1',
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SquallError(
      'ERR_SQUALL_INVALID_CONFIG',
      `--upstream: expected http:// or https://, got "${text}"`,
      {
        hint: 'e.g. http://127.0.0.1:8787/v1',
      },
    );
  }
  if (mode === 'sim') {
    throw new SquallError(
      'ERR_SQUALL_INVALID_CONFIG',
      '--upstream: an upstream that is already running needs --mode live',
      {
        hint: 'squall run --mode live --upstream http://127.0.0.1:8787/v1 scenario.yaml',
      },
    );
  }
  return text.replace(/\/$/, '');
}

/** The step summary is a convenience: one that cannot be written is said, and the run goes on. */
function writeStepSummary(markdown: string): void {
  try {
    appendStepSummary(markdown);
  } catch (e) {
    if (!(e instanceof SquallError)) throw e;
    process.stderr.write(`squall: step summary not written: ${e.message}\n`);
  }
}

/** Best effort: the desktop's opener if there is one; the URL is printed either way. */
function openInBrowser(file: string): void {
  const url = pathToFileURL(file).href;
  process.stdout.write(`open: ${url}\n`);
  const opener =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => {}); // no desktop (CI, a container): the printed URL is the fallback
  child.unref();
}

/** `<out>/<scenario>/<timestamp>`, never an existing folder (two runs in the same second). */
function reportDir(out: string, name: string, startedAt: string): string {
  const stamp = startedAt.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  let dir = join(out, name, stamp);
  for (let i = 2; existsSync(dir); i++) dir = join(out, name, `${stamp}-${i}`);
  return dir;
}

/**
 * Progress on stderr: a redrawn bar on a terminal, a plain line every few seconds otherwise (CI logs).
 * Wall-clock reads are fine here: this is presentation, not simulation. Once done, late updates (a
 * worker thread's last message) are dropped, so no stale bar is drawn after the table and `report:` line.
 */
export class ProgressLine {
  private readonly tty: boolean;
  private lastMs: number;
  private readonly everyMs: number;
  private readonly name: string;
  private readonly mode: 'sim' | 'live';
  private readonly write: (text: string) => void;
  private drawn = false;
  private closed = false;
  constructor(
    name: string,
    mode: 'sim' | 'live',
    out: { isTTY?: boolean; write(text: string): unknown } = process.stderr,
  ) {
    this.name = name;
    this.mode = mode;
    this.tty = out.isTTY === true;
    this.write = (text) => void out.write(text);
    this.everyMs = this.tty ? 100 : 3000;
    // A plain line only after the first interval: a short run prints none (quiet CI logs).
    this.lastMs = this.tty ? Number.NEGATIVE_INFINITY : performance.now();
  }
  update(p: Progress, seedIndex: number, seedCount: number): void {
    if (this.closed) return;
    const now = performance.now();
    if (now - this.lastMs < this.everyMs) return;
    this.lastMs = now;
    const frac = p.durationMs > 0 ? Math.min(1, p.simulatedMs / p.durationMs) : 1;
    const success = p.completed > 0 ? `${((p.succeeded / p.completed) * 100).toFixed(1)}%` : '–';
    const seed = seedCount > 1 ? ` seed ${seedIndex + 1}/${seedCount}` : '';
    // Live runs take wall time: "simulated" would be untrue there.
    const clock = this.mode === 'live' ? 'elapsed' : 'simulated';
    const text = `${this.name}${seed} ${p.strategy}: ${formatGoDuration(Math.round(p.simulatedMs / 1000) * 1000)}/${formatGoDuration(p.durationMs)} ${clock}, ${p.offered} requests, ${success} success`;
    if (this.tty) {
      const width = 20;
      const filled = Math.round(frac * width);
      this.write(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}`);
      this.drawn = true;
    } else this.write(`squall: ${text}\n`);
  }
  done(): void {
    this.closed = true;
    if (this.drawn) this.write('\r\x1b[K');
    this.drawn = false;
  }
}
