import { tInterval } from '../metrics/confidence.ts';
import {
  compare,
  labelOf,
  METRICS,
  type MetricRef,
  type MetricUnit,
  metricValue,
  type ThresholdOp,
  unitOf,
} from '../metrics/thresholds.ts';
import type { RunResult } from '../runner/result.ts';
import type { ClaimSpec } from '../scenario/claims-schema.ts';

/**
 * Claims: "the article says X, squall finds Y". A claim's check is judged on the 95% t-interval over
 * the run's seeds of the quantity it compares: the paired per-seed difference `left − right` for a
 * comparison of two strategies (seed i of both saw the same arrivals and faults: common random numbers),
 * or the metric itself against a number. The interval wholly on the claim's side: `confirmed`; wholly on
 * the other side: `contradicted`; straddling the boundary: `inconclusive`. Claims are findings, never
 * gates: nothing here touches the exit code.
 */
export type ClaimVerdict = 'confirmed' | 'contradicted' | 'inconclusive';

/** Seeds a claim is judged over when the run asks for fewer (one seed proves nothing about a spread). */
export const MIN_CLAIM_SEEDS = 5;
export const CLAIM_CONFIDENCE = 0.95;

export interface ClaimResult {
  text: string;
  source: string;
  article?: string;
  /** The check as written. */
  check: string;
  measured: {
    /** What the interval is of: `"a".success_rate − "b".success_rate`, or `"a".p(99)`. */
    quantity: string;
    unit: MetricUnit;
    /** The value the claim compares the quantity with: 0 for a comparison, else the number written. */
    against: number;
    op: ThresholdOp;
    /** Mean over seeds; null when a side has no samples or a value is infinite (never recovered). */
    mean: number | null;
    /** 95% t-interval of the mean; null when it cannot be built (see `reason`). */
    ci95: [number, number] | null;
    /** Number of seeds judged. */
    seeds: number;
    /** Per seed, in the run's seed order (null: no sample in that seed, or an infinite one: never recovered). */
    values: Array<number | null>;
    /** Each side's mean, for reading the result in the metric's own terms. */
    left: { label: string; mean: number | null };
    right: { label: string; mean: number | null };
  };
  verdict: ClaimVerdict;
  /** One line saying why this verdict. */
  reason: string;
}

export function evaluateClaims(claims: readonly ClaimSpec[], runs: readonly RunResult[]): ClaimResult[] {
  return claims.map((c) => evaluateClaim(c, runs));
}

export function evaluateClaim(claim: ClaimSpec, runs: readonly RunResult[]): ClaimResult {
  const expr = claim.check;
  const left = expr.left;
  const right = expr.right;
  const leftLabel = refLabel(left);
  const rightLabel = right.kind === 'metric' ? refLabel(right) : String(right.value);
  const leftValues = runs.map((r) => sample(r, left));
  const rightValues = runs.map((r) => (right.kind === 'metric' ? sample(r, right) : 0));
  const against = right.kind === 'metric' ? 0 : right.value;
  const values = leftValues.map((l, i) => {
    const r = rightValues[i];
    if (l === null || r === null || r === undefined) return null;
    return right.kind === 'metric' ? l - r : l;
  });
  const base = {
    text: claim.text,
    source: claim.source,
    ...(claim.article !== undefined ? { article: claim.article } : {}),
    check: expr.source,
  };
  const measured: ClaimResult['measured'] = {
    quantity: right.kind === 'metric' ? `${leftLabel} − ${rightLabel}` : leftLabel,
    unit: unitOf(left),
    against,
    op: expr.op,
    mean: null,
    ci95: null,
    seeds: runs.length,
    values: values.map((v) => (v === null || Number.isFinite(v) ? v : null)),
    left: { label: leftLabel, mean: finiteMean(leftValues) },
    right: { label: rightLabel, mean: right.kind === 'metric' ? finiteMean(rightValues) : against },
  };
  const inconclusive = (reason: string): ClaimResult => ({
    ...base,
    measured,
    verdict: 'inconclusive',
    reason,
  });

  const missing =
    missingSide(runs, left, leftValues) ??
    (right.kind === 'metric' ? missingSide(runs, right, rightValues) : null);
  if (missing) return inconclusive(missing);
  if (runs.length < 2)
    return inconclusive(
      `judged over ${runs.length} seed; an interval needs at least 2 (${MIN_CLAIM_SEEDS} by default)`,
    );
  const finite = values as number[];
  if (finite.some((v) => !Number.isFinite(v)))
    return judgedSeedBySeed(base, measured, finite, expr.op, against);

  const ci = tInterval(finite, CLAIM_CONFIDENCE)!;
  measured.mean = ci.mean;
  measured.ci95 = [ci.low, ci.high];
  const verdict = intervalVerdict(ci.low, ci.high, expr.op, against);
  const where = `95% interval [${num(ci.low)}, ${num(ci.high)}] over ${ci.n} seeds`;
  const reason =
    verdict === 'confirmed'
      ? `${where} lies wholly where ${measured.quantity} ${expr.op} ${num(against)}`
      : verdict === 'contradicted'
        ? `${where} lies wholly where ${measured.quantity} ${expr.op} ${num(against)} does not hold`
        : `${where} straddles ${num(against)}: the seeds disagree`;
  return { ...base, measured, verdict, reason };
}

/** Where the interval lies relative to `t` for the claim `quantity op t`. */
export function intervalVerdict(low: number, high: number, op: ThresholdOp, t: number): ClaimVerdict {
  const [holds, fails] = ((): [boolean, boolean] => {
    switch (op) {
      case '>':
        return [low > t, high <= t];
      case '>=':
        return [low >= t, high < t];
      case '<':
        return [high < t, low >= t];
      case '<=':
        return [high <= t, low > t];
      case '==':
        return [low === t && high === t, high < t || low > t];
      case '!=':
        return [high < t || low > t, low === t && high === t];
    }
  })();
  return holds ? 'confirmed' : fails ? 'contradicted' : 'inconclusive';
}

/**
 * An infinite value (a strategy that never recovered) has no interval; the claim is then judged seed by
 * seed: holding in every seed confirms it, failing in every seed contradicts it, anything else is open.
 */
function judgedSeedBySeed(
  base: Omit<ClaimResult, 'measured' | 'verdict' | 'reason'>,
  measured: ClaimResult['measured'],
  values: number[],
  op: ThresholdOp,
  against: number,
): ClaimResult {
  const holds = values.filter((v) => !Number.isNaN(v) && compare(v, op, against)).length;
  const undecided = values.filter((v) => Number.isNaN(v)).length;
  const verdict: ClaimVerdict =
    undecided > 0
      ? 'inconclusive'
      : holds === values.length
        ? 'confirmed'
        : holds === 0
          ? 'contradicted'
          : 'inconclusive';
  const never = `a side never recovered in ${values.filter((v) => !Number.isFinite(v)).length} of ${values.length} seeds, so there is no interval`;
  const reason =
    undecided > 0
      ? `${never}; both sides never recovered in ${undecided} seeds, which decides nothing`
      : `${never}; judged seed by seed: holds in ${holds} of ${values.length}`;
  return { ...base, measured, verdict, reason };
}

function sample(run: RunResult, ref: MetricRef): number | null {
  const s = run.strategies.find((x) => x.name === ref.strategy);
  return s ? metricValue(s, ref) : null;
}

function missingSide(
  runs: readonly RunResult[],
  ref: MetricRef,
  values: ReadonlyArray<number | null>,
): string | null {
  const i = values.indexOf(null);
  if (i < 0) return null;
  const run = runs[i]!;
  if (!run.strategies.some((s) => s.name === ref.strategy))
    return `no strategy named "${ref.strategy}" ran in seed ${run.seed}`;
  const why = ref.metric === 'p' ? 'no request completed' : METRICS[ref.metric]!.empty;
  return `${refLabel(ref)} has no value in seed ${run.seed} (${why})`;
}

function refLabel(ref: MetricRef): string {
  return `"${ref.strategy}".${labelOf(ref)}`;
}

function finiteMean(values: ReadonlyArray<number | null>): number | null {
  const ok = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return ok.length === values.length && ok.length > 0 ? ok.reduce((a, b) => a + b, 0) / ok.length : null;
}

function num(v: number): string {
  return String(Math.round(v * 1e4) / 1e4);
}
