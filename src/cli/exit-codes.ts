/** Documented exit codes (README): k6's 99 for failed thresholds, sysexits-style for the rest. */
export const EXIT = {
  ok: 0,
  thresholdsFailed: 99,
  invalidInput: 64,
  /** sysexits EX_UNAVAILABLE: the service under test did not start, answer its probe, or stay up. */
  targetFailed: 69,
  internalError: 70,
  /** sysexits EX_IOERR: a report or result could not be written (the result went to the temp folder). */
  ioError: 74,
  interrupted: 130,
} as const;
