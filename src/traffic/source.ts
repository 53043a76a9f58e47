import { SquallError } from '../errors.ts';
import { hashUniform, Rng } from '../sim/rng.ts';
import type { LogicalRequest } from '../strategies/types.ts';
import { arrivalTimes, expectedArrivals, validateArrivals } from './arrivals/index.ts';
import type { ArrivalSpec } from './arrivals/types.ts';
import { type Dist, describeDist, quantile, validateDist } from './dist.ts';
import { invalidTraffic, isPositiveFinite } from './errors.ts';
import { type RequestMix, sampleRequest, sampleRequestKeyed, validateMix } from './mix.ts';
import { loadTrace } from './trace.ts';

export type TrafficSpec =
  | { model: 'open'; arrivals: ArrivalSpec; mix: RequestMix }
  | { model: 'closed'; virtualUsers: number; thinkTimeMs: Dist; mix: RequestMix }
  | { model: 'trace'; file: string; timeScale?: number };

/** Closed model: each virtual user sends, waits for the answer, thinks, and sends again. */
export interface ClosedTraffic {
  virtualUsers: number;
  /** Think time after iteration `iteration` of virtual user `vu` (both from 0), in ms. */
  nextThinkMs(vu: number, iteration: number): number;
  /** The request virtual user `vu` sends on its `iteration`-th turn, at `atMs`. Keyed by (vu, iteration), so
   *  every strategy gets the same k-th request from each user even though the times differ. Id `v<vu>.<iteration>`. */
  request(vu: number, iteration: number, atMs: number): LogicalRequest;
}

export interface TrafficSource {
  /** open: arrivals are scheduled regardless of responses; closed: the next request waits for the last. */
  kind: 'open' | 'closed';
  /** Where the requests come from. */
  origin: 'arrivals' | 'trace' | 'virtual-users';
  /** One line for reports, saying plainly which load model ran. */
  description: string;
  /** Logical requests in arrival order, lazily, identical on every call (one call per strategy).
   *  Throws for closed traffic, which has no schedule: use `closed`. */
  arrivals(): Iterable<LogicalRequest>;
  closed?: ClosedTraffic;
  /** Requests the run will offer (open: the mean; trace: exact). Unknown for closed traffic. */
  expectedCount?: number;
}

/** A limit on everything: a typo such as 2000/s for 2 weeks should fail fast, not simulate for a day. */
export const MAX_EXPECTED_REQUESTS = 50_000_000;
export const MAX_VIRTUAL_USERS = 100_000;

/**
 * Builds the traffic for one run. Everything is checked here, before anything runs. Randomness comes from
 * `seed` alone, through labelled streams (`arrivals`, `mix`, `think`), so every strategy faces the same trace.
 */
export function createTraffic(spec: TrafficSpec, durationMs: number, seed: string): TrafficSource {
  const finite = spec.model !== 'trace';
  if (!(durationMs > 0) || (finite && !Number.isFinite(durationMs))) {
    throw invalidTraffic(
      'duration',
      `expected a positive duration, got ${durationMs} ms`,
      finite
        ? 'write a duration such as 30s, 10m or 2h'
        : 'write a duration, or Infinity to replay the whole trace',
    );
  }
  switch (spec.model) {
    case 'open':
      return openTraffic(spec.arrivals, spec.mix, durationMs, seed);
    case 'closed':
      return closedTraffic(spec.virtualUsers, spec.thinkTimeMs, spec.mix, seed);
    case 'trace':
      return traceTraffic(spec.file, spec.timeScale, durationMs);
    default:
      throw invalidTraffic(
        'model',
        `unknown load model ${JSON.stringify((spec as { model: unknown }).model)}`,
        'use open (arrivals), closed (virtual users) or trace (replay a file)',
      );
  }
}

function openTraffic(
  arrivals: ArrivalSpec,
  mix: RequestMix,
  durationMs: number,
  seed: string,
): TrafficSource {
  validateArrivals(arrivals);
  validateMix(mix);
  // Rounded so float noise (240000.00000000003) never reaches a report.
  const expectedCount = Math.round(expectedArrivals(arrivals, durationMs) * 1e6) / 1e6;
  if (expectedCount > MAX_EXPECTED_REQUESTS) {
    throw invalidTraffic(
      'arrivals',
      `about ${Math.round(expectedCount).toLocaleString('en-US')} requests would arrive; the limit is ${MAX_EXPECTED_REQUESTS.toLocaleString('en-US')}`,
      'lower the rate or shorten the duration; squall simulates every request',
    );
  }
  if (expectedCount === 0) {
    throw invalidTraffic(
      'arrivals',
      `no request would arrive within the run's ${durationMs} ms`,
      'start the burst, spike or stages before the run ends',
    );
  }
  const root = new Rng(seed);
  return {
    kind: 'open',
    origin: 'arrivals',
    description: `open model: ${describeArrivals(arrivals)}, about ${Math.round(expectedCount).toLocaleString('en-US')} requests`,
    expectedCount,
    *arrivals() {
      const mixRng = root.fork('mix');
      let i = 0;
      for (const atMs of arrivalTimes(arrivals, durationMs, root.fork('arrivals'))) {
        yield sampleRequest(i, atMs, mix, mixRng);
        i++;
      }
    },
  };
}

function closedTraffic(
  virtualUsers: number,
  thinkTimeMs: Dist,
  mix: RequestMix,
  seed: string,
): TrafficSource {
  if (!(Number.isInteger(virtualUsers) && virtualUsers > 0 && virtualUsers <= MAX_VIRTUAL_USERS)) {
    throw invalidTraffic(
      'virtual_users',
      `expected a whole number of virtual users from 1 to ${MAX_VIRTUAL_USERS}, got ${virtualUsers}`,
      'e.g. virtual_users: 50',
    );
  }
  validateDist(thinkTimeMs, 'think_time', 0, '{ kind: lognormal, median: 1s, p99: 5s }');
  validateMix(mix);
  const mixSeed = new Rng(seed).fork('mix').seed;
  const thinkSeed = new Rng(seed).fork('think').seed;
  const vuCheck = (vu: number, iteration: number) => {
    if (
      !(Number.isInteger(vu) && vu >= 0 && vu < virtualUsers && Number.isInteger(iteration) && iteration >= 0)
    ) {
      throw new SquallError(
        'ERR_SQUALL_INTERNAL',
        `no virtual user ${vu} iteration ${iteration} (${virtualUsers} users)`,
      );
    }
  };
  return {
    kind: 'closed',
    origin: 'virtual-users',
    description:
      `closed model: ${virtualUsers} virtual user${virtualUsers === 1 ? '' : 's'}, think time ${describeDist(thinkTimeMs, ' ms')}; ` +
      'offered load falls as responses slow down, so latency under overload is understated',
    arrivals() {
      throw new SquallError(
        'ERR_SQUALL_INTERNAL',
        'closed traffic has no arrival schedule; drive it through `closed`',
      );
    },
    closed: {
      virtualUsers,
      nextThinkMs(vu, iteration) {
        vuCheck(vu, iteration);
        return quantile(thinkTimeMs, hashUniform(thinkSeed, `${vu}/${iteration}`), 0);
      },
      request(vu, iteration, atMs) {
        vuCheck(vu, iteration);
        return sampleRequestKeyed(`v${vu}.${iteration}`, `v${vu}.${iteration}`, atMs, mix, mixSeed);
      },
    },
  };
}

function traceTraffic(file: string, timeScale: number | undefined, durationMs: number): TrafficSource {
  if (timeScale !== undefined && !isPositiveFinite(timeScale)) {
    throw invalidTraffic(
      'time_scale',
      `expected a positive number, got ${timeScale}`,
      '2 replays twice as fast, 0.5 at half speed',
    );
  }
  const trace = loadTrace(file, timeScale === undefined ? {} : { timeScale });
  let inRun = trace.requests.length;
  while (inRun > 0 && trace.requests[inRun - 1]!.arrivalMs >= durationMs) inRun--;
  if (inRun === 0) {
    throw invalidTraffic(
      'duration',
      `the trace's first request arrives at ${trace.requests[0]!.arrivalMs} ms, after the run ends (${durationMs} ms)`,
      'lengthen the duration or speed the trace up with time_scale',
    );
  }
  const cut =
    inRun < trace.requests.length ? ` (${trace.requests.length - inRun} after the run's end dropped)` : '';
  return {
    kind: 'open',
    origin: 'trace',
    description: `open model: trace replay of ${file}${timeScale && timeScale !== 1 ? ` at ${timeScale}× speed` : ''}, ${inRun.toLocaleString('en-US')} requests${cut}`,
    expectedCount: inRun,
    *arrivals() {
      // Copies, so one strategy changing a request can never leak into the next strategy's run.
      for (let i = 0; i < inRun; i++) yield { ...trace.requests[i]! };
    },
  };
}

function rate(perSec: number): string {
  return perSec >= 1 || perSec === 0 ? `${round(perSec)}/s` : `${round(perSec * 60)}/min`;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

export function describeArrivals(a: ArrivalSpec): string {
  const shape = (poisson: boolean | undefined) => (poisson ? 'Poisson' : 'evenly spaced');
  switch (a.kind) {
    case 'constant':
      return `constant ${rate(a.ratePerSec)} (${shape(a.poisson)})`;
    case 'poisson':
      return `Poisson ${rate(a.ratePerSec)}`;
    case 'ramping':
      return `ramping ${[a.startRatePerSec, ...a.stages.map((s) => s.targetRatePerSec)].map(rate).join(' → ')} over ${a.stages.length} stage${a.stages.length === 1 ? '' : 's'} (${shape(a.poisson)})`;
    case 'spike':
      return `base ${rate(a.baseRatePerSec)} with ${a.spikes.length} spike${a.spikes.length === 1 ? '' : 's'} (${shape(a.poisson)})`;
    case 'daily':
      return `daily curve around ${rate(a.meanRatePerSec)} ±${Math.round(a.amplitude * 100)}% (${shape(a.poisson)})`;
    case 'burst':
      return `burst of ${a.count} at ${a.atMs} ms`;
  }
}
