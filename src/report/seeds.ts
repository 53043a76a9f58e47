import type { SeedsCI } from '../metrics/thresholds.ts';
import type { RunResult } from '../runner/result.ts';
import { formatCount, formatMs, formatPercent, formatRate } from './format.ts';

/**
 * The per-seed spread behind the verdict table's means (`--seeds N`): one row per strategy and seed,
 * read from `seedsCI` in result.json. Empty for a single seed.
 */
export interface SeedRow {
  strategy: string;
  seed: string;
  success: string;
  unfinished: string;
  p95: string;
  goodput: string;
}

export function seedRows(result: RunResult & { seedsCI?: SeedsCI }): SeedRow[] {
  const ci = result.seedsCI;
  if (!ci || ci.seeds.length < 2) return [];
  return result.strategies.flatMap((s) => {
    const m = ci.strategies[s.name];
    if (!m) return [];
    const at = (metric: string, i: number) => m[metric]?.values[i] ?? null;
    return ci.seeds.map((seed, i) => ({
      strategy: s.name,
      seed,
      success: formatPercent(at('success_rate', i)),
      unfinished: formatCount(at('unfinished', i)),
      p95: formatMs(at('p(95)', i)),
      goodput: formatRate(at('goodput', i)),
    }));
  });
}
