import type { RunResult } from '../runner/result.ts';
import { type Interval, tInterval, tQuantile } from './confidence.ts';
import {
  CI_METRICS,
  compare,
  fmt,
  labelOf,
  metricValue,
  type SeedsCI,
  type ThresholdExpr,
  type ThresholdResult,
  unitOf,
} from './thresholds.ts';

/**
 * Two results of the same scenario (a baseline and a candidate, e.g. main vs a branch): per strategy,
 * per headline metric, the change. With several seeds on both sides the change gets a confidence
 * interval: paired over seeds when both ran the same seeds (common random numbers), Welch otherwise.
 *
 * `--fail-on` expressions use the threshold syntax over the *delta* (candidate − baseline):
 * `success_rate < -0.02` fails when the success rate dropped by more than 2 points;
 * `p(99) > 500ms with 95% confidence` only when the whole interval of the change is above 500 ms.
 */
export type ResultWithSeeds = RunResult & { seedsCI?: SeedsCI };

export interface MetricDelta {
  metric: string;
  baseline: number | null;
  candidate: number | null;
  delta: number | null;
  /** Interval of the delta, when both sides ran several seeds. */
  interval: Interval | null;
}

export interface StrategyDelta {
  name: string;
  metrics: MetricDelta[];
}

export interface Comparison {
  scenario: string;
  sameScenario: boolean;
  baselineSeeds: string[];
  candidateSeeds: string[];
  strategies: StrategyDelta[];
  onlyInBaseline: string[];
  onlyInCandidate: string[];
}

export function compareResults(
  baseline: ResultWithSeeds,
  candidate: ResultWithSeeds,
  confidence = 0.95,
): Comparison {
  const baseNames = baseline.strategies.map((s) => s.name);
  const candNames = candidate.strategies.map((s) => s.name);
  const strategies: StrategyDelta[] = [];
  for (const name of baseNames.filter((n) => candNames.includes(n))) {
    const b = baseline.strategies.find((s) => s.name === name)!;
    const c = candidate.strategies.find((s) => s.name === name)!;
    strategies.push({
      name,
      metrics: CI_METRICS.map((ref) => {
        const label = labelOf(ref);
        const bs = seedValues(baseline, name, label) ?? single(metricValue(b, ref));
        const cs = seedValues(candidate, name, label) ?? single(metricValue(c, ref));
        const bm = meanOrNull(bs);
        const cm = meanOrNull(cs);
        return {
          metric: label,
          baseline: bm,
          candidate: cm,
          delta: bm === null || cm === null ? null : cm - bm,
          interval: deltaInterval(bs, cs, sameSeeds(baseline, candidate), confidence),
        };
      }),
    });
  }
  return {
    scenario: candidate.scenario.name,
    sameScenario: baseline.scenario.hash === candidate.scenario.hash,
    baselineSeeds: baseline.seedsCI?.seeds ?? [baseline.seed],
    candidateSeeds: candidate.seedsCI?.seeds ?? [candidate.seed],
    strategies,
    onlyInBaseline: baseNames.filter((n) => !candNames.includes(n)),
    onlyInCandidate: candNames.filter((n) => !baseNames.includes(n)),
  };
}

function single(v: number | null): Array<number | null> {
  return [v !== null && Number.isFinite(v) ? v : null];
}

function seedValues(r: ResultWithSeeds, name: string, label: string): Array<number | null> | null {
  return r.seedsCI?.strategies[name]?.[label]?.values ?? null;
}

function meanOrNull(values: Array<number | null>): number | null {
  const xs = values.filter((v): v is number => v !== null);
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

function sameSeeds(a: ResultWithSeeds, b: ResultWithSeeds): boolean {
  const sa = a.seedsCI?.seeds ?? [a.seed];
  const sb = b.seedsCI?.seeds ?? [b.seed];
  return sa.length === sb.length && sa.every((s, i) => s === sb[i]);
}

function deltaInterval(
  base: Array<number | null>,
  cand: Array<number | null>,
  paired: boolean,
  confidence: number,
): Interval | null {
  if (paired && base.length === cand.length && base.length > 1) {
    const diffs: number[] = [];
    for (let i = 0; i < base.length; i++) {
      const b = base[i];
      const c = cand[i];
      if (b != null && c != null) diffs.push(c - b);
    }
    return diffs.length > 1 ? tInterval(diffs, confidence) : null;
  }
  const b = tInterval(
    base.filter((v): v is number => v !== null),
    confidence,
  );
  const c = tInterval(
    cand.filter((v): v is number => v !== null),
    confidence,
  );
  if (!b || !c || b.n < 2 || c.n < 2) return null;
  // Welch: unequal variances, Welch–Satterthwaite degrees of freedom.
  const vb = b.sd ** 2 / b.n;
  const vc = c.sd ** 2 / c.n;
  const se = Math.sqrt(vb + vc);
  const mean = c.mean - b.mean;
  if (se === 0) return { n: Math.min(b.n, c.n), mean, sd: 0, low: mean, high: mean, confidence };
  const df = (vb + vc) ** 2 / (vb ** 2 / (b.n - 1) + vc ** 2 / (c.n - 1));
  const half = tQuantile(1 - (1 - confidence) / 2, df) * se;
  return { n: Math.min(b.n, c.n), mean, sd: se, low: mean - half, high: mean + half, confidence };
}

/**
 * `--fail-on` verdicts: one per expression per strategy (or per named strategy). `pass` is false when
 * the regression condition holds.
 */
export function evaluateFailOn(exprs: readonly ThresholdExpr[], cmp: Comparison): ThresholdResult[] {
  const out: ThresholdResult[] = [];
  for (const expr of exprs) {
    const label = labelOf(expr.left);
    const unit = unitOf(expr.left);
    const limit = expr.right.kind === 'literal' ? expr.right.value : Number.NaN;
    const targets = expr.left.strategy ? [expr.left.strategy] : cmp.strategies.map((s) => s.name);
    for (const name of targets) {
      const base = { strategy: name, expression: expr.source, metric: label, op: expr.op, unit, limit };
      const s = cmp.strategies.find((x) => x.name === name);
      const m = s?.metrics.find((x) => x.metric === label);
      if (!s || !m) {
        out.push({
          ...base,
          observed: null,
          pass: false,
          message: !s
            ? `no strategy named "${name}" in both results`
            : `${label} is not compared (compared: ${s.metrics.map((x) => x.metric).join(', ')})`,
        });
        continue;
      }
      if (m.delta === null) {
        out.push({
          ...base,
          observed: null,
          pass: false,
          message: `"${name}" ${label} has no value on one side, so its change is unknown`,
        });
        continue;
      }
      let triggered: boolean;
      let how = '';
      if (expr.confidence !== undefined) {
        if (!m.interval) {
          out.push({
            ...base,
            observed: m.delta,
            pass: false,
            message: `"${name}" ${label}: "with confidence" needs several seeds on both sides (run both with --seeds N)`,
          });
          continue;
        }
        const bound = expr.op === '<' || expr.op === '<=' ? m.interval.high : m.interval.low;
        triggered = compare(bound, expr.op, limit);
        how = ` (${Math.round(m.interval.confidence * 100)}% CI ${fmt(m.interval.low, unit)}…${fmt(m.interval.high, unit)})`;
      } else triggered = compare(m.delta, expr.op, limit);
      out.push({
        ...base,
        observed: m.delta,
        pass: !triggered,
        message: `"${name}" ${label} changed by ${signed(m.delta, unit)}${how}${triggered ? `: regression (${expr.op} ${fmt(limit, unit)})` : ''}`,
      });
    }
  }
  return out;
}

export function signed(v: number, unit: Parameters<typeof fmt>[1]): string {
  return `${v >= 0 ? '+' : '−'}${fmt(Math.abs(v), unit)}`;
}

/** Plain Markdown for a comparison (the report module's renderer is used when it has one). */
export function comparisonMarkdown(cmp: Comparison, verdicts: readonly ThresholdResult[]): string {
  const lines = [
    `## squall compare: ${cmp.scenario}`,
    '',
    cmp.sameScenario ? '' : '> The two results come from different scenario contents (hashes differ).\n',
    `baseline seeds: ${cmp.baselineSeeds.join(', ')} · candidate seeds: ${cmp.candidateSeeds.join(', ')}`,
    '',
    '| strategy | metric | baseline | candidate | change | 95% CI of change |',
    '|---|---|---|---|---|---|',
  ];
  for (const s of cmp.strategies) {
    for (const m of s.metrics) {
      const unit = m.metric.startsWith('p(') ? 'ms' : unitOf({ kind: 'metric', metric: m.metric });
      const v = (x: number | null) => (x === null ? '–' : fmt(x, unit));
      const ci = m.interval ? `${signed(m.interval.low, unit)} … ${signed(m.interval.high, unit)}` : '–';
      lines.push(
        `| ${s.name} | ${m.metric} | ${v(m.baseline)} | ${v(m.candidate)} | ${m.delta === null ? '–' : signed(m.delta, unit)} | ${ci} |`,
      );
    }
  }
  if (cmp.onlyInBaseline.length) lines.push('', `Only in the baseline: ${cmp.onlyInBaseline.join(', ')}`);
  if (cmp.onlyInCandidate.length) lines.push('', `Only in the candidate: ${cmp.onlyInCandidate.join(', ')}`);
  if (verdicts.length) {
    lines.push('', '### Regression checks', '');
    for (const t of verdicts) lines.push(`- ${t.pass ? '✓' : '✗'} \`${t.expression}\`: ${t.message}`);
  }
  return `${lines.filter((l, i) => l !== '' || lines[i - 1] !== '').join('\n')}\n`;
}

/**
 * What the report module's comparison does not show: the confidence intervals of the changes (when
 * seeds allow) and the `--fail-on` verdicts. Appended to its Markdown.
 */
export function comparisonExtrasMarkdown(cmp: Comparison, verdicts: readonly ThresholdResult[]): string {
  const lines: string[] = [];
  const withCi = cmp.strategies.flatMap((s) =>
    s.metrics.filter((m) => m.interval).map((m) => ({ s: s.name, m })),
  );
  if (withCi.length > 0) {
    lines.push(
      '',
      '### Changes with 95% confidence intervals',
      '',
      '| strategy | metric | change | 95% CI |',
      '|---|---|---:|---:|',
    );
    for (const { s, m } of withCi) {
      const unit = m.metric.startsWith('p(') ? 'ms' : unitOf({ kind: 'metric', metric: m.metric });
      lines.push(
        `| ${s} | ${m.metric} | ${m.delta === null ? '–' : signed(m.delta, unit)} | ${signed(m.interval!.low, unit)} … ${signed(m.interval!.high, unit)} |`,
      );
    }
  }
  if (verdicts.length > 0) {
    lines.push('', '### Regression checks', '');
    for (const t of verdicts) lines.push(`- ${t.pass ? '✓' : '✗'} \`${t.expression}\`: ${t.message}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
