export {
  type AlertFiring,
  type AlertResult,
  type AlertRule,
  ARTICLE_ALERT_RULES,
  evaluateAlerts,
} from './alerts.ts';
export {
  Breakdown,
  type BreakdownRow,
  DEFAULT_MAX_BREAKDOWN_KEYS,
  NONE_KEY,
  OTHER_KEY,
} from './breakdown.ts';
export {
  attemptFailureClass,
  attemptKindOf,
  FAILURE_CLASSES,
  type FailureClass,
  failureClassOf,
} from './failure-class.ts';
export {
  DEFAULT_SUB_BUCKET_BITS,
  Histogram,
  type HistogramJSON,
  type HistogramOptions,
  type SpectrumPoint,
} from './histogram.ts';
export {
  type LatencyStats,
  type LogicalResult,
  StrategyRecorder,
  type StrategyRecorderOptions,
  type StrategySummary,
} from './recorder.ts';
export {
  DEFAULT_RECOVERY_HOLD_MS,
  DEFAULT_RECOVERY_MARGIN,
  DEFAULT_RECOVERY_RULE,
  type FaultWindow,
  type RecoveryResult,
  type RecoveryRule,
  recoveryTimes,
} from './recovery.ts';
export {
  type BreakerState,
  completedPerSecond,
  MAX_SERIES_SECONDS,
  SecondSeries,
  type SeriesJSON,
  type SeriesOptions,
} from './series.ts';
