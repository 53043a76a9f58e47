import type { ClaimResult } from '../claims/evaluate.ts';
import type { AlertResult, AlertRule } from '../metrics/alerts.ts';
import type { StrategySummary } from '../metrics/recorder.ts';
import type { VariantResultInfo } from '../target/variants.ts';

/**
 * `result.json`: the contract between running and reporting. Plain data, versioned; every report is a
 * pure function of it. Fields under `wall` are wall-clock metadata and the only ones that may differ
 * between two runs of the same scenario and seed.
 */
export const RESULT_SCHEMA_VERSION = 2;

/**
 * What changed per version, so a reader can say why it refuses an older file:
 * 2: success rate over offered requests, `requests.unfinished`, `elapsedMs` (goodput over it, series
 *    through the drain), `failureLatencyMs`, recovery per fault window against its baseline
 *    (`recoveryRule`, `baselineSuccessRate`), the scenario's `objective`.
 */
export const RESULT_SCHEMA_CHANGES: Record<number, string> = {
  1: 'success rate over completed requests (no unfinished outcome), one recovery point for the whole run',
};

export interface RunResult {
  schemaVersion: typeof RESULT_SCHEMA_VERSION;
  scenario: {
    name: string;
    description?: string;
    /** sha256 of the scenario's canonical content. */
    hash: string;
    file?: string;
  };
  seed: string;
  mode: 'sim' | 'live';
  /** Set when strategies called an upstream that was already running (`--upstream`), not squall's mock. */
  upstream?: { url: string; external: true };
  /** Set when the scenario has a service under test: how it was started and probed. */
  target?: { command: string | string[]; readyUrl: string };
  durationMs: number;
  /** How long in-flight requests could still finish after the duration; what was open after it is unfinished. */
  drainMs?: number;
  /** The primary objective the verdict table ranks strategies by (scenario `objective:`, default success_rate). */
  objective?: string;
  /** 'open' (arrivals never wait for answers) or 'closed' (virtual users wait), as the report must say. */
  arrivalModel: 'open' | 'closed';
  trafficDescription: string;
  /** The exact command that reproduces this result. */
  reproduce: string;
  versions: { squall: string; node: string; openai: string };
  /** Schedule windows (phases and expanded incidents), ms from the start. */
  faultWindows: Array<{
    name: string;
    startMs: number;
    endMs: number;
    faults: Record<string, number>;
    scope?: unknown;
  }>;
  alertRules: AlertRule[];
  strategies: StrategyResult[];
  /** true when the run was interrupted: numbers cover only what ran. */
  partial: boolean;
  wall: { startedAt: string; wallMs: number };
  /**
   * The scenario's claims, each judged over the run's seeds (at least MIN_CLAIM_SEEDS: see
   * runScenario). Findings, not gates: absent when the scenario states none.
   */
  claims?: ClaimResult[];
}

export interface StrategyResult {
  name: string;
  description?: string;
  summary: StrategySummary;
  alerts: AlertResult[];
  partial: boolean;
  /** Problems the strategy itself caused (threw, hung past the driver's deadline), first few. */
  strategyErrors: string[];
  /** For a target's variant: its log file, and how its upstream attempts were joined to its requests. */
  target?: VariantResultInfo;
  /** Live mode also reports how late the driver handed arrivals over (its scheduling lag). */
  wall: { wallMs: number; arrivalLagMs?: { p50: number; p99: number; max: number } };
}
