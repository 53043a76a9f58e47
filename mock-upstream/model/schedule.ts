import type { Rng } from '../../src/sim/rng.ts';
import {
  type Endpoint,
  FAULT_KINDS,
  type FaultKind,
  type FaultLatency,
  type IncidentProcessConfig,
  type LatencySpec,
  type PhaseConfig,
  type RateLimitConfig,
  type Scope,
} from '../types.ts';
import {
  checkFaultLatency,
  checkFaults,
  checkLatency,
  checkNonNegative,
  checkPositive,
  checkRateLimits,
  checkScope,
  invalid,
} from './validate.ts';

/** A seeded incident process may not expand into more phases than this (a limit on everything). */
export const MAX_INCIDENTS_PER_PROCESS = 10_000;

const KIND_COUNT = FAULT_KINDS.length;
const KIND_INDEX: ReadonlyMap<string, number> = new Map(FAULT_KINDS.map((k, i) => [k, i]));

/** The attributes of an attempt that scopes look at. */
export interface ScopeTarget {
  endpoint: Endpoint;
  model: string;
  apiKey: string;
}

/** A phase (or an expanded incident) after validation, with its fault mix as a dense vector. */
export interface CompiledPhase {
  readonly name: string;
  readonly source: 'phase' | 'incident';
  readonly startMs: number;
  readonly endMs: number;
  readonly faults: Partial<Record<FaultKind, number>>;
  /** Probability per kind, indexed like FAULT_KINDS. */
  readonly probs: Float64Array;
  readonly hasFaults: boolean;
  readonly latency?: LatencySpec;
  readonly rateLimits?: Partial<RateLimitConfig>;
  readonly maxConcurrent?: number;
  readonly scope?: Scope;
  readonly rampUpMs: number;
  readonly rampDownMs: number;
  readonly flap?: { onMs: number; offMs: number };
  readonly scopeSets: CompiledScope | undefined;
  readonly faultLatency?: FaultLatency;
  readonly retryAfter?: LatencySpec;
  readonly expiredKeys?: ReadonlySet<string>;
}

export interface CompiledScope {
  models?: ReadonlySet<string>;
  endpoints?: ReadonlySet<string>;
  apiKeys?: ReadonlySet<string>;
}

export interface PhaseSummary {
  name: string;
  source: 'phase' | 'incident';
  startMs: number;
  endMs: number;
  faults: Partial<Record<FaultKind, number>>;
  scope?: Scope;
  rampUpMs?: number;
  rampDownMs?: number;
  flap?: { onMs: number; offMs: number };
}

export interface ActivePhase extends PhaseSummary {
  /** Ramp factor in effect (0..1): the configured probabilities are multiplied by it. */
  factor: number;
}

export interface ActiveEffects {
  /** Combined probability per fault kind: 1 − Π(1 − p_i) over the active sources. */
  faults: Map<FaultKind, number>;
  latency?: LatencySpec;
  rateLimits?: Partial<RateLimitConfig>;
  maxConcurrent?: number;
  phases: string[];
}

/**
 * What is in effect for one attempt, accumulated into reusable buffers so the hot path allocates almost
 * nothing. Fault sources (phases, overrides) combine as independent causes; for the other overrides the
 * latest-starting source wins (ties: the later one in the list).
 */
export class Effects {
  /** Π(1 − p_i) per fault kind. */
  readonly survive = new Float64Array(KIND_COUNT);
  /**
   * Names of every source in effect (phases, incidents, overrides), in the order added: the first
   * `nameCount` entries. The arrays are reused across attempts with a count beside them, because
   * truncating an array frees its storage and the next push allocates it again, per attempt.
   */
  readonly names: string[] = [];
  nameCount = 0;
  /** The sources with faults: name, probability vector and ramp factor (parallel arrays, for reasons). */
  readonly faultNames: string[] = [];
  readonly faultProbs: Float64Array[] = [];
  readonly faultFactors: number[] = [];
  faultCount = 0;
  anyFault = false;
  latency: LatencySpec | undefined;
  rateLimits: Partial<RateLimitConfig> | undefined;
  maxConcurrent: number | undefined;
  faultLatency: FaultLatency | undefined;
  retryAfter: LatencySpec | undefined;
  /** The phase in which this attempt's API key is expired (causes/key-state.ts), if any. */
  keyExpiredBy: string | undefined;
  private faultLatencyStartMs = Number.NEGATIVE_INFINITY;
  private retryAfterStartMs = Number.NEGATIVE_INFINITY;
  private latencyStartMs = Number.NEGATIVE_INFINITY;
  private rateLimitsStartMs = Number.NEGATIVE_INFINITY;
  private maxConcurrentStartMs = Number.NEGATIVE_INFINITY;

  clear(): void {
    // A loop, not fill(): for a handful of kinds the call costs more than the stores (this runs per attempt).
    const survive = this.survive;
    for (let i = 0; i < survive.length; i++) survive[i] = 1;
    this.nameCount = 0;
    this.faultCount = 0;
    this.anyFault = false;
    this.latency = undefined;
    this.rateLimits = undefined;
    this.maxConcurrent = undefined;
    this.faultLatency = undefined;
    this.retryAfter = undefined;
    this.keyExpiredBy = undefined;
    this.faultLatencyStartMs = Number.NEGATIVE_INFINITY;
    this.retryAfterStartMs = Number.NEGATIVE_INFINITY;
    this.latencyStartMs = Number.NEGATIVE_INFINITY;
    this.rateLimitsStartMs = Number.NEGATIVE_INFINITY;
    this.maxConcurrentStartMs = Number.NEGATIVE_INFINITY;
  }

  /** Adds one source. `startMs` decides precedence for latency / limits / capacity (+Infinity always wins). */
  add(
    name: string,
    startMs: number,
    probs: Float64Array | undefined,
    factor: number,
    extra: {
      latency?: LatencySpec;
      rateLimits?: Partial<RateLimitConfig>;
      maxConcurrent?: number;
      faultLatency?: FaultLatency;
      retryAfter?: LatencySpec;
    },
  ): void {
    this.names[this.nameCount++] = name;
    if (probs) {
      const k = this.faultCount++;
      this.faultNames[k] = name;
      this.faultProbs[k] = probs;
      this.faultFactors[k] = factor;
      if (factor > 0) {
        for (let i = 0; i < KIND_COUNT; i++) {
          const p = probs[i]! * factor;
          if (p > 0) {
            this.survive[i]! *= 1 - p;
            this.anyFault = true;
          }
        }
      }
    }
    if (extra.latency && startMs >= this.latencyStartMs) {
      this.latency = extra.latency;
      this.latencyStartMs = startMs;
    }
    if (extra.rateLimits && startMs >= this.rateLimitsStartMs) {
      this.rateLimits = extra.rateLimits;
      this.rateLimitsStartMs = startMs;
    }
    if (extra.maxConcurrent !== undefined && startMs >= this.maxConcurrentStartMs) {
      this.maxConcurrent = extra.maxConcurrent;
      this.maxConcurrentStartMs = startMs;
    }
    if (extra.faultLatency && startMs >= this.faultLatencyStartMs) {
      this.faultLatency = extra.faultLatency;
      this.faultLatencyStartMs = startMs;
    }
    if (extra.retryAfter && startMs >= this.retryAfterStartMs) {
      this.retryAfter = extra.retryAfter;
      this.retryAfterStartMs = startMs;
    }
  }

  /**
   * The names in effect as a frozen list, the same array as last time when they have not changed (the
   * common case: a phase lasts many attempts). Decisions and the journal keep it, so sharing one list
   * instead of a copy per attempt keeps the old generation small.
   */
  namesList(): string[] {
    const names = this.names;
    const count = this.nameCount;
    const last = this.lastNames;
    if (last.length === count) {
      let same = true;
      for (let i = 0; i < count; i++) {
        if (names[i] !== last[i]) {
          same = false;
          break;
        }
      }
      if (same) return last;
    }
    this.lastNames = Object.freeze(names.slice(0, count)) as string[];
    return this.lastNames;
  }

  private lastNames: string[] = Object.freeze([]) as unknown as string[];

  /** Combined probability of fault kind index `i`. */
  probability(i: number): number {
    return 1 - this.survive[i]!;
  }
}

/**
 * The fault timeline: configured phases plus incidents drawn once, at construction, from a seeded process.
 * Times are ms from the upstream's start. Lookups go through a segment index (the timeline cut at every
 * phase boundary, each segment listing the phases that cover it), so an attempt costs a binary search,
 * or nothing when time moves forward within the same segment.
 */
export class Schedule {
  private readonly phases: CompiledPhase[];
  private readonly boundaries: number[];
  private readonly segments: number[][];
  private lastSegment = -1;

  constructor(phases: PhaseConfig[], incidents: IncidentProcessConfig[], rng: Rng) {
    const compiled: CompiledPhase[] = phases.map((p, i) => compilePhase(p, i));
    incidents.forEach((process, i) => {
      compiled.push(...expandIncidents(process, i, rng.fork(`incidents/${i}`)));
    });
    this.phases = compiled;
    const cuts = new Set<number>();
    for (const p of compiled) {
      cuts.add(p.startMs);
      if (Number.isFinite(p.endMs)) cuts.add(p.endMs);
    }
    this.boundaries = [...cuts].sort((a, b) => a - b);
    this.segments = this.boundaries.map(() => []);
    compiled.forEach((p, idx) => {
      for (
        let j = this.segmentAt(p.startMs);
        j < this.boundaries.length && this.boundaries[j]! < p.endMs;
        j++
      ) {
        this.segments[j]!.push(idx);
      }
    });
  }

  /** Adds what is in effect at `tMs` for this attempt to `into` (the hot path; does not clear it). */
  collect(tMs: number, target: ScopeTarget, into: Effects): void {
    const seg = this.segmentAt(tMs);
    if (seg < 0) return;
    for (const idx of this.segments[seg]!) {
      const p = this.phases[idx]!;
      if (tMs >= p.endMs || !inScope(p.scopeSets, target)) continue;
      const factor = rampFactor(p, tMs);
      if (factor < 0) continue;
      into.add(p.name, p.startMs, p.hasFaults ? p.probs : undefined, factor, p);
      if (p.expiredKeys?.has(target.apiKey) && into.keyExpiredBy === undefined) into.keyExpiredBy = p.name;
    }
  }

  /** What is in effect at `tMs` for an attempt, as plain data. */
  active(tMs: number, attempt: ScopeTarget): ActiveEffects {
    const fx = new Effects();
    fx.clear();
    this.collect(tMs, attempt, fx);
    const faults = new Map<FaultKind, number>();
    FAULT_KINDS.forEach((kind, i) => {
      const p = fx.probability(i);
      if (p > 0) faults.set(kind, p);
    });
    const out: ActiveEffects = { faults, phases: fx.names.slice(0, fx.nameCount) };
    if (fx.latency) out.latency = fx.latency;
    if (fx.rateLimits) out.rateLimits = fx.rateLimits;
    if (fx.maxConcurrent !== undefined) out.maxConcurrent = fx.maxConcurrent;
    return out;
  }

  /** Phases in effect at `tMs` for any attempt (scopes not applied), with their ramp factor. */
  activeAt(tMs: number): ActivePhase[] {
    const seg = this.segmentAt(tMs);
    if (seg < 0) return [];
    const out: ActivePhase[] = [];
    for (const idx of this.segments[seg]!) {
      const p = this.phases[idx]!;
      if (tMs >= p.endMs) continue;
      const factor = rampFactor(p, tMs);
      if (factor >= 0) out.push({ ...summarize(p), factor });
    }
    return out;
  }

  /** Every phase with incidents expanded, in order of definition, for reports and /__squall/state. */
  phasesList(): PhaseSummary[] {
    return this.phases.map(summarize);
  }

  /** Index of the segment containing `tMs`, or -1 before the first boundary. */
  private segmentAt(tMs: number): number {
    const b = this.boundaries;
    const last = this.lastSegment;
    // Time mostly moves forward a little at a time: try the segment used last, then its successor.
    if (last >= 0 && last < b.length && b[last]! <= tMs) {
      if (last + 1 >= b.length || tMs < b[last + 1]!) return last;
      if (last + 2 >= b.length || tMs < b[last + 2]!) {
        this.lastSegment = last + 1;
        return last + 1;
      }
    }
    let lo = 0;
    let hi = b.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (b[mid]! <= tMs) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    this.lastSegment = found;
    return found;
  }
}

/**
 * The ramp factor of a phase at `tMs` inside its window: 0→1 over rampUpMs, 1→0 over rampDownMs before
 * the end, and -1 when a flapping phase is in its off part (then it is not active at all).
 */
function rampFactor(p: CompiledPhase, tMs: number): number {
  const sinceStart = tMs - p.startMs;
  if (p.flap && sinceStart % (p.flap.onMs + p.flap.offMs) >= p.flap.onMs) return -1;
  let factor = 1;
  if (p.rampUpMs > 0 && sinceStart < p.rampUpMs) factor = sinceStart / p.rampUpMs;
  const untilEnd = p.endMs - tMs;
  if (p.rampDownMs > 0 && untilEnd < p.rampDownMs) factor = Math.min(factor, untilEnd / p.rampDownMs);
  return factor;
}

function inScope(scope: CompiledScope | undefined, t: ScopeTarget): boolean {
  if (!scope) return true;
  if (scope.models && !scope.models.has(t.model)) return false;
  if (scope.endpoints && !scope.endpoints.has(t.endpoint)) return false;
  if (scope.apiKeys && !scope.apiKeys.has(t.apiKey)) return false;
  return true;
}

function summarize(p: CompiledPhase): PhaseSummary {
  const s: PhaseSummary = {
    name: p.name,
    source: p.source,
    startMs: p.startMs,
    endMs: p.endMs,
    faults: p.faults,
  };
  if (p.scope) s.scope = p.scope;
  if (p.rampUpMs > 0) s.rampUpMs = p.rampUpMs;
  if (p.rampDownMs > 0) s.rampDownMs = p.rampDownMs;
  if (p.flap) s.flap = p.flap;
  return s;
}

/** Dense probability vector for a validated fault map. */
export function faultVector(faults: Partial<Record<FaultKind, number>> | undefined): Float64Array {
  const v = new Float64Array(KIND_COUNT);
  for (const [kind, p] of Object.entries(faults ?? {})) v[KIND_INDEX.get(kind)!] = p as number;
  return v;
}

export function compileScope(scope: Scope | undefined): CompiledScope | undefined {
  if (!scope) return undefined;
  const out: CompiledScope = {};
  if (scope.models) out.models = new Set(scope.models);
  if (scope.endpoints) out.endpoints = new Set(scope.endpoints);
  if (scope.apiKeys) out.apiKeys = new Set(scope.apiKeys);
  return out;
}

/** Whether an attempt falls in a scope (absent fields match everything). */
export function matchesScope(scope: CompiledScope | undefined, target: ScopeTarget): boolean {
  return inScope(scope, target);
}

function compilePhase(p: PhaseConfig, i: number): CompiledPhase {
  const name = p.name ?? `phases[${i}]`;
  const where = p.name === undefined ? `phases[${i}]` : `phases[${i}] "${p.name}"`;
  checkNonNegative(
    where,
    'startMs',
    p.startMs,
    'phase times are ms from the upstream start, e.g. 0 or 30000',
  );
  if (!(typeof p.endMs === 'number' && p.endMs > p.startMs)) {
    throw invalid(
      where,
      'endMs',
      `must be after startMs (${p.startMs}), got ${String(p.endMs)}`,
      'a phase is active in [startMs, endMs); give it a positive duration',
    );
  }
  checkFaults(where, p.faults);
  checkLatency(where, p.latency);
  checkRateLimits(where, p.rateLimits);
  checkScope(where, p.scope);
  checkFaultLatency(where, p.faultLatency);
  checkLatency(where, p.retryAfter, 'retryAfter');
  if (
    p.expiredKeys !== undefined &&
    !(Array.isArray(p.expiredKeys) && p.expiredKeys.every((k) => typeof k === 'string' && k.length > 0))
  ) {
    throw invalid(where, 'expiredKeys', 'must be a list of API keys', 'e.g. expiredKeys: ["sk-old"]');
  }
  if (p.maxConcurrent !== undefined && !(Number.isInteger(p.maxConcurrent) && p.maxConcurrent >= 0)) {
    throw invalid(where, 'maxConcurrent', `must be a whole number ≥ 0, got ${p.maxConcurrent}`, 'e.g. 8');
  }
  if (p.rampUpMs !== undefined) checkNonNegative(where, 'rampUpMs', p.rampUpMs, 'use 0 for no ramp');
  if (p.rampDownMs !== undefined) checkNonNegative(where, 'rampDownMs', p.rampDownMs, 'use 0 for no ramp');
  if (p.flap !== undefined) {
    checkPositive(where, 'flap.onMs', p.flap.onMs, 'flapping needs an on period > 0, e.g. 5000');
    checkPositive(where, 'flap.offMs', p.flap.offMs, 'flapping needs an off period > 0, e.g. 5000');
  }
  return compiled(name, 'phase', p.startMs, p.endMs, p);
}

function compiled(
  name: string,
  source: 'phase' | 'incident',
  startMs: number,
  endMs: number,
  p: Omit<PhaseConfig, 'startMs' | 'endMs'>,
): CompiledPhase {
  const probs = faultVector(p.faults);
  const c: CompiledPhase = {
    name,
    source,
    startMs,
    endMs,
    faults: { ...(p.faults ?? {}) },
    probs,
    hasFaults: probs.some((x) => x > 0),
    rampUpMs: p.rampUpMs ?? 0,
    rampDownMs: p.rampDownMs ?? 0,
    scopeSets: compileScope(p.scope),
    ...(p.latency ? { latency: p.latency } : {}),
    ...(p.rateLimits ? { rateLimits: p.rateLimits } : {}),
    ...(p.maxConcurrent !== undefined ? { maxConcurrent: p.maxConcurrent } : {}),
    ...(p.scope ? { scope: p.scope } : {}),
    ...(p.flap ? { flap: p.flap } : {}),
    ...(p.faultLatency ? { faultLatency: p.faultLatency } : {}),
    ...(p.retryAfter ? { retryAfter: p.retryAfter } : {}),
    ...(p.expiredKeys?.length ? { expiredKeys: new Set(p.expiredKeys) } : {}),
  };
  return c;
}

/** Incidents of one process: exponential gaps (mean mtbfMs) then exponential durations (mean mttrMs). */
function expandIncidents(process: IncidentProcessConfig, i: number, rng: Rng): CompiledPhase[] {
  const base = process.name ?? `incidents[${i}]`;
  const where = process.name === undefined ? `incidents[${i}]` : `incidents[${i}] "${process.name}"`;
  checkPositive(where, 'mtbfMs', process.mtbfMs, 'mean time between incidents, e.g. 600000 (10 min)');
  checkPositive(where, 'mttrMs', process.mttrMs, 'mean incident duration, e.g. 60000 (1 min)');
  checkNonNegative(
    where,
    'horizonMs',
    process.horizonMs,
    'incidents are drawn in [0, horizonMs), e.g. the run length',
  );
  checkFaults(where, process.faults);
  checkLatency(where, process.latency);
  checkScope(where, process.scope);
  const tooMany = () =>
    invalid(
      where,
      'mtbfMs',
      `gives more than ${MAX_INCIDENTS_PER_PROCESS} incidents within horizonMs ${process.horizonMs}`,
      'raise mtbfMs or shorten horizonMs',
    );
  if (process.horizonMs / (process.mtbfMs + process.mttrMs) > MAX_INCIDENTS_PER_PROCESS) throw tooMany();
  const out: CompiledPhase[] = [];
  let t = rng.exponential(process.mtbfMs);
  while (t < process.horizonMs) {
    if (out.length >= MAX_INCIDENTS_PER_PROCESS) throw tooMany();
    // A zero-length draw would be an empty window; one microsecond keeps every incident real.
    const durationMs = Math.max(0.001, rng.exponential(process.mttrMs));
    out.push(compiled(`${base}#${out.length}`, 'incident', t, t + durationMs, process));
    t += durationMs + rng.exponential(process.mtbfMs);
  }
  return out;
}
