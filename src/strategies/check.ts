import { SquallError } from '../errors.ts';

/**
 * Option checks shared by backoffs and policies. Every factory validates before anything runs, and the
 * message names where the bad value sits (`where`, e.g. `strategy "sdk" policies[0]`) and the field, so a
 * user can find it in their scenario file.
 */

export function strategyError(where: string, field: string, problem: string, hint?: string): SquallError {
  return new SquallError('ERR_SQUALL_STRATEGY', `${where}.${field}: ${problem}`, hint ? { hint } : {});
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : String(value);
}

/** A finite number ≥ 0 (delays, durations, costs). */
export function nonNegative(where: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw strategyError(
      where,
      field,
      `must be a number ≥ 0, got ${describe(value)}`,
      'delays and durations are milliseconds and cannot be negative',
    );
  }
  return value;
}

/** A finite number > 0 (rates, windows, factors). */
export function positive(where: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw strategyError(where, field, `must be a number > 0, got ${describe(value)}`);
  }
  return value;
}

/** An integer ≥ min (attempt counts, thresholds, sizes). */
export function integerAtLeast(where: string, field: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw strategyError(where, field, `must be an integer ≥ ${min}, got ${describe(value)}`);
  }
  return value;
}

/** A number in [min, max]. */
export function between(where: string, field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw strategyError(where, field, `must be a number between ${min} and ${max}, got ${describe(value)}`);
  }
  return value;
}

/** One of a fixed set of names; the error lists them. */
export function oneOf<T extends string>(
  where: string,
  field: string,
  value: unknown,
  allowed: readonly T[],
): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw strategyError(
      where,
      field,
      `unknown value ${describe(value)}`,
      `expected one of: ${allowed.join(', ')}`,
    );
  }
  return value as T;
}
