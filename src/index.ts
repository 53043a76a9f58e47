/**
 * squall's public API, one explicit list. The CLI (`squall run`, `serve`, ...) is built on exactly these.
 */
export { isSquallError, SquallError, type SquallErrorCode } from './errors.ts';
export {
  renderCompareHtml,
  renderCompareMarkdown,
  renderHtml,
  renderMarkdown,
  renderTerminalTable,
} from './report/index.ts';
export { type Plan, type RunOptions, runExperiment, type StrategySpec } from './runner/experiment.ts';
export type { RunResult, StrategyResult } from './runner/result.ts';
export { runStrategyLive, runStrategySim, type StrategyRunInput } from './runner/run-strategy.ts';
export { loadScenario, runScenario } from './scenario/plan.ts';
export { type Clock, RealClock, VirtualClock } from './sim/clock.ts';
export { Rng } from './sim/rng.ts';
export { buildStrategy } from './strategies/build.ts';
export type {
  AttemptOutcome,
  LogicalOutcome,
  LogicalRequest,
  Strategy,
  StrategyContext,
  StrategyEvent,
} from './strategies/types.ts';
export { createTraffic } from './traffic/index.ts';
