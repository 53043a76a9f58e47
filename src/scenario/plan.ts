import { basename, dirname, extname, resolve } from 'node:path';
import { UpstreamModel } from '../../mock-upstream/model/model.ts';
import { evaluateClaims, MIN_CLAIM_SEEDS } from '../claims/evaluate.ts';
import type { AlertRule } from '../metrics/alerts.ts';
import { DEFAULT_OBJECTIVE } from '../metrics/objective.ts';
import {
  evaluateThresholds,
  type SeedsCI,
  seedsConfidence,
  type ThresholdResult,
  type ThresholdSpec,
} from '../metrics/thresholds.ts';
import { type Plan, runExperiment } from '../runner/experiment.ts';
import type { RunResult } from '../runner/result.ts';
import type { Progress } from '../runner/run-strategy.ts';
import { buildStrategy } from '../strategies/build.ts';
import { createTraffic, toTrafficSpec } from '../traffic/index.ts';
import { toClientConfig } from './client-schema.ts';
import { parseText, readScenarioText } from './load.ts';
import { type Scenario, scenarioSchema } from './schema.ts';
import { modeOf, targetOf } from './target-plan.ts';
import { toUpstreamConfig } from './upstream-schema.ts';

/**
 * A validated scenario file → what the runner needs: one Plan per seed, the thresholds, the mode.
 * Nothing is built or run here except (in {@link preflight}) loading strategy modules once, so a broken
 * module path is reported before the run instead of in the middle of it.
 */
export interface LoadedScenario {
  file: string;
  /** File name without extension, or the `name:` field. */
  name: string;
  scenario: Scenario;
  /** Canonical content (for the result's hash). */
  content: string;
}

export const DEFAULT_SEED = '1';
export const DEFAULT_DRAIN_MS = 30_000;
export const DEFAULT_REQUEST_DEADLINE_MS = 300_000;

/** Reads and validates a scenario file; throws ScenarioValidationError listing every problem. */
export function loadScenario(file: string): LoadedScenario {
  return parseScenario(file, readScenarioText(file));
}

export function parseScenario(file: string, text: string): LoadedScenario {
  const scenario = parseText(file, text, scenarioSchema);
  return {
    file,
    name: scenario.name ?? pathSafeName(basename(file, extname(file))),
    scenario,
    content: JSON.stringify(scenario),
  };
}

/**
 * A file name made fit to name a report folder: `...yaml` would be `..`, and `<out>/../<stamp>` lands
 * outside --out. Keeps what the schema allows in a `name:` (letters, digits, ".", "_", "-", starting with
 * a letter or digit) and replaces the rest.
 */
export function pathSafeName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return safe === '' ? 'scenario' : safe;
}

export interface PlanOptions {
  /** Overrides the file's seed (`--seed`). */
  seed?: string;
  /** Overrides the file's seed count (`--seeds`). */
  seeds?: number;
}

/** The seeds a run repeats over: the base seed, then base+1, base+2… (or base-2, base-3… when not a number). */
export function seedList(base: string, count: number): string[] {
  const n = /^-?\d+$/.test(base) ? BigInt(base) : null;
  return Array.from({ length: count }, (_, i) =>
    i === 0 ? base : n !== null ? String(n + BigInt(i)) : `${base}-${i + 1}`,
  );
}

export function seedsOf(loaded: LoadedScenario, options: PlanOptions = {}): string[] {
  const base = options.seed ?? String(loaded.scenario.seed ?? DEFAULT_SEED);
  return seedList(base, options.seeds ?? loaded.scenario.seeds ?? 1);
}

export function thresholdsOf(loaded: LoadedScenario): ThresholdSpec[] {
  return loaded.scenario.thresholds ?? [];
}

/** The command that reproduces a run. */
export function reproduceCommand(loaded: LoadedScenario, seeds: readonly string[]): string {
  return `squall run ${loaded.file} --seed ${seeds[0]}${seeds.length > 1 ? ` --seeds ${seeds.length}` : ''}`;
}

/** The plan for one seed. */
export function toPlan(loaded: LoadedScenario, seed: string, reproduce: string): Plan {
  const s = loaded.scenario;
  const baseDir = dirname(resolve(loaded.file));
  return {
    name: loaded.name,
    ...(s.description ? { description: s.description } : {}),
    content: loaded.content,
    file: loaded.file,
    seed,
    durationMs: s.duration,
    drainMs: s.drain ?? DEFAULT_DRAIN_MS,
    requestDeadlineMs: s.request_deadline ?? DEFAULT_REQUEST_DEADLINE_MS,
    traffic: toTrafficSpec(s.traffic, { baseDir }),
    upstream: toUpstreamConfig(seed, s.upstream),
    strategies: s.strategies.map((config) => ({
      name: config.name,
      ...(config.description ? { description: config.description } : {}),
      usesGlobals: config.adapter !== undefined,
      build: () => buildStrategy(config, { baseDir }),
      // The same, as data: a worker thread rebuilds it from this (validated config, plain YAML/JSON data).
      spec: { config, baseDir },
    })),
    ...(s.alerts ? { alertRules: s.alerts.map(alertOf) } : {}),
    ...(s.price_per_1k_tokens !== undefined ? { pricePer1kTokens: s.price_per_1k_tokens } : {}),
    ...(s.client ? { client: toClientConfig(s.client) } : {}),
    ...(s.target ? { target: targetOf(loaded)! } : {}),
    reproduce,
  };
}

function alertOf(a: NonNullable<Scenario['alerts']>[number]): AlertRule {
  return { name: a.name, metric: 'error_rate', windowMs: a.window, above: a.above, severity: a.severity };
}

/**
 * The plan of the first seed, after the checks a run makes before it simulates anything: the traffic's
 * size (e.g. 24 h at 100,000/s is past the request cap) and the upstream's limits. `validate` and `run`
 * both call it, so validate never says ok to a file that run refuses, and run refuses it before any
 * other file has run.
 */
export function checkedPlan(loaded: LoadedScenario, options: PlanOptions = {}): Plan {
  const seeds = seedsOf(loaded, options);
  const plan = toPlan(loaded, seeds[0]!, reproduceCommand(loaded, seeds));
  createTraffic(plan.traffic, plan.durationMs, plan.seed);
  new UpstreamModel(plan.upstream, { startMs: 0 });
  return plan;
}

/** Builds every strategy once (loading user modules), so a bad module fails before anything runs. */
export async function preflight(plan: Plan): Promise<void> {
  for (const s of plan.strategies) await s.build();
}

/** `result.json` as the CLI writes it: the run (first seed) plus the verdicts and the seeds' intervals. */
export type ResultFile = RunResult & { thresholds?: ThresholdResult[]; seedsCI?: SeedsCI };

export interface ScenarioRun {
  /** One per seed that ran, first seed first. */
  runs: RunResult[];
  /** What `result.json` holds: the first seed's run, the verdicts, the seeds' intervals. */
  result: ResultFile;
  thresholds: ThresholdResult[];
  partial: boolean;
}

export interface ScenarioRunOptions extends PlanOptions {
  /**
   * Seeds the claims are judged over when the run has fewer (default MIN_CLAIM_SEEDS). The extra seeds
   * follow the run's own (base+1, base+2…) and feed the claims only: tables and thresholds show the
   * seeds asked for.
   */
  claimSeeds?: number;
  /** Overrides the file's `mode` (`--mode`). */
  mode?: 'sim' | 'live';
  /** Live only: strategies call this running upstream instead of a mock of their own (`--upstream`). */
  upstreamURL?: string;
  /** Where a target's services write their output (the report folder). */
  logDir?: string;
  /** Threads running strategies at once (`--workers`); see RunOptions.workers. */
  workers?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress, seedIndex: number, seedCount: number) => void;
}

/** Runs a validated scenario over its seeds (stopping early on abort) and evaluates its thresholds. */
export async function runScenario(
  loaded: LoadedScenario,
  options: ScenarioRunOptions = {},
): Promise<ScenarioRun> {
  const seeds = seedsOf(loaded, options);
  const claims = loaded.scenario.claims ?? [];
  const reproduce = `${reproduceCommand(loaded, seeds)}${claims.length > 0 && options.claimSeeds !== undefined ? ` --claim-seeds ${options.claimSeeds}` : ''}`;
  await preflight(toPlan(loaded, seeds[0]!, reproduce));
  // A claim is judged over at least MIN_CLAIM_SEEDS seeds, whatever the run asks for.
  const claimSeeds = Math.max(seeds.length, options.claimSeeds ?? MIN_CLAIM_SEEDS);
  const allSeeds = claims.length > 0 ? seedList(seeds[0]!, claimSeeds) : seeds;
  const allRuns: RunResult[] = [];
  for (const [i, seed] of allSeeds.entries()) {
    if (options.signal?.aborted && allRuns.length > 0) break;
    const onProgress = options.onProgress;
    allRuns.push(
      await runExperiment(
        {
          ...toPlan(loaded, seed, reproduce),
          mode: modeOf(loaded, options.mode),
          ...(options.upstreamURL !== undefined ? { upstreamURL: options.upstreamURL } : {}),
        },
        {
          ...(options.logDir !== undefined ? { logDir: options.logDir } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          ...(onProgress ? { onProgress: (p: Progress) => onProgress(p, i, allSeeds.length) } : {}),
          ...(options.workers !== undefined ? { workers: options.workers } : {}),
        },
      ),
    );
  }
  const runs = allRuns.slice(0, seeds.length);
  const partial = runs.some((r) => r.partial) || runs.length < seeds.length;
  const thresholds = evaluateThresholds(thresholdsOf(loaded), runs);
  const first = runs[0]!;
  const result: ResultFile = {
    ...first,
    objective: loaded.scenario.objective ?? DEFAULT_OBJECTIVE,
    partial,
    thresholds,
    ...(seeds.length > 1 ? { seedsCI: seedsConfidence(runs) } : {}),
    ...(claims.length > 0 ? { claims: evaluateClaims(claims, allRuns) } : {}),
  };
  return { runs, result, thresholds, partial };
}
