import { syntheticPrompt } from '../strategies/prompt.ts';
import type { LogicalRequest } from '../strategies/types.ts';

/**
 * `{{name}}` placeholders: in the target's request (filled per logical request from the traffic mix) and
 * in its command, args and env (filled once per variant). A string that is exactly one placeholder takes
 * the field's own type (`max_tokens: "{{max_tokens}}"` sends a number), so a JSON body stays well typed.
 */
export const REQUEST_PLACEHOLDERS = [
  'request_id',
  'model',
  'prompt',
  'prompt_tokens',
  'max_tokens',
  'stream',
  'user',
  'feature',
] as const;
export type RequestPlaceholder = (typeof REQUEST_PLACEHOLDERS)[number];

/**
 * Filled once per variant in `command`, `args`, `env` and `cwd`; `{{port}}` also in `ready.url` (a free
 * loopback port squall picks for each variant, so no fixed port can clash with anything else running).
 */
export const PROCESS_PLACEHOLDERS = ['upstream_url', 'variant', 'port'] as const;

const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;
const WHOLE = /^\{\{\s*([a-z_]+)\s*\}\}$/;

/** Placeholder names used in a value (strings anywhere in it), for validation. */
export function placeholdersIn(value: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') for (const m of v.matchAll(PLACEHOLDER)) out.push(m[1]!);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(value);
  return out;
}

/** The values of the request placeholders for one logical request. */
export function requestValues(
  req: LogicalRequest,
): Record<RequestPlaceholder, string | number | boolean | null> {
  return {
    request_id: req.id,
    model: req.model,
    prompt: syntheticPrompt(req.promptTokens),
    prompt_tokens: req.promptTokens,
    max_tokens: req.maxTokens,
    stream: req.stream,
    user: req.user ?? null,
    feature: req.feature ?? null,
  };
}

/** Fills every string in `value` (object keys are left as written). Unknown names are left as they are. */
export function expand(value: unknown, values: Record<string, string | number | boolean | null>): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole && whole[1]! in values) return values[whole[1]!];
    return expandString(value, values);
  }
  if (Array.isArray(value)) return value.map((v) => expand(v, values));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expand(v, values);
    return out;
  }
  return value;
}

/** Fills placeholders inside a string (a missing value becomes the empty string). */
export function expandString(text: string, values: Record<string, string | number | boolean | null>): string {
  return text.replace(PLACEHOLDER, (all, name: string) =>
    name in values ? String(values[name] ?? '') : all,
  );
}
