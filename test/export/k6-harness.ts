import { stripTypeScriptTypes } from 'node:module';
import { createContext, runInContext } from 'node:vm';
import { Rng } from '../../src/sim/rng.ts';

/**
 * Runs a generated k6 script's logic under Node: the script's types are stripped, its k6 imports
 * removed, and the k6 API it uses is provided as stubs in a `vm` context (one context per virtual user,
 * as k6 gives each VU its own JS runtime). Time is virtual: `sleep` records the wait and moves the clock,
 * each request takes `latencyMs`; `Math.random` is a seeded squall Rng.
 */
export interface StubResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** k6's error code for a network failure (1050: request timeout). */
  errorCode?: number;
}

export interface SentRequest {
  vu: number;
  method: string;
  url: string;
  body: Record<string, unknown>;
  timeoutMs: number;
  tags: Record<string, string>;
  /** `exec.vu.metrics.metadata.logical_request` at the time of the request. */
  logicalRequest: string | undefined;
  atMs: number;
}

export interface MetricSample {
  vu: number;
  value: number;
  tags: Record<string, string>;
}

/** Answers each request; it sees the request and every one sent before it. */
export type Upstream = (req: SentRequest, sent: readonly SentRequest[]) => StubResponse;

export interface K6Run {
  /** Every request sent, by every VU, in order. */
  requests: SentRequest[];
  /** Waits asked of `sleep`, in milliseconds, per VU. */
  sleepsMs: Map<number, number[]>;
  /** Samples added to each custom metric, by metric name. */
  metrics: Map<string, MetricSample[]>;
  /** Virtual now, in ms since the epoch. */
  nowMs(): number;
  /** Moves the virtual clock (time passing between iterations). */
  advance(ms: number): void;
  /** Runs one iteration of the script's default function on virtual user `vu` (1-based). */
  iterate(vu?: number): void;
  /** The sum of a counter's samples (true counts 1 for a Rate). */
  count(metric: string): number;
}

export const START_MS = Date.UTC(2025, 0, 1);

/** Turns k6-flavoured TypeScript into a plain script for `vm`: no imports, no exports. */
export function toVmScript(script: string): string {
  const js = stripTypeScriptTypes(script, { mode: 'strip' });
  const withoutImports = js.replace(/^import\s[^;]*?from\s+'k6[^']*';$/gm, '');
  if (/^import\s/m.test(withoutImports)) throw new Error('the script imports something other than k6');
  return `${withoutImports
    .replace(/^export const options\b/m, 'const options')
    .replace(
      /^export default function\s*\(/m,
      'function __k6Default(',
    )}\n;globalThis.__k6Default = __k6Default;`;
}

export function runK6Script(
  script: string,
  upstream: Upstream,
  o: { seed?: number; latencyMs?: number } = {},
): K6Run {
  const code = toVmScript(script);
  const latencyMs = o.latencyMs ?? 100;
  let now = START_MS;
  const requests: SentRequest[] = [];
  const sleepsMs = new Map<number, number[]>();
  const metrics = new Map<string, MetricSample[]>();
  const vus = new Map<number, { context: object; iterations: number; run: () => void }>();

  const startVu = (vu: number) => {
    const rng = new Rng(o.seed ?? 7).fork(`vu-${vu}`);
    const vuState = {
      idInTest: vu,
      iterationInInstance: 0,
      metrics: { metadata: {} as Record<string, string> },
    };
    const metric = (name: string) => {
      const samples = metrics.get(name) ?? [];
      metrics.set(name, samples);
      return {
        add(value: number | boolean, tags: Record<string, string> = {}) {
          samples.push({ vu, value: Number(value), tags: { ...tags } });
        },
      };
    };
    const stubs = {
      __ENV: {},
      __VU: vu,
      __rng: () => rng.next(),
      __now: () => now,
      randomSeed: () => {},
      sleep: (seconds: number) => {
        const list = sleepsMs.get(vu) ?? [];
        sleepsMs.set(vu, list);
        list.push(seconds * 1000);
        now += seconds * 1000;
      },
      exec: { vu: vuState },
      Counter: function Counter(this: unknown, name: string) {
        return metric(name);
      },
      Rate: function Rate(this: unknown, name: string) {
        return metric(name);
      },
      Trend: function Trend(this: unknown, name: string) {
        return metric(name);
      },
      http: {
        request(
          method: string,
          url: string,
          body: string,
          params: { timeout: number; tags: Record<string, string> },
        ) {
          const sent: SentRequest = {
            vu,
            method,
            url,
            body: JSON.parse(body) as Record<string, unknown>,
            timeoutMs: params.timeout,
            tags: { ...params.tags },
            logicalRequest: vuState.metrics.metadata.logical_request,
            atMs: now,
          };
          requests.push(sent);
          const r = upstream(sent, requests);
          now += r.errorCode === 1050 ? params.timeout : latencyMs;
          return {
            status: r.status,
            headers: r.headers ?? {},
            body:
              r.body ?? (r.status >= 400 ? JSON.stringify({ error: { message: 'stub', type: 'x' } }) : '{}'),
            error_code: r.errorCode ?? 0,
          };
        },
      },
    };
    const context = createContext(stubs);
    // The context's own Math and Date, not the host's: randomness and time are the harness's.
    runInContext('Math.random = __rng; Date.now = __now;', context);
    runInContext(code, context);
    const entry = {
      context,
      iterations: 0,
      run: () => {
        vuState.iterationInInstance = entry.iterations++;
        (context as { __k6Default: () => void }).__k6Default();
      },
    };
    vus.set(vu, entry);
    return entry;
  };

  return {
    requests,
    sleepsMs,
    metrics,
    nowMs: () => now,
    advance: (ms) => {
      now += ms;
    },
    iterate: (vu = 1) => (vus.get(vu) ?? startVu(vu)).run(),
    count: (name) => (metrics.get(name) ?? []).reduce((sum, s) => sum + s.value, 0),
  };
}
