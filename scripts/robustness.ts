// Robust verdicts for the seed stories (scenarios/seed-article/): runs each story's claims over 5 seeds as
// written, then with each key physical parameter at -20% and +20%, and reports every claim whose verdict
// flips. A claim that flips is inconclusive, whatever one run says; the table names the parameter that
// decides it. Simulated time; a few minutes on a loaded 2-core machine.
//   node scripts/robustness.ts                      # every story
//   node scripts/robustness.ts flash-sale-thundering-herd   # one story (file name without .yaml)
// Exit code 0 when it ran (flips are findings, not failures), 64 for an unknown story.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import type { ClaimVerdict } from '../src/claims/evaluate.ts';
import { parseScenario, runScenario } from '../src/scenario/plan.ts';
import { parseDurationMs } from '../src/util/duration.ts';

/**
 * Each story's key physical parameters, as paths into its YAML document: the ones its outcome turns on and
 * that the story or the public facts fix only roughly. Kept beside the files' own comments that source them.
 */
export const KEY_PARAMETERS: Record<string, string[]> = {
  'intermittent-failures-breaker': [
    'client.workers',
    'upstream.phases.0.faults.timeout',
    'upstream.phases.0.faults.503',
    'upstream.fault_latency.503.median',
    'traffic.arrivals.rate',
    'client.other_traffic.0.rate',
  ],
  'flash-sale-thundering-herd': [
    'upstream.rate_limits.requests_per_min',
    'traffic.arrivals.spikes.0.rate',
    'traffic.arrivals.spikes.0.duration',
    'client.workers',
  ],
  'load-test-2000rpm': [
    'upstream.rate_limits.tokens_per_min',
    'upstream.rate_limits.requests_per_min',
    'traffic.mix.prompt_tokens.median',
    'traffic.arrivals.rate',
  ],
  'retries-3-vs-5': [
    'upstream.incidents.0.mttr',
    'upstream.incidents.0.mtbf',
    'upstream.phases.0.faults.500',
  ],
  // The phase's end is the renewal: scaling it moves the renewal (2 minutes expired becomes 1.4 or 2.6).
  'duplicate-submissions': [
    'strategies.0.policies.1.attempt_timeout_ms',
    'upstream.phases.0.latency.median',
    'traffic.arrivals.rate',
  ],
  'expired-api-key': ['upstream.phases.0.end', 'traffic.arrivals.rate'],
  'queue-5x-growth': [
    'traffic.arrivals.mean_rate',
    'traffic.arrivals.amplitude',
    'upstream.rate_limits.requests_per_min',
    'strategies.1.policies.0.workers',
  ],
  'singles-day-429-storm': ['upstream.phases.0.rate_limits.requests_per_min', 'traffic.arrivals.rate'],
  'tpm-exhaustion': [
    'traffic.arrivals.rate',
    'traffic.mix.max_tokens',
    'upstream.rate_limits.tokens_per_min',
  ],
};

export const FACTORS = [0.8, 1.2] as const;

export function storyFile(story: string): string {
  return fileURLToPath(new URL(`../scenarios/seed-article/${story}.yaml`, import.meta.url));
}

const DURATION = /^\s*\d+(\.\d+)?(us|µs|ms|s|m|h)\s*$/;
const RATE = /^\s*(\d+(?:\.\d+)?)\s*\/\s*([a-z]+)\s*$/;

/** A value scaled by `factor`: counts stay whole (at least 1), fractions at most 1, units kept. */
export function scaled(value: unknown, factor: number, path: string): unknown {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value > 1) return Math.max(1, Math.round(value * factor));
    return Math.min(1, value * factor);
  }
  if (typeof value === 'string' && DURATION.test(value)) {
    return `${Math.round(parseDurationMs(value) * factor)}ms`;
  }
  const rate = typeof value === 'string' ? RATE.exec(value) : null;
  if (rate) return `${Number((Number(rate[1]) * factor).toPrecision(12))}/${rate[2]}`;
  throw new Error(`${path}: cannot scale ${JSON.stringify(value)} (a number, a duration or a rate)`);
}

/** The story's YAML text with one parameter scaled. */
export function perturbed(text: string, path: string, factor: number): string {
  const doc = parse(text) as Record<string, unknown>;
  const keys = path.split('.');
  let node: Record<string, unknown> = doc;
  for (const k of keys.slice(0, -1)) {
    const next = node[k];
    if (typeof next !== 'object' || next === null) throw new Error(`${path}: no "${k}" in the story`);
    node = next as Record<string, unknown>;
  }
  const last = keys.at(-1)!;
  if (!(last in node)) throw new Error(`${path}: no "${last}" in the story`);
  node[last] = scaled(node[last], factor, path);
  return stringify(doc);
}

export interface Variant {
  /** "as written" or "<path> x0.8". */
  label: string;
  verdicts: ClaimVerdict[];
}

/** The claims' verdicts (over the 5 claim seeds) of a story's text. */
export async function verdictsOf(story: string, text: string): Promise<ClaimVerdict[]> {
  const run = await runScenario(parseScenario(`${story}.yaml`, text), { workers: 1 });
  return (run.result.claims ?? []).map((c) => c.verdict);
}

export interface StoryRobustness {
  story: string;
  claims: string[];
  variants: Variant[];
  /** Per claim: the verdict as written, or inconclusive when a variant flips it, with the parameters. */
  robust: Array<{ verdict: ClaimVerdict; decidedBy: string[] }>;
}

export async function sweep(story: string): Promise<StoryRobustness> {
  const text = readFileSync(storyFile(story), 'utf8');
  const claims = ((parse(text) as { claims?: Array<{ text: string }> }).claims ?? []).map((c) => c.text);
  const variants: Variant[] = [{ label: 'as written', verdicts: await verdictsOf(story, text) }];
  for (const path of KEY_PARAMETERS[story] ?? []) {
    for (const f of FACTORS) {
      variants.push({ label: `${path} x${f}`, verdicts: await verdictsOf(story, perturbed(text, path, f)) });
    }
  }
  const base = variants[0]!.verdicts;
  const robust = base.map((v, i) => {
    const decidedBy = [
      ...new Set(variants.filter((x) => x.verdicts[i] !== v).map((x) => x.label.replace(/ x[\d.]+$/, ''))),
    ];
    return { verdict: decidedBy.length > 0 ? ('inconclusive' as const) : v, decidedBy };
  });
  return { story, claims, variants, robust };
}

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((s) => !(s in KEY_PARAMETERS));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown story ${unknown.join(', ')}; known: ${Object.keys(KEY_PARAMETERS).join(', ')}\n`,
    );
    process.exit(64);
  }
  for (const story of asked.length > 0 ? asked : Object.keys(KEY_PARAMETERS)) {
    const r = await sweep(story);
    process.stdout.write(`\n## ${story}\n`);
    for (const v of r.variants) process.stdout.write(`  ${v.label.padEnd(48)} ${v.verdicts.join(', ')}\n`);
    r.claims.forEach((text, i) => {
      const { verdict, decidedBy } = r.robust[i]!;
      const by = decidedBy.length > 0 ? ` (flips under ${decidedBy.join(', ')})` : '';
      process.stdout.write(`  claim ${i + 1}: ${verdict}${by}: ${text}\n`);
    });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
