import { dirname, resolve } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { SquallError } from '../errors.ts';
import {
  DEFAULT_DRAIN_MS,
  DEFAULT_REQUEST_DEADLINE_MS,
  DEFAULT_SEED,
  type LoadedScenario,
} from '../scenario/plan.ts';
import type { StrategyConfig } from '../strategies/config.ts';
import { toTrafficSpec } from '../traffic/parse.ts';
import { type ExecutorPlan, type K6ScenarioOptions, toK6Executors } from './k6-executors.ts';
import { K6_RUNTIME } from './k6-runtime.ts';
import {
  type K6StrategySpec,
  type StrategyTranslation,
  translateStrategy,
  unexportableReason,
} from './k6-strategy.ts';
import { K6_METRICS, mapThresholds, type ThresholdMapping } from './k6-thresholds.ts';

/**
 * `squall export k6`: a scenario + one strategy → a k6 TypeScript script (and a k6-operator TestRun).
 * The script replays the scenario's traffic shape against a `squall serve` of the same scenario, which
 * holds the fault schedule; the strategy runs inside the script. Everything here is a pure function of
 * the scenario: writing files is the CLI's job.
 */
export const DEFAULT_BASE_URL = 'http://127.0.0.1:8787/v1';

export interface K6ExportOptions {
  /** Strategy name; default the first exportable strategy of the file. */
  strategy?: string;
  /** Drop policies k6 cannot reproduce instead of refusing (the header lists them). */
  approximate?: boolean;
  /** The script's file name, for the TestRun's configMap and the header's run line. */
  scriptFile?: string;
  /** TestRun runners (k6-operator `parallelism`). Default 1. */
  parallelism?: number;
  /** How the header refers to the scenario file (default `loaded.file`). */
  scenarioPath?: string;
}

export interface K6Export {
  strategy: string;
  script: string;
  testRun: string;
  /** The plain data the script is built from, for tests and callers. */
  options: K6Options;
  spec: K6StrategySpec;
  thresholds: ThresholdMapping;
  exact: string[];
  approximations: string[];
  dropped: string[];
}

export interface K6Options {
  scenarios: Record<string, K6ScenarioOptions>;
  thresholds: Record<string, string[]>;
  tags: Record<string, string>;
  summaryTrendStats: string[];
}

/** Caveats k6 imposes on every export; the header always says whether each one bites. */
const K6_LIMITS = {
  breaker:
    'a breaker can only be per virtual user in k6: VUs are separate JS runtimes with no shared memory, so no breaker or budget is shared across VUs',
  trace: 'k6 has no executor that replays timestamped arrivals; a trace is binned into a rate curve',
  streaming:
    'k6/http buffers the whole body, so streamed answers count as one response (res.timings.waiting is the only time-to-first-token proxy); token timing needs the xk6-sse extension',
};

export function exportK6(loaded: LoadedScenario, options: K6ExportOptions = {}): K6Export {
  const s = loaded.scenario;
  const config = chooseStrategy(s.strategies, options.strategy);
  const requestDeadlineMs = s.request_deadline ?? DEFAULT_REQUEST_DEADLINE_MS;
  const drainMs = s.drain ?? DEFAULT_DRAIN_MS;
  const strategy = translateStrategy(config, {
    requestDeadlineMs,
    ...(options.approximate ? { approximate: true } : {}),
  });
  const traffic = toTrafficSpec(s.traffic, { baseDir: dirname(resolve(loaded.file)) });
  const plan = toK6Executors(traffic, {
    durationMs: s.duration,
    drainMs,
    worstRequestMs: worstRequestMs(strategy.spec),
  });
  const thresholds = mapThresholds(s.thresholds ?? [], config.name);
  const k6Options: K6Options = {
    scenarios: plan.scenarios,
    thresholds: thresholds.thresholds,
    tags: { squall_scenario: loaded.name, strategy: config.name },
    summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
  };
  const seed = String(s.seed ?? DEFAULT_SEED);
  const scriptFile = options.scriptFile ?? `${loaded.name}.k6.ts`;
  const exact = [...plan.exact, ...strategy.exact];
  const approximations = [...plan.approximations, ...strategy.approximations];
  const script = renderScript({
    loaded,
    scenarioPath: options.scenarioPath ?? loaded.file,
    seed,
    scriptFile,
    plan,
    strategy,
    thresholds,
    k6Options,
    exact,
    approximations,
    streams: plan.mix.streamFraction > 0,
    trace: traffic.model === 'trace',
  });
  return {
    strategy: config.name,
    script,
    testRun: renderTestRun(loaded.name, config.name, scriptFile, options.parallelism ?? 1),
    options: k6Options,
    spec: strategy.spec,
    thresholds,
    exact,
    approximations,
    dropped: strategy.dropped,
  };
}

/** The named strategy, or the first one that can be exported. Unknown names list the known ones. */
export function chooseStrategy(
  strategies: readonly StrategyConfig[],
  name: string | undefined,
  engine: 'k6' | 'locust' = 'k6',
): StrategyConfig {
  const names = strategies.map((c) => c.name);
  if (name !== undefined) {
    const found = strategies.find((c) => c.name === name);
    if (!found) {
      throw new SquallError('ERR_SQUALL_STRATEGY', `no strategy is named "${name}" in this scenario`, {
        hint: `strategies: ${names.join(', ')}`,
      });
    }
    return found;
  }
  const first = strategies.find((c) => unexportableReason(c) === null);
  if (!first) {
    throw new SquallError(
      'ERR_SQUALL_STRATEGY',
      `no strategy in this scenario can be exported to ${engine}`,
      {
        hint: 'module, cockatiel and opossum adapters run code inside squall; add a strategy written as policies or a preset',
      },
    );
  }
  return first;
}

/** The longest one logical request can take, for k6's maxVUs: every attempt timing out, every wait at its cap. */
export function worstRequestMs(spec: K6StrategySpec): number {
  const b = spec.backoff;
  const waitCapMs =
    b.kind === 'none'
      ? 0
      : b.kind === 'fixed'
        ? b.delayMs
        : Math.max(b.capMs, spec.retryAfter?.honour ? spec.retryAfter.maxMs : 0);
  const loopMs = spec.maxAttempts * spec.attemptTimeoutMs + (spec.maxAttempts - 1) * waitCapMs;
  const f = spec.fallback;
  if (!f) return Math.min(spec.deadlineMs, loopMs);
  // The chain runs the retry loop once per model plus once per route retry, waiting up to a route's cap.
  const routes = Object.values(f.routes).filter((r) => r.action !== 'fallback' && r.action !== 'fail');
  const retriesPerModel = Math.max(0, ...routes.map((r) => r.retries));
  const routeWaitMs = Math.max(0, ...routes.map((r) => (r.backoff ? backoffCapMs(r.backoff) : 0)));
  const perModelMs = (1 + retriesPerModel) * loopMs + retriesPerModel * routeWaitMs;
  return Math.min(spec.deadlineMs, f.models.length * perModelMs);
}

function backoffCapMs(b: K6StrategySpec['backoff']): number {
  return b.kind === 'none' ? 0 : b.kind === 'fixed' ? b.delayMs : b.capMs;
}

/** A 32-bit seed for k6's randomSeed from squall's seed (a number or any string). */
export function numericSeed(seed: string): number {
  if (/^\d{1,9}$/.test(seed)) return Number(seed);
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193) >>> 0;
  return h % 1_000_000_000;
}

interface RenderInput {
  loaded: LoadedScenario;
  scenarioPath: string;
  seed: string;
  scriptFile: string;
  plan: ExecutorPlan;
  strategy: StrategyTranslation;
  thresholds: ThresholdMapping;
  k6Options: K6Options;
  exact: string[];
  approximations: string[];
  streams: boolean;
  trace: boolean;
}

function renderScript(r: RenderInput): string {
  const name = r.strategy.spec.name;
  const bullets = (lines: readonly string[]) => lines.map((l) => `//   - ${l}`);
  const header = [
    `// Generated by \`squall export k6\` from ${r.scenarioPath} (scenario "${r.loaded.name}", strategy "${name}", seed ${r.seed}).`,
    '// Re-export rather than edit: squall scenario files are the source of truth.',
    '//',
    '// Run it against the mock upstream of the same scenario, which holds the seeded fault schedule:',
    `//   squall serve --scenario ${r.scenarioPath}`,
    `//   k6 run ${r.scriptFile}                     # SQUALL_BASE_URL overrides ${DEFAULT_BASE_URL}`,
    '// k6 exits 99 when a threshold fails. Results split by attempt (tag attempt=1,2,…; retry=true|false) and',
    '// by logical request (logical_* metrics; metadata logical_request in --out json).',
    '//',
    '// Reproduces exactly:',
    ...bullets([
      ...r.exact,
      'request classification (x-should-retry, quota 429s, transient statuses), backoff and jitter, Retry-After, deadline: the same rules as squall',
      'OpenAI-shaped requests with the scenario mix (models, prompt sizes, max_tokens, API keys, endpoints)',
    ]),
    '//',
    '// Approximates:',
    ...bullets([
      ...r.approximations,
      ...(r.strategy.spec.breaker || r.strategy.spec.budget
        ? []
        : [`${K6_LIMITS.breaker} (this strategy has neither a breaker nor a budget)`]),
      `${K6_LIMITS.trace}${r.trace ? '' : ' (this scenario replays no trace)'}`,
      `${K6_LIMITS.streaming}${r.streams ? '' : ' (this scenario streams nothing)'}`,
      'latency is measured from the start of each k6 iteration; when k6 runs out of VUs it drops iterations (dropped_iterations) where squall would count the wait',
      'randomness: Math.random seeded per VU (randomSeed), so runs repeat only with the same VU layout; the fault schedule is seeded in squall serve',
    ]),
    ...(r.strategy.dropped.length > 0
      ? ['//', '// NOT reproduced (exported with --approximate):', ...bullets(r.strategy.dropped)]
      : []),
    '//',
    '// Thresholds mapped:',
    ...(r.thresholds.mapped.length > 0
      ? bullets(r.thresholds.mapped.map((m) => `${m.source}  →  ${m.k6.join(', ')}`))
      : ['//   (none)']),
    ...(r.thresholds.unmapped.length > 0
      ? [
          '//',
          '// Thresholds that cannot be mapped (no k6 equivalent):',
          ...bullets(r.thresholds.unmapped.map((u) => `${u.source}: ${u.reason}`)),
        ]
      : []),
  ];
  const json = (v: unknown) => JSON.stringify(v, null, 2);
  return `${header.join('\n')}

import http from 'k6/http';
import { randomSeed, sleep } from 'k6';
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';
import type { Options } from 'k6/options';

const BASE_URL: string = __ENV.SQUALL_BASE_URL || '${DEFAULT_BASE_URL}';
const SEED = ${numericSeed(r.seed)};

const STRATEGY: StrategySpec = ${json(r.strategy.spec)};

const MIX: MixSpec = ${json(r.plan.mix)};

const THINK_TIME_MS: Dist | null = ${json(r.plan.thinkTimeMs)};

randomSeed(SEED * 1000 + __VU);

const logicalSuccess = new Rate('${K6_METRICS.logicalSuccess}');
const logicalDuration = new Trend('${K6_METRICS.logicalDuration}', true);
const logicalRequests = new Counter('${K6_METRICS.logicalRequests}');
const logicalFailures = new Counter('${K6_METRICS.logicalFailures}');
const attemptsCounter = new Counter('${K6_METRICS.attempts}');
const retriesCounter = new Counter('${K6_METRICS.retries}');
const wastedRetries = new Counter('${K6_METRICS.wastedRetries}');
const abandonedAttempts = new Counter('${K6_METRICS.abandonedAttempts}');
const breakerOpened = new Counter('${K6_METRICS.breakerOpened}');
const fallbacksCounter = new Counter('${K6_METRICS.fallbacks}');
const fallbackExhausted = new Counter('${K6_METRICS.fallbackExhausted}');

export const options: Options = ${json(r.k6Options)};
${K6_RUNTIME}`;
}

/** A k6-operator TestRun: the script from a ConfigMap, split over `parallelism` runners. */
export function renderTestRun(
  scenario: string,
  strategy: string,
  scriptFile: string,
  parallelism: number,
): string {
  const base = scriptFile.replace(/^.*[\\/]/, '');
  const name = `squall-${scenario}-${strategy}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  const configMap = `${name.slice(0, 56).replace(/-+$/, '')}-script`;
  const manifest = {
    apiVersion: 'k6.io/v1alpha1',
    kind: 'TestRun',
    metadata: { name },
    spec: {
      parallelism,
      script: { configMap: { name: configMap, file: base } },
      runner: {
        env: [{ name: 'SQUALL_BASE_URL', value: 'http://squall-serve:8787/v1' }],
      },
    },
  };
  return [
    `# k6-operator TestRun for ${base} (generated by \`squall export k6\`).`,
    `#   kubectl create configmap ${configMap} --from-file=${base}`,
    '#   kubectl apply -f <this file>',
    '# SQUALL_BASE_URL must reach a `squall serve --host 0.0.0.0` of the same scenario (a Service named',
    '# squall-serve here). Each runner gets an equal execution segment (rates and VUs are divided among',
    '# them) and evaluates its thresholds on its own; the operator does not aggregate them: read each',
    "# runner pod's exit code (99 = thresholds failed).",
    toYaml(manifest).trimEnd(),
    '',
  ].join('\n');
}
