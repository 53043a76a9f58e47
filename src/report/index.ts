/**
 * Reports: pure functions of result.json (and, when given, the threshold verdicts). One explicit list:
 * what is not here is internal.
 */
export { type CompareCell, type CompareRow, type Comparison, compareRuns } from './compare.ts';
export { DEFAULT_MAX_POINTS, downsampleMinMax, type TimeAxis, timeAxis } from './downsample.ts';
export { renderHtml } from './html.ts';
export { renderCompareHtml } from './html-compare.ts';
export { fitMarkdown, MARKDOWN_MAX_BYTES, renderCompareMarkdown, renderMarkdown } from './markdown.ts';
export { STRATEGY_PALETTE, strategyColor } from './palette.ts';
export { renderTerminalTable } from './terminal.ts';
export type {
  CompareOptions,
  Interval,
  MarkdownOptions,
  ReportOptions,
  TerminalOptions,
  ThresholdResult,
} from './types.ts';
export {
  VERDICT_COLUMNS,
  type VerdictCell,
  type VerdictColumn,
  type VerdictKey,
  type VerdictRow,
  type VerdictTable,
  verdictTable,
} from './verdict.ts';
