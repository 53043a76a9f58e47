import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SquallError } from '../errors.ts';
import {
  DEFAULT_DRAIN_MS,
  DEFAULT_REQUEST_DEADLINE_MS,
  DEFAULT_SEED,
  type LoadedScenario,
  thresholdsOf,
} from '../scenario/plan.ts';
import { toTrafficSpec } from '../traffic/parse.ts';
import { chooseStrategy, DEFAULT_BASE_URL } from './k6.ts';
import { type K6StrategySpec, translateStrategy } from './k6-strategy.ts';
import { type LocustThresholdMapping, mapLocustThresholds } from './locust-thresholds.ts';
import { type LocustTraffic, toLocustTraffic } from './locust-traffic.ts';

/**
 * `squall export locust`: a scenario + one strategy → a self-contained locustfile. The fixed Python lives
 * in locust-runtime/*.py (real files, compiled by the tests); this module joins them and writes the header
 * and the constants block (STRATEGY, MIX, TRAFFIC, CHECKS) into them. A pure function of the scenario: writing the
 * file is the CLI's job.
 */
export interface LocustExportOptions {
  /** Strategy name; default the first exportable strategy of the file. */
  strategy?: string;
  /** Drop policies the locustfile cannot reproduce (listed in the header) instead of refusing. */
  approximate?: boolean;
  /** The locustfile's name, for the header's run lines. */
  fileName?: string;
  /** How the header refers to the scenario file (default `loaded.file`). */
  scenarioPath?: string;
}

export interface LocustExport {
  strategy: string;
  locustfile: string;
  spec: K6StrategySpec;
  traffic: LocustTraffic;
  thresholds: LocustThresholdMapping;
  exact: string[];
  approximations: string[];
  dropped: string[];
  /** Scenario keys the locustfile does not reproduce, with the reason. */
  notReproduced: string[];
}

/** Locust's exit code when a mapped threshold fails (squall run's and k6's). */
export const THRESHOLD_EXIT_CODE = 99;

/** The runtime's parts, joined in this order (see locust-runtime/head.py). */
export const RUNTIME_PARTS = ['head', 'traffic', 'policies', 'call', 'run'] as const;

/** The runtime with its default constants: itself a runnable locustfile. */
export function runtimeTemplate(): string {
  return RUNTIME_PARTS.map((p) =>
    readFileSync(new URL(`./locust-runtime/${p}.py`, import.meta.url), 'utf8'),
  ).join('');
}
const BEGIN = '# @squall:constants-begin';
const END = '# @squall:constants-end';
const HEADER = '# @squall:header';

/** Top-level scenario keys the locustfile reads, or that squall serve holds for it. */
const HANDLED = new Set([
  'name',
  'description',
  'seed',
  'duration',
  'drain',
  'request_deadline',
  'traffic',
  'upstream',
  'strategies',
  'thresholds',
]);

/** Why a scenario key squall understands has no Locust counterpart (unknown keys get a generic reason). */
const WHY_NOT_KEY: Record<string, string> = {
  seeds: 'several seeded runs with confidence intervals: Locust runs once (repeat the run by hand)',
  client:
    "the calling application (its worker and connection pools, its own deadline, other traffic) is squall's model; Locust's users are the load generator only",
  claims: 'claims are checked by squall over several seeds and perturbations',
  target: "a service under test that squall starts and drives; point Locust's --host at it yourself",
  alerts: 'alerts are evaluated by squall over its per-second series',
};

export function exportLocust(loaded: LoadedScenario, options: LocustExportOptions = {}): LocustExport {
  const s = loaded.scenario;
  const config = chooseStrategy(s.strategies, options.strategy, 'locust');
  const requestDeadlineMs = s.request_deadline ?? DEFAULT_REQUEST_DEADLINE_MS;
  const strategy = translateStrategy(config, {
    requestDeadlineMs,
    engine: 'locust',
    ...(options.approximate ? { approximate: true } : {}),
  });
  const traffic = toLocustTraffic(toTrafficSpec(s.traffic, { baseDir: dirname(resolve(loaded.file)) }), {
    durationMs: s.duration,
    drainMs: s.drain ?? DEFAULT_DRAIN_MS,
  });
  const thresholds = mapLocustThresholds(thresholdsOf(loaded), config.name);
  const seed = String(s.seed ?? DEFAULT_SEED);
  const notReproduced = Object.keys(s)
    .filter((k) => !HANDLED.has(k) && (s as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${k}: ${WHY_NOT_KEY[k] ?? 'squall-only: the locustfile does not read it'}`);
  const exact = [...traffic.exact, ...strategy.exact];
  const approximations = [...traffic.approximations, ...strategy.approximations];
  const header = renderHeader({
    loaded,
    scenarioPath: options.scenarioPath ?? loaded.file,
    fileName: options.fileName ?? `${loaded.name}.${config.name}.locustfile.py`,
    seed,
    spec: strategy.spec,
    streams: traffic.mix.streamFraction > 0,
    exact,
    approximations,
    dropped: strategy.dropped,
    thresholds,
    notReproduced,
  });
  const constants = [
    `SCENARIO = ${py(loaded.name)}`,
    `SEED = ${py(seed)}`,
    `STRATEGY = ${py(strategy.spec)}`,
    `MIX = ${py(traffic.mix)}`,
    `TRAFFIC = ${py(traffic.traffic)}`,
    `CHECKS = ${py(thresholds.checks)}`,
  ].join('\n');
  return {
    strategy: config.name,
    locustfile: fillTemplate(runtimeTemplate(), header, constants),
    spec: strategy.spec,
    traffic: traffic.traffic,
    thresholds,
    exact,
    approximations,
    dropped: strategy.dropped,
    notReproduced,
  };
}

/** The runtime with its header and constants block replaced. */
export function fillTemplate(template: string, header: string, constants: string): string {
  const begin = template.indexOf(BEGIN);
  const end = template.indexOf(END);
  const head = template.indexOf(HEADER);
  if (begin < 0 || end < begin || head !== 0) {
    throw new SquallError('ERR_SQUALL_INTERNAL', 'locust-runtime/head.py lost its @squall markers');
  }
  // The template's own comment block (up to the first import) describes the template, not the export.
  const body = template.slice(template.indexOf('\nimport ') + 1, begin);
  return `${header}\n\n${body}${BEGIN}\n${constants}\n${template.slice(end)}`;
}

/** JSON → a Python literal (JSON strings and numbers are valid Python; true/false/null are not). */
export function py(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return value > 0 ? 'math.inf' : value < 0 ? '-math.inf' : 'math.nan';
    return JSON.stringify(value);
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(py).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${py(v)}`).join(', ')}}`;
}

interface HeaderInput {
  loaded: LoadedScenario;
  scenarioPath: string;
  fileName: string;
  seed: string;
  spec: K6StrategySpec;
  streams: boolean;
  exact: string[];
  approximations: string[];
  dropped: string[];
  thresholds: LocustThresholdMapping;
  notReproduced: string[];
}

function renderHeader(r: HeaderInput): string {
  const bullets = (lines: readonly string[]) => lines.map((l) => `#   - ${l}`);
  const f = r.fileName;
  const lines = [
    `# Generated by \`squall export locust\` from ${r.scenarioPath} (scenario "${r.loaded.name}", strategy "${r.spec.name}", seed ${r.seed}).`,
    '# Re-export rather than edit: squall scenario files are the source of truth.',
    '#',
    '# Run it against the mock upstream of the same scenario, which holds the seeded fault schedule:',
    `#   squall serve --scenario ${r.scenarioPath}`,
    `#   locust -f ${f} --headless --only-summary --csv run          # one process`,
    `#   locust -f ${f} --master --headless --expect-workers 2 --csv run`,
    `#   locust -f ${f} --worker --master-host 127.0.0.1             # once per worker, on any machine`,
    `# The upstream is --host, else SQUALL_BASE_URL, else ${DEFAULT_BASE_URL}. The run takes the scenario's`,
    '# duration and drain, then stops by itself (the LoadTestShape). SQUALL_START_TIME (epoch ms or ISO 8601, as',
    '# `squall serve --start-time`) fixes the instant the arrivals count from, to line them up with the fault',
    '# schedule; without it they start two seconds after the test starts. SQUALL_SUMMARY=FILE writes the totals',
    '# and threshold verdicts as JSON.',
    '#',
    "# Locust's statistics have two rows per endpoint: ATTEMPT (every request sent upstream) and LOGICAL (what",
    '# the calling code asked for, latency from its intended arrival, failures named by class: transient,',
    '# network, client, breaker_rejected, deadline_rejected, fallback_exhausted, unfinished, overloaded).',
    `# Every offered request ends in one LOGICAL row. Exit code: ${THRESHOLD_EXIT_CODE} when a threshold fails, 1 on an`,
    '# error in this file, else 0.',
    '#',
    '# Reproduces exactly:',
    ...bullets([
      ...r.exact,
      'request classification (x-should-retry, quota 429s, transient statuses), backoff and every jitter formula, Retry-After and retry-after-ms, the request deadline: the same rules as squall',
      "each attempt carries x-squall-attempt-key <request id>#<attempt from 0>, as squall sends it, so the mock decides it as it decides squall's own attempt with that key",
      'OpenAI-shaped requests with the scenario mix (models, prompt sizes, max_tokens, streaming share, API keys, users, endpoints); streamed answers are read to the end',
    ]),
    '#',
    '# Approximates:',
    ...bullets([
      ...r.approximations,
      "the open model: Locust's users are closed loops, so each worker runs one dispatcher user that starts every logical request in its own greenlet at its arrival time, whatever the answers to earlier ones (at most 10000 in flight per worker; past that a request fails as overloaded)",
      "time is each machine's clock: arrivals and the fault schedule line up as well as the hosts' clocks agree (keep them NTP-synced)",
      "the request mix, jitter and Poisson draws are Python's, seeded from the scenario seed, the worker layout and the request id: the same layout repeats them",
      ...(r.spec.breaker || r.spec.budget
        ? []
        : ['a breaker or retry budget would be one per worker process (this strategy has neither)']),
      'a per-attempt timeout is a gevent.Timeout around the whole attempt (connect, send, read)',
      `streaming: a streamed answer is read to its end and counted as one response (no time-to-first-token figure)${r.streams ? '' : ' (this scenario streams nothing)'}`,
      "p(N), latency_mean and latency_max in the checks are over successful logical requests and failure_p95 over failed ones, as in squall, with Locust's rounding (two significant digits above 100 ms)",
    ]),
    ...(r.dropped.length > 0
      ? ['#', '# NOT reproduced (exported with --approximate):', ...bullets(r.dropped)]
      : []),
    ...(r.notReproduced.length > 0
      ? ['#', '# Scenario keys not reproduced:', ...bullets(r.notReproduced)]
      : []),
    '#',
    '# Thresholds checked at the end of the run (on the master, over every worker):',
    ...(r.thresholds.checks.length > 0 ? bullets(r.thresholds.checks.map((c) => c.source)) : ['#   (none)']),
    ...(r.thresholds.unmapped.length > 0
      ? [
          '#',
          '# Thresholds that cannot be mapped:',
          ...bullets(r.thresholds.unmapped.map((u) => `${u.source}: ${u.reason}`)),
        ]
      : []),
  ];
  // Names and paths come from the user's file: a line break in one would end the comment.
  return lines.map((l) => l.replace(/[\r\n]+/g, ' ')).join('\n');
}
