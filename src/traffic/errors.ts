import { SquallError } from '../errors.ts';

/** A traffic setting that cannot run, raised before anything starts. `field` is the snake_case path under
 *  `traffic:` (e.g. `arrivals.stages.0.duration`), so the scenario loader can point at file:line. */
export class TrafficConfigError extends SquallError {
  readonly field: string;
  constructor(field: string, message: string, hint: string) {
    super('ERR_SQUALL_INVALID_CONFIG', `traffic.${field}: ${message}`, { hint });
    this.field = field;
  }
}

export function invalidTraffic(field: string, message: string, hint: string): TrafficConfigError {
  return new TrafficConfigError(field, message, hint);
}

export function isPositiveFinite(n: number): boolean {
  return Number.isFinite(n) && n > 0;
}

export function isNonNegativeFinite(n: number): boolean {
  return Number.isFinite(n) && n >= 0;
}
