import { spawnSync } from 'node:child_process';
import { globSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSquallError } from '../../src/errors.ts';
import { unexportableReason } from '../../src/export/k6-strategy.ts';
import { exportLocust, py, RUNTIME_PARTS, runtimeTemplate } from '../../src/export/locust.ts';
import { mapLocustThresholds } from '../../src/export/locust-thresholds.ts';
import { MAX_TRACE_REQUESTS } from '../../src/export/locust-traffic.ts';
import { loadScenario, parseScenario, thresholdsOf } from '../../src/scenario/plan.ts';
import { Rng } from '../../src/sim/rng.ts';
import { parseRetryAfterMs } from '../../src/strategies/retry-after.ts';
import type { LogicalRequest } from '../../src/strategies/types.ts';
import { arrivalTimes } from '../../src/traffic/arrivals/index.ts';
import { toTrafficSpec } from '../../src/traffic/parse.ts';
import { createTraffic } from '../../src/traffic/source.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'squall-locustfile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The Python that runs `locust` (its shebang), else python3: compiling needs no Locust, running does. */
function pythonFor(): { exe: string | null; hasLocust: boolean } {
  const which = spawnSync('sh', ['-c', 'command -v locust'], { encoding: 'utf8' });
  const locust = which.stdout.trim();
  if (which.status === 0 && locust) {
    const shebang = readFileSync(locust, 'utf8').split('\n')[0] ?? '';
    const m = /^#!\s*(\S+)/.exec(shebang);
    if (m) return { exe: m[1]!, hasLocust: true };
  }
  const py3 = spawnSync('python3', ['--version']);
  return { exe: py3.status === 0 ? 'python3' : null, hasLocust: false };
}
const PY = pythonFor();
if (!PY.exe) console.warn('\n*** SKIPPED locustfile compile checks: no python3 ***\n');
if (!PY.hasLocust) console.warn('\n*** SKIPPED locustfile runtime checks: `locust` is not installed ***\n');

/** Compiles files with Python's own compiler (no .pyc written); returns its complaints. */
function compilePython(files: string[]): string {
  const r = spawnSync(
    PY.exe!,
    ['-c', 'import sys\nfor f in sys.argv[1:]:\n    compile(open(f).read(), f, "exec")', ...files],
    { encoding: 'utf8' },
  );
  return r.status === 0 ? '' : r.stderr;
}

/** Imports locustfiles in the Locust Python (one process: importing Locust takes seconds) and calls their
 *  runtime functions (see HARNESS); one answer per call. */
function callRuntime(calls: Array<{ file: string; fn: string } & Record<string, unknown>>): unknown[] {
  const r = spawnSync(PY.exe!, ['-c', HARNESS], { input: JSON.stringify(calls), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}
const HARNESS = `
import importlib.util, json, random, sys
modules = {}
def load(path):
    if path not in modules:
        spec = importlib.util.spec_from_file_location("lf%d" % len(modules), path)
        modules[path] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(modules[path])
    return modules[path]
out = []
for c in json.loads(sys.stdin.read()):
    m = load(c["file"])
    if c["fn"] == "arrivals":
        out.append([[rid, t] for rid, t in m.arrivals_for(c["index"], c["of"], random.Random(1))])
    elif c["fn"] == "metric":
        out.append(m.metric_value(dict(m.fresh_totals(), **c["totals"]), c["check"]))
    elif c["fn"] == "request":
        out.append(m.request_for(c["id"], random.Random(1)))
    elif c["fn"] == "retry_after":
        out.append(m.parse_retry_after_ms(c["headers"], c["nowMs"] / 1000))
    elif c["fn"] == "delays":
        s = {"retries": 0, "prevDelayMs": 0}
        rng = random.Random(7)
        out.append([m.next_delay_ms(c["backoff"], s, rng) for _ in range(c["n"])])
print(json.dumps(out))
`;

function scenario(name: string, yaml: string) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  return parseScenario(file, yaml);
}

const CHECKOUT = join(ROOT, 'scenarios/traces/checkout-burst.csv');
const traceYaml = (name: string, file: string, duration: string) =>
  `name: ${name}\nduration: ${duration}\ntraffic: { model: trace, file: ${JSON.stringify(file)} }\nstrategies: [{ name: a }]\n`;

const ONE_PER_SEC = 'traffic: { arrivals: { kind: constant, rate: 1/s } }\n';

const TRAFFIC: Record<string, string> = {
  constant: '{ kind: constant, rate: 7/s }',
  ramping:
    '{ kind: ramping, start_rate: 2/s, stages: [{ duration: 4s, target: 10/s }, { duration: 3s, target: 10/s }, { duration: 3s, target: 1/s }] }',
  spike: '{ kind: spike, base_rate: 2/s, spikes: [{ at: 3s, duration: 2s, rate: 15/s }] }',
  daily: '{ kind: daily, mean_rate: 5/s, amplitude: 0.6, period: 10s }',
  burst: '{ kind: burst, count: 25, at: 2s }',
};
const shapeScenario = (kind: string) =>
  scenario(
    `shape-${kind}`,
    `name: shape-${kind}\nseed: 3\nduration: 10s\ntraffic:\n  arrivals: ${TRAFFIC[kind]}\nstrategies:\n  - name: retry\n    policies:\n      - { type: retry, max_attempts: 3, backoff: { kind: exponential, base_ms: 100ms, cap_ms: 1s, jitter: full } }\n`,
  );

describe('squall export locust: the locustfile', () => {
  it.skipIf(!PY.exe)(
    'the runtime template and every exportable strategy of every shipped scenario compile',
    () => {
      const template = join(dir, 'template.py');
      writeFileSync(template, runtimeTemplate());
      const files = [...RUNTIME_PARTS.map((p) => join(ROOT, `src/export/locust-runtime/${p}.py`)), template];
      const scenarios = globSync('scenarios/**/*.yaml', { cwd: ROOT }).sort();
      expect(scenarios.length).toBeGreaterThan(10);
      for (const rel of scenarios) {
        const loaded = loadScenario(join(ROOT, rel));
        for (const s of loaded.scenario.strategies.filter((c) => unexportableReason(c) === null)) {
          const file = join(dir, `${loaded.name}.${s.name}.py`.replace(/[^A-Za-z0-9._/-]/g, '_'));
          writeFileSync(file, exportLocust(loaded, { strategy: s.name, approximate: true }).locustfile);
          files.push(file);
        }
      }
      expect(files.length).toBeGreaterThan(20);
      expect(compilePython(files)).toBe('');
    },
    120_000,
  );

  it('the header names the run commands, what is exact, what is approximated and every threshold', () => {
    const e = exportLocust(loadScenario(join(ROOT, 'scenarios/ci/locust-distributed.yaml')));
    const header = e.locustfile.slice(0, e.locustfile.indexOf('\nimport '));
    expect(e.strategy).toBe('sdk-defaults');
    expect(header).toContain('--master --headless --expect-workers 2');
    expect(header).toContain('--worker --master-host');
    expect(header).toContain('# Reproduces exactly:');
    expect(header).toContain("evenly spaced arrivals at squall's exact times");
    expect(header).toContain('# Approximates:');
    expect(header).toContain('#   - success_rate >= 0.98');
    expect(header).toMatch(
      /"sdk-defaults".success_rate > "no-retries".success_rate: compares with strategy "no-retries"/,
    );
    // Every header line is a comment: nothing from the scenario can end up as code.
    for (const line of header.trimEnd().split('\n')) expect(line).toMatch(/^#/);
    expect(e.locustfile).not.toContain('@squall:header');
    expect(e.locustfile).toContain('SCENARIO = "ci-locust-distributed"');
  });

  it('keys squall reads and Locust cannot reproduce are listed, each with its reason', () => {
    const e = exportLocust(
      scenario(
        'with-seeds',
        `name: with-seeds\nseeds: 5\nduration: 10s\n${ONE_PER_SEC}strategies:\n  - name: plain\n`,
      ),
    );
    expect(e.notReproduced).toEqual([expect.stringMatching(/^seeds: several seeded runs/)]);
    expect(e.locustfile).toContain('# Scenario keys not reproduced:\n#   - seeds: several seeded runs');
  });

  it('thresholds: ratios and success latency map (the check is Python); comparisons and confidence do not', () => {
    const loaded = scenario(
      'thresholds',
      [
        'name: thresholds',
        'duration: 10s',
        ONE_PER_SEC.trimEnd(),
        'strategies: [{ name: a }, { name: b }]',
        'thresholds:',
        '  all: [p(99) < 2s, amplification <= 1.5, error_rate < 0.1, recovery_time < 5s]',
        '  a: [success_rate >= 0.9 with 95% confidence, breaker_opened >= 1, failure_p95 < 3s]',
        '  compare: [\'"a".success_rate > "b".success_rate\']',
        '',
      ].join('\n'),
    );
    const m = mapLocustThresholds(thresholdsOf(loaded), 'a');
    expect(m.checks).toEqual([
      { source: 'p(99) < 2s', metric: 'p', percentile: 99, op: '<', value: 2000 },
      { source: 'amplification <= 1.5', metric: 'amplification', op: '<=', value: 1.5 },
      { source: 'error_rate < 0.1', metric: 'error_rate', op: '<', value: 0.1 },
      { source: 'breaker_opened >= 1', metric: 'breaker_opened', op: '>=', value: 1 },
      { source: 'failure_p95 < 3s', metric: 'failure_p95', op: '<', value: 3000 },
    ]);
    expect(m.unmapped.map((u) => u.source)).toEqual([
      'recovery_time < 5s',
      'success_rate >= 0.9 with 95% confidence',
      '"a".success_rate > "b".success_rate',
    ]);
  });

  it('a trace longer than a locustfile holds is refused with a hint (exit 64 in the CLI)', () => {
    const rows = Array.from({ length: MAX_TRACE_REQUESTS + 1 }, (_, i) => `${i},gpt-4o-mini,10,10,false`);
    const trace = join(dir, 'long.csv');
    writeFileSync(trace, `timestamp,model,prompt_tokens,max_tokens,stream\n${rows.join('\n')}\n`);
    const loaded = scenario('long-trace', traceYaml('long-trace', trace, '1h'));
    let error: unknown;
    try {
      exportLocust(loaded);
    } catch (e) {
      error = e;
    }
    expect(isSquallError(error, 'ERR_SQUALL_INVALID_CONFIG')).toBe(true);
    expect((error as Error).message).toMatch(/a locustfile holds at most 100000/);
  }, 60_000);

  it('the CLI writes the file and names it; an unknown strategy exits 64 with the known ones, no stack', () => {
    const bin = join(ROOT, 'bin/squall.mjs');
    const out = join(dir, 'cli', 'locustfile.py');
    const scenarioFile = join(ROOT, 'scenarios/ci/locust-distributed.yaml');
    const ok = spawnSync(process.execPath, [bin, 'export', 'locust', scenarioFile, '--out', out], {
      encoding: 'utf8',
    });
    expect(ok.stderr).toContain('squall: exported strategy "sdk-defaults" (others: no-retries');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toBe(`${out}\n`);
    expect(readFileSync(out, 'utf8')).toContain('STRATEGY = {"name": "sdk-defaults"');
    const bad = spawnSync(
      process.execPath,
      [bin, 'export', 'locust', scenarioFile, '--strategy', 'nope', '--out', out],
      { encoding: 'utf8' },
    );
    expect(bad.status).toBe(64);
    expect(bad.stderr).toContain('no strategy is named "nope"');
    expect(bad.stderr).toContain('hint: strategies: sdk-defaults, no-retries');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);

  it('constants are written as Python literals', () => {
    expect(py({ a: true, b: false, c: null, d: [1, 'x"y'], e: undefined })).toBe(
      '{"a": True, "b": False, "c": None, "d": [1, "x\\"y"]}',
    );
  });
});

describe.skipIf(!PY.hasLocust)('squall export locust: the Python runtime agrees with squall', () => {
  const KINDS = Object.keys(TRAFFIC);
  const nowMs = Date.parse('2026-03-01T12:00:00Z');
  const RETRY_AFTER: Array<Record<string, string>> = [
    { 'retry-after-ms': '1500' },
    { 'Retry-After-Ms': '250.5', 'retry-after': '9' },
    { 'retry-after': '2' },
    { 'retry-after': '0.5' },
    { 'retry-after': 'Sun, 01 Mar 2026 12:00:07 GMT' },
    { 'retry-after': 'Sun, 01 Mar 2026 11:59:00 GMT' },
    { 'retry-after': 'soon' },
    { 'retry-after-ms': 'x', 'retry-after': '3' },
    { 'retry-after': '-1' },
    { 'retry-after-ms': '250ms' },
    { 'retry-after-ms': '1e3' },
    { 'retry-after': '2 seconds' },
    { 'retry-after-ms': '-5', 'retry-after': '3' },
    { 'retry-after-ms': 'Infinity' },
    { 'retry-after': ' 1.5s ' },
    { 'retry-after': '2026-03-01T12:00:05Z' },
    {},
  ];
  const expo = (jitter: string) => ({ kind: 'exponential', baseMs: 100, factor: 2, capMs: 1000, jitter });
  const BACKOFFS = [
    expo('none'),
    { kind: 'linear', baseMs: 100, stepMs: 50, capMs: 300 },
    { kind: 'fixed', delayMs: 250 },
    expo('full'),
    expo('equal'),
    expo('decorrelated'),
    expo('negative25'),
  ];
  // Totals as a run would leave them: 10 offered, 8 succeeded, 2 failed; latencies bucketed in ms.
  const totals = {
    offered: 10,
    succeeded: 8,
    failed: { transient: 2 },
    attempts: 13,
    success_ms: { '100': 4, '200': 3, '900': 1 },
    success_ms_sum: 1900,
    success_ms_max: 900,
    failure_ms: { '3000': 1, '9500': 1 },
  };
  const METRIC_CASES: Array<[object, object]> = [
    [totals, { metric: 'success_rate' }],
    [totals, { metric: 'amplification' }],
    [totals, { metric: 'p', percentile: 50 }],
    [totals, { metric: 'p', percentile: 99 }],
    [totals, { metric: 'latency_mean' }],
    [totals, { metric: 'failure_p95' }],
    [{}, { metric: 'failure_p95' }],
    [totals, { metric: 'failed' }],
  ];
  const squallArrivals = new Map<string, Array<[string, number]>>();
  let answers: unknown[] = [];
  let squallTrace: LogicalRequest[] = [];
  const TRACE_AT = KINDS.length * 4;
  const traceCalls = () => 2 + squallTrace.length;

  beforeAll(() => {
    const calls: Array<{ file: string; fn: string } & Record<string, unknown>> = [];
    for (const kind of KINDS) {
      const loaded = shapeScenario(kind);
      const file = join(dir, `shape-${kind}.py`);
      writeFileSync(file, exportLocust(loaded).locustfile);
      const spec = toTrafficSpec(loaded.scenario.traffic);
      if (spec.model !== 'open') throw new Error('open traffic expected');
      squallArrivals.set(
        kind,
        [...arrivalTimes(spec.arrivals, loaded.scenario.duration, new Rng('3'))].map((t, i) => [`r${i}`, t]),
      );
      calls.push(
        { file, fn: 'arrivals', index: 0, of: 1 },
        { file, fn: 'arrivals', index: 0, of: 3 },
        { file, fn: 'arrivals', index: 1, of: 3 },
        { file, fn: 'arrivals', index: 2, of: 3 },
      );
    }
    // A trace: squall's own replay (ids, times, recorded fields) against the locustfile's.
    const traced = scenario('trace', traceYaml('trace', CHECKOUT, '1m'));
    const traceFile = join(dir, 'trace.py');
    writeFileSync(traceFile, exportLocust(traced).locustfile);
    const source = createTraffic(toTrafficSpec(traced.scenario.traffic), traced.scenario.duration, '1');
    squallTrace = [...source.arrivals()];
    calls.push(
      { file: traceFile, fn: 'arrivals', index: 0, of: 2 },
      { file: traceFile, fn: 'arrivals', index: 1, of: 2 },
      ...squallTrace.map((r) => ({ file: traceFile, fn: 'request', id: r.id })),
    );
    const file = join(dir, 'shape-constant.py');
    for (const headers of RETRY_AFTER) calls.push({ file, fn: 'retry_after', headers, nowMs });
    for (const backoff of BACKOFFS) calls.push({ file, fn: 'delays', backoff, n: 6 });
    for (const [totals, check] of METRIC_CASES) calls.push({ file, fn: 'metric', totals, check });
    answers = callRuntime(calls);
  }, 120_000);

  it.each(KINDS)(
    '%s arrivals: the same times and request ids as squall, dealt round-robin to 3 dispatchers',
    (kind) => {
      const squall = squallArrivals.get(kind)!;
      expect(squall.length).toBeGreaterThan(20);
      const at = KINDS.indexOf(kind) * 4;
      const [alone, ...dealt] = answers.slice(at, at + 4) as Array<Array<[string, number]>>;
      const micros = (xs: Array<[string, number]>) => xs.map(([id, t]) => [id, Math.round(t * 1000)]);
      expect(micros(alone!)).toEqual(micros(squall));
      const merged = dealt.flat().sort((a, b) => Number(a[0].slice(1)) - Number(b[0].slice(1)));
      expect(micros(merged)).toEqual(micros(squall));
      for (const d of dealt) expect(Math.abs(d.length - squall.length / 3)).toBeLessThanOrEqual(1);
    },
  );

  it('a trace: every recorded request at its time with its id and fields, dealt to 2 dispatchers', () => {
    expect(squallTrace.length).toBe(10);
    const [first, second, ...requests] = answers.slice(TRACE_AT, TRACE_AT + traceCalls()) as [
      Array<[string, number]>,
      Array<[string, number]>,
      ...Array<Record<string, unknown>>,
    ];
    const merged = [...first, ...second].sort((a, b) => Number(a[0].slice(1)) - Number(b[0].slice(1)));
    expect(merged).toEqual(squallTrace.map((r) => [r.id, r.arrivalMs]));
    expect(first.length).toBe(5);
    expect(requests).toEqual(
      squallTrace.map((r) => ({
        id: r.id,
        endpoint: r.endpoint,
        model: r.model,
        promptTokens: r.promptTokens,
        maxTokens: r.maxTokens,
        stream: r.stream,
        apiKey: r.apiKey,
        ...(r.user !== undefined ? { user: r.user } : {}),
        ...(r.feature !== undefined ? { feature: r.feature } : {}),
      })),
    );
  });

  it('Retry-After: retry-after-ms, then seconds, then an HTTP date, read as squall (and the openai SDK) read them', () => {
    const at = TRACE_AT + traceCalls();
    const got = answers.slice(at, at + RETRY_AFTER.length);
    const lower = (h: Record<string, string>) =>
      Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
    expect(got).toEqual(RETRY_AFTER.map((h) => parseRetryAfterMs(lower(h), nowMs) ?? null));
  });

  it('metrics for the checks: rates and amplification over offered requests, p(N) over successes, failure_p95 over failures', () => {
    const at = TRACE_AT + traceCalls() + RETRY_AFTER.length + BACKOFFS.length;
    expect(answers.slice(at)).toEqual([0.8, 1.3, 100, 900, 237.5, 9500, null, 2]);
  });

  it('backoff: the same delays as squall without jitter, and every jitter within its bounds', () => {
    const [none, linear, fixed, full, equal, decorrelated, negative25] = answers.slice(
      TRACE_AT + traceCalls() + RETRY_AFTER.length,
      TRACE_AT + traceCalls() + RETRY_AFTER.length + BACKOFFS.length,
    ) as number[][];
    expect(none).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(linear).toEqual([100, 150, 200, 250, 300, 300]);
    expect(fixed).toEqual([250, 250, 250, 250, 250, 250]);
    const caps = [100, 200, 400, 800, 1000, 1000];
    for (const [i, cap] of caps.entries()) {
      expect(full![i]).toBeGreaterThanOrEqual(0);
      expect(full![i]).toBeLessThanOrEqual(cap);
      expect(equal![i]).toBeGreaterThanOrEqual(cap / 2);
      expect(equal![i]).toBeLessThanOrEqual(cap);
      expect(decorrelated![i]).toBeGreaterThanOrEqual(100);
      expect(decorrelated![i]).toBeLessThanOrEqual(1000);
      expect(negative25![i]).toBeGreaterThanOrEqual(cap * 0.75);
      expect(negative25![i]).toBeLessThanOrEqual(cap);
    }
  });
});
