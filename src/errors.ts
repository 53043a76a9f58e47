/**
 * Every error squall raises on purpose carries a stable `code` (undici style), so callers and the CLI can
 * branch on it and users can search for it. `hint` says what to do about it.
 */
export type SquallErrorCode =
  | 'ERR_SQUALL_INVALID_CONFIG'
  | 'ERR_SQUALL_INVALID_DURATION'
  | 'ERR_SQUALL_INVALID_RATE'
  | 'ERR_SQUALL_SCENARIO_FILE'
  | 'ERR_SQUALL_SIM_LIMIT'
  | 'ERR_SQUALL_STRATEGY'
  | 'ERR_SQUALL_BREAKER_OPEN'
  | 'ERR_SQUALL_REJECTED'
  | 'ERR_SQUALL_TIMEOUT'
  | 'ERR_SQUALL_DEADLINE'
  | 'ERR_SQUALL_FALLBACK_EXHAUSTED'
  | 'ERR_SQUALL_RETRIES_EXHAUSTED'
  | 'ERR_SQUALL_INVALID_METRICS'
  /** A file squall had to write could not be (full disk, read-only or missing folder): exit 74. */
  | 'ERR_SQUALL_IO'
  /** The service under test (a scenario's `target:`) did not start, answer its probe, or stay up. */
  | 'ERR_SQUALL_TARGET'
  | 'ERR_SQUALL_INTERNAL';

export class SquallError extends Error {
  readonly code: SquallErrorCode;
  readonly hint: string | undefined;
  constructor(code: SquallErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SquallError';
    this.code = code;
    this.hint = options.hint;
  }
}

export function isSquallError(e: unknown, code?: SquallErrorCode): e is SquallError {
  return e instanceof SquallError && (code === undefined || e.code === code);
}
