import { SquallError } from '../../src/errors.ts';
import {
  type Endpoint,
  FAULT_KINDS,
  type FaultKind,
  type FaultLatency,
  type LatencySpec,
  type RateLimitConfig,
  type Scope,
} from '../types.ts';

/**
 * Checks on the parts of a schedule that the model relies on. Each error names where it is (`phases[2]
 * "outage"`) and the field, and carries a hint, because users meet these while editing a scenario file.
 */

const ENDPOINTS: readonly Endpoint[] = [
  'chat.completions',
  'embeddings',
  'responses',
  'models.list',
  'models.retrieve',
];
const FAULT_SET: ReadonlySet<string> = new Set(FAULT_KINDS);

export function invalid(where: string, field: string, problem: string, hint: string): SquallError {
  return new SquallError('ERR_SQUALL_INVALID_CONFIG', `${where}: ${field} ${problem}`, { hint });
}

export function isFaultKind(s: string): s is FaultKind {
  return FAULT_SET.has(s);
}

/** A key of a map by fault kind (`faults`, `faultLatency`) must be a known kind. */
function checkKind(where: string, field: string, kind: string): void {
  if (!isFaultKind(kind)) {
    throw invalid(
      where,
      `${field}.${kind}`,
      'is not a known fault kind',
      `use one of: ${FAULT_KINDS.join(', ')}`,
    );
  }
}

export function checkFaults(where: string, faults: unknown, field = 'faults'): void {
  if (faults === undefined) return;
  if (typeof faults !== 'object' || faults === null || Array.isArray(faults)) {
    throw invalid(where, field, 'must be a map of fault kind to probability', 'e.g. faults: { "500": 0.1 }');
  }
  for (const [kind, p] of Object.entries(faults)) {
    checkKind(where, field, kind);
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
      throw invalid(
        where,
        `${field}.${kind}`,
        `must be a probability in [0, 1], got ${String(p)}`,
        'write 0.05 for 5% of attempts',
      );
    }
  }
}

export function checkLatency(where: string, spec: LatencySpec | undefined, field = 'latency'): void {
  if (spec === undefined) return;
  const nonNegative = (name: string, v: unknown) => {
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) {
      throw invalid(where, `${field}.${name}`, `must be a number of ms ≥ 0, got ${String(v)}`, 'e.g. 800');
    }
  };
  switch (spec.kind) {
    case 'fixed':
      nonNegative('ms', spec.ms);
      return;
    case 'uniform':
      nonNegative('minMs', spec.minMs);
      nonNegative('maxMs', spec.maxMs);
      if (spec.maxMs < spec.minMs) {
        throw invalid(where, `${field}.maxMs`, 'must be ≥ minMs', 'swap minMs and maxMs');
      }
      return;
    case 'lognormal':
      nonNegative('medianMs', spec.medianMs);
      nonNegative('p99Ms', spec.p99Ms);
      if (spec.p99Ms < spec.medianMs) {
        throw invalid(
          where,
          `${field}.p99Ms`,
          'must be ≥ medianMs',
          'p99 is the slow tail, above the median',
        );
      }
      if (spec.maxMs !== undefined) {
        nonNegative('maxMs', spec.maxMs);
        if (spec.maxMs < spec.medianMs) {
          throw invalid(
            where,
            `${field}.maxMs`,
            'must be ≥ medianMs',
            'the cap trims the tail; set it above p99',
          );
        }
      }
      return;
    default:
      throw invalid(
        where,
        `${field}.kind`,
        `must be fixed, uniform or lognormal, got ${String((spec as { kind?: unknown }).kind)}`,
        'e.g. { kind: lognormal, medianMs: 800, p99Ms: 4000 }',
      );
  }
}

/** Latency per fault kind: known kinds, each a latency spec. */
export function checkFaultLatency(
  where: string,
  spec: FaultLatency | undefined,
  field = 'faultLatency',
): void {
  if (spec === undefined) return;
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw invalid(
      where,
      field,
      'must be a map of fault kind to latency',
      'e.g. { "503": { kind: fixed, ms: 2000 } }',
    );
  }
  for (const [kind, l] of Object.entries(spec)) {
    checkKind(where, field, kind);
    checkLatency(where, l, `${field}.${kind}`);
  }
}

export function checkScope(where: string, scope: Scope | undefined): void {
  if (scope === undefined) return;
  for (const field of ['models', 'endpoints', 'apiKeys'] as const) {
    const v = scope[field];
    if (v === undefined) continue;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
      throw invalid(where, `scope.${field}`, 'must be a list of strings', `e.g. scope: { ${field}: [...] }`);
    }
  }
  for (const e of scope.endpoints ?? []) {
    if (!ENDPOINTS.includes(e)) {
      throw invalid(
        where,
        'scope.endpoints',
        `has unknown endpoint "${e}"`,
        `use one of: ${ENDPOINTS.join(', ')}`,
      );
    }
  }
}

export function checkRateLimits(where: string, limits: Partial<RateLimitConfig> | undefined): void {
  if (limits === undefined) return;
  for (const field of ['requestsPerMin', 'tokensPerMin', 'quantumMs'] as const) {
    const v = limits[field];
    if (v !== undefined && !(typeof v === 'number' && v > 0 && Number.isFinite(v))) {
      throw invalid(where, `rateLimits.${field}`, `must be a number > 0, got ${String(v)}`, 'e.g. 500');
    }
  }
}

export function checkPositive(where: string, field: string, v: unknown, hint: string): void {
  if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) {
    throw invalid(where, field, `must be a number > 0, got ${String(v)}`, hint);
  }
}

export function checkNonNegative(where: string, field: string, v: unknown, hint: string): void {
  if (!(typeof v === 'number' && v >= 0 && Number.isFinite(v))) {
    throw invalid(where, field, `must be a number ≥ 0, got ${String(v)}`, hint);
  }
}
