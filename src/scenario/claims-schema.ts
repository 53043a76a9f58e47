import { z } from 'zod';
import {
  namedStrategies,
  parseThreshold,
  type ThresholdExpr,
  ThresholdSyntaxError,
} from '../metrics/thresholds.ts';

/**
 * `claims:` in a scenario: what an article (or a team) believes, stated so squall can check it.
 *
 *   claims:
 *     - text: Exponential backoff with jitter serves more requests than a fixed 2 s retry
 *       source: '"AI APIs fail: plan for it", section "The 2,000 rpm load test"'
 *       article: 99.2% vs 71%
 *       check: '"expo-jitter".success_rate > "fixed-2s".success_rate'
 *
 * `check` is a threshold expression (src/metrics/thresholds.ts) whose every metric names its strategy:
 * a claim is about particular strategies, never "each of them". Claims are findings, not gates: they are
 * evaluated over several seeds (src/claims/evaluate.ts) and never change the exit code.
 */
export interface ClaimSpec {
  text: string;
  source: string;
  /** The article's own figure, as it states it (free text: "99.2%", "about 3x"). */
  article?: string;
  check: ThresholdExpr;
  /** Where it is written in the scenario file (for messages). */
  at: Array<string | number>;
}

const CHECK_HINT =
  'e.g. \'"expo-jitter".success_rate > "fixed-2s".success_rate\' or \'"breaker".p(99) < 2s\'';

const check = z
  .string()
  .describe(
    'a threshold expression naming the strategy of every metric, e.g. "expo-jitter".success_rate > "fixed-2s".success_rate',
  )
  .transform((text, ctx): ThresholdExpr => {
    try {
      const expr = parseThreshold(text);
      if (expr.confidence !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `\`${text}\`: a claim is always judged by its 95% interval over the seeds; drop "with ${Math.round(expr.confidence * 100)}% confidence"`,
          params: { hint: CHECK_HINT },
        });
      }
      const unnamed =
        expr.left.strategy === undefined ||
        (expr.right.kind === 'metric' && expr.right.strategy === undefined);
      if (unnamed) {
        ctx.addIssue({
          code: 'custom',
          message: `\`${text}\`: name the strategy of every metric in a claim ("name".metric)`,
          params: { hint: CHECK_HINT },
        });
      }
      return expr;
    } catch (e) {
      if (!(e instanceof ThresholdSyntaxError)) throw e;
      ctx.addIssue({ code: 'custom', message: e.message, params: { hint: e.hint } });
      return z.NEVER;
    }
  });

const SOURCE_ERROR = 'say where the claim comes from: article title, author and section';

const claim = z.strictObject({
  text: z
    .string({ error: 'say the claim in words (text)' })
    .min(1, { error: 'say the claim in words' })
    .describe('the claim in words'),
  source: z
    .string({ error: SOURCE_ERROR })
    .min(1, { error: SOURCE_ERROR })
    .describe('where it comes from: article title, author, section (and a public URL)'),
  article: z
    .union([z.string(), z.number()])
    .transform(String)
    .optional()
    .describe("the article's own figure, if it gives one"),
  check,
});

export const claimsSchema = z
  .array(claim)
  .describe('what an article or a team claims, checked over several seeds; findings, never gates')
  .transform((list): ClaimSpec[] =>
    list.map((c, i) => ({
      text: c.text,
      source: c.source,
      ...(c.article !== undefined ? { article: c.article } : {}),
      check: c.check,
      at: ['claims', i, 'check'],
    })),
  );

/** Issues for claims whose check names a strategy the scenario does not run (called by the scenario's refine). */
export function checkClaimStrategies(
  claims: unknown,
  names: ReadonlySet<string>,
  addIssue: (issue: { path: Array<string | number>; message: string; hint: string }) => void,
): void {
  if (!Array.isArray(claims) || names.size === 0) return;
  const known = [...names].map((n) => `"${n}"`).join(', ');
  for (const c of claims as Array<Partial<ClaimSpec> | undefined>) {
    if (!c?.check || !c.at) continue;
    for (const ref of namedStrategies(c.check)) {
      if (!names.has(ref))
        addIssue({
          path: c.at,
          message: `\`${c.check.source}\`: no strategy is named "${ref}" (strategies: ${known})`,
          hint: 'a claim compares strategies of this scenario by name',
        });
    }
  }
}
