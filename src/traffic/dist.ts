import { invalidTraffic, isNonNegativeFinite, isPositiveFinite } from './errors.ts';

/** A distribution of whole numbers (tokens, think time in ms), sampled from one uniform draw. */
export type Dist =
  | { kind: 'fixed'; value: number }
  | { kind: 'uniform'; min: number; max: number }
  /** Described the way people describe sizes and latencies: the median and the 99th percentile; `max` caps it. */
  | { kind: 'lognormal'; median: number; p99: number; max?: number };

const Z99 = 2.326_347_874_040_841;

/**
 * The value at quantile `u` (0 ≤ u < 1), rounded to a whole number no smaller than `floor`. One uniform in,
 * one value out, so a counter-based draw per field is enough (common random numbers).
 */
export function quantile(dist: Dist, u: number, floor = 1): number {
  let v: number;
  switch (dist.kind) {
    case 'fixed':
      v = dist.value;
      break;
    case 'uniform': {
      const lo = Math.ceil(dist.min);
      const hi = Math.max(lo, Math.floor(dist.max));
      v = Math.min(hi, lo + Math.floor(u * (hi - lo + 1)));
      break;
    }
    case 'lognormal': {
      const sigma = dist.p99 > dist.median ? Math.log(dist.p99 / dist.median) / Z99 : 0;
      v = dist.median * Math.exp(sigma * inverseNormalCdf(u));
      if (dist.max !== undefined) v = Math.min(v, dist.max);
      break;
    }
  }
  return Math.max(floor, Math.round(v));
}

/** Checks a distribution; `floor` is the smallest meaningful value (1 token, 0 ms of think time). */
export function validateDist(dist: Dist, field: string, floor: number, example: string): void {
  const ok = (n: number) => (floor > 0 ? isPositiveFinite(n) && n >= floor : isNonNegativeFinite(n));
  const fail = (message: string) => invalidTraffic(field, message, `e.g. ${example}`);
  switch (dist.kind) {
    case 'fixed':
      if (!ok(dist.value)) throw fail(`expected a value of at least ${floor}, got ${dist.value}`);
      return;
    case 'uniform':
      if (!ok(dist.min) || !ok(dist.max) || dist.max < dist.min) {
        throw fail(`expected ${floor} ≤ min ≤ max, got min ${dist.min} and max ${dist.max}`);
      }
      return;
    case 'lognormal':
      if (!isPositiveFinite(dist.median) || !isPositiveFinite(dist.p99) || dist.p99 < dist.median) {
        throw fail(`expected 0 < median ≤ p99, got median ${dist.median} and p99 ${dist.p99}`);
      }
      if (dist.max !== undefined && !(isPositiveFinite(dist.max) && dist.max >= dist.median)) {
        throw fail(`expected max ≥ median, got max ${dist.max}`);
      }
      return;
    default:
      throw fail(
        `unknown distribution ${JSON.stringify((dist as { kind: unknown }).kind)}; known: fixed, uniform, lognormal`,
      );
  }
}

/**
 * Φ⁻¹(u), Acklam's rational approximation (relative error < 1.2e-9), good enough for sizes and think times.
 * u is clamped away from 0 and 1 so a draw of exactly 0 cannot produce −∞.
 */
export function inverseNormalCdf(u: number): number {
  const p = Math.min(1 - 1e-16, Math.max(1e-16, u));
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - low) return -inverseNormalCdf(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

export function describeDist(dist: Dist, unit = ''): string {
  switch (dist.kind) {
    case 'fixed':
      return `${dist.value}${unit}`;
    case 'uniform':
      return `uniform ${dist.min}–${dist.max}${unit}`;
    case 'lognormal':
      return `lognormal median ${dist.median}${unit}, p99 ${dist.p99}${unit}${dist.max !== undefined ? `, max ${dist.max}${unit}` : ''}`;
  }
}
