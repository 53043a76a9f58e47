/**
 * The real openai SDK adapter in simulated time, against one built-in strategy on the same scenario: the
 * per-strategy throughput ratio of issue 4 (goal: SDK within 3x), quicker to iterate on than
 * bench/sim-throughput.ts, on the same scenario (bench/article-plan.ts: 2,000 rpm, 429 storm from 20 min,
 * flapping, brownouts). Prints a hash of each strategy's summary, so a speed-up can be checked to leave the results
 * byte-identical (same seed, same summary).
 *
 * A third row, `sdk-alone`, runs the same adapter and SDK over the same requests with no simulator at all:
 * its fetch answers at once with one pre-rendered success of the mock (its real headers and body), in
 * wall time, 64 calls in flight, each with its own abort signal as the driver gives. That is what the SDK
 * costs by itself per request, a bound on how fast the simulated SDK path can ever get.
 *
 *   node bench/sdk-sim.ts [--minutes 20] [--builtin-minutes 20] [--alone-minutes 20] [--repeat 1]
 *                         [--builtin openai-sdk-preset]
 *   node --cpu-prof --cpu-prof-dir=/tmp/sdkprof bench/sdk-sim.ts --builtin-minutes 0
 */
import { createHash } from 'node:crypto';
import { Upstream } from '../mock-upstream/upstream.ts';
import { type Plan, runExperiment } from '../src/runner/experiment.ts';
import { RealClock } from '../src/sim/clock.ts';
import { Rng } from '../src/sim/rng.ts';
import { buildStrategy } from '../src/strategies/build.ts';
import { syntheticPrompt } from '../src/strategies/prompt.ts';
import type { StrategyContext } from '../src/strategies/types.ts';
import { createTraffic, DEFAULT_API_KEY } from '../src/traffic/index.ts';
import { articlePlan } from './article-plan.ts';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const sdkMinutes = arg('minutes', 20);
const builtinMinutes = arg('builtin-minutes', 20);
const aloneMinutes = arg('alone-minutes', 20);
const repeat = arg('repeat', 1);
const builtinIndex = args.indexOf('--builtin');
const builtinName = builtinIndex >= 0 ? args[builtinIndex + 1]! : 'openai-sdk-preset';

/** Main-thread CPU time (Node >= 23.9); the whole process's on older Nodes (package.json allows 22.18). */
const threadCpu: (prev?: NodeJS.CpuUsage) => NodeJS.CpuUsage =
  typeof process.threadCpuUsage === 'function'
    ? (prev) => process.threadCpuUsage(prev)
    : (prev) => process.cpuUsage(prev);

const BUILTINS: Record<string, object> = {
  'openai-sdk-preset': { name: 'openai-sdk-preset', preset: 'openai-sdk' },
  'naive-fixed-2s': { name: 'naive-fixed-2s', preset: 'naive-fixed' },
  'aws-standard': { name: 'aws-standard', preset: 'aws-standard' },
};
const SDK = { name: 'real-openai-sdk', adapter: { type: 'openai-sdk' } };

function plan(durationMin: number, strategy: object, sdk: boolean): Plan {
  return articlePlan(durationMin, [strategy], sdk, 'node bench/sdk-sim.ts');
}

async function measure(minutes: number, strategy: object, sdk: boolean) {
  const t0 = performance.now();
  const cpu0 = threadCpu();
  const result = await runExperiment(plan(minutes, strategy, sdk));
  const wallS = (performance.now() - t0) / 1000;
  // The main thread's CPU time too: on a shared machine it moves less than wall time with other load.
  const cpu = threadCpu(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const s = result.strategies[0]!;
  const hash = createHash('sha256').update(JSON.stringify(s.summary)).digest('hex').slice(0, 16);
  return {
    strategy: s.name,
    minutes,
    requests: s.summary.requests.offered,
    attempts: s.summary.attempts.total,
    'wall s': wallS.toFixed(2),
    'req/s': Math.round(s.summary.requests.offered / wallS),
    'thread cpu s': cpuS.toFixed(2),
    'req/cpu s': Math.round(s.summary.requests.offered / cpuS),
    'summary hash': hash,
  };
}

/** The SDK adapter over the scenario's requests, answered at once by a fetch with no simulator behind it. */
async function measureAlone(minutes: number) {
  const p = plan(minutes, SDK, true);
  const requests = [...createTraffic(p.traffic, p.durationMs, p.seed).arrivals()];
  // One success as the mock renders it for a typical request (its headers and JSON body).
  const upstream = new Upstream({ ...p.upstream, journalSize: 0 }, { startMs: 0 });
  const reply = upstream.handle(
    {
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { authorization: `Bearer ${DEFAULT_API_KEY}`, 'content-type': 'application/json' },
      bodyText: JSON.stringify({
        model: requests[0]!.model,
        messages: [{ role: 'user', content: syntheticPrompt(requests[0]!.promptTokens) }],
        max_tokens: requests[0]!.maxTokens,
      }),
    },
    0,
  );
  if (reply.kind !== 'response' || reply.status !== 200) throw new Error('expected a success to replay');
  const body = reply.parts.map((part) => part.data).join('');
  const headers = reply.headers;
  const strategy = await buildStrategy(SDK);
  const ctx: StrategyContext = {
    clock: new RealClock(),
    rng: new Rng(p.seed),
    emit: () => {},
    send: () => Promise.reject(new Error('not used by the SDK adapter')),
    fetch: (async () => new Response(body, { status: 200, headers })) as typeof fetch,
    baseURL: 'http://squall.sim/v1',
    log: (m) => console.error(m),
  };
  const t0 = performance.now();
  const cpu0 = threadCpu();
  let next = 0;
  let ok = 0;
  const worker = async () => {
    while (next < requests.length) {
      const outcome = await strategy.call(requests[next++]!, ctx, new AbortController().signal);
      if (outcome.ok) ok++;
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  const wallS = (performance.now() - t0) / 1000;
  const cpu = threadCpu(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  if (ok !== requests.length) throw new Error(`sdk-alone: ${requests.length - ok} calls failed`);
  return {
    strategy: 'sdk-alone',
    minutes,
    requests: requests.length,
    attempts: requests.length,
    'wall s': wallS.toFixed(2),
    'req/s': Math.round(requests.length / wallS),
    'thread cpu s': cpuS.toFixed(2),
    'req/cpu s': Math.round(requests.length / cpuS),
    'summary hash': '-',
  };
}

const rows: Array<Awaited<ReturnType<typeof measure>>> = [];
for (let r = 0; r < repeat; r++) {
  if (builtinMinutes > 0) rows.push(await measure(builtinMinutes, BUILTINS[builtinName]!, false));
  if (sdkMinutes > 0) rows.push(await measure(sdkMinutes, SDK, true));
  if (aloneMinutes > 0) rows.push(await measureAlone(aloneMinutes));
}
console.table(rows);
const best = (name: string, col: 'req/s' | 'req/cpu s') =>
  Math.max(0, ...rows.filter((x) => x.strategy === name).map((x) => x[col]));
if (builtinMinutes > 0 && sdkMinutes > 0) {
  const b = best(builtinName, 'req/s');
  const o = best('real-openai-sdk', 'req/s');
  const bc = best(builtinName, 'req/cpu s');
  const oc = best('real-openai-sdk', 'req/cpu s');
  console.log(
    `${builtinName} ${b} req/s, real openai SDK ${o} req/s (best of ${repeat}): ratio ${(b / o).toFixed(2)}x ` +
      `(per main-thread CPU second: ${bc} vs ${oc}, ${(bc / oc).toFixed(2)}x); goal <= 3x; node ${process.version}`,
  );
}
if (builtinMinutes > 0 && aloneMinutes > 0) {
  const b = best(builtinName, 'req/cpu s');
  const a = best('sdk-alone', 'req/cpu s');
  console.log(
    `the SDK alone, no simulator: ${a} req per CPU second, so the simulated SDK path can get no closer than ` +
      `${(b / a).toFixed(2)}x to ${builtinName}`,
  );
}
