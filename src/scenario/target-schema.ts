import { z } from 'zod';
import {
  expandString,
  PROCESS_PLACEHOLDERS,
  placeholdersIn,
  REQUEST_PLACEHOLDERS,
} from '../target/template.ts';
import { durationMs } from './upstream-schema.ts';

/**
 * The `target:` and `variants:` sections: the user's own service under test (src/target/), started by
 * squall against a fresh mock upstream per variant, in live mode only.
 *
 *   target:
 *     command: [python3, app.py]
 *     cwd: ../examples/python-service
 *     env: { OPENAI_BASE_URL: '{{upstream_url}}', PORT: '8765' }
 *     ready: { url: http://127.0.0.1:8765/healthz, timeout: 20s }
 *     request: { method: POST, path: /chat, body: { prompt: '{{prompt}}', max_tokens: '{{max_tokens}}' } }
 *   variants:
 *     - { name: fixed-2s, env: { RETRY_MODE: fixed } }
 *     - { name: expo-jitter, env: { RETRY_MODE: jitter } }
 */

const SLUG = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** A service that takes longer than this to answer its readiness probe is broken, not slow. */
export const MAX_READY_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_READY_TIMEOUT_MS = 30_000;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

const envValue = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));
const envSchema = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), envValue);

/**
 * An http URL on loopback: squall starts the service on this machine, and sends it nothing elsewhere.
 * It may say `{{port}}` for the port (kept as written: it is filled per variant).
 */
const loopbackUrl = z.string().transform((v, ctx) => {
  let url: URL;
  const others = placeholdersIn(v).filter((p) => p !== 'port');
  if (others.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `only {{port}} may stand in a ready URL, found {{${others[0]}}}`,
      params: { hint: 'e.g. http://127.0.0.1:{{port}}/healthz' },
    });
    return z.NEVER;
  }
  try {
    url = new URL(expandString(v, { port: '1' }));
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: `expected a URL, found ${JSON.stringify(v)}`,
      params: { hint: 'e.g. http://127.0.0.1:8765/healthz' },
    });
    return z.NEVER;
  }
  if (url.protocol !== 'http:') {
    ctx.addIssue({
      code: 'custom',
      message: `expected an http:// URL, found ${JSON.stringify(v)}`,
      params: { hint: 'squall talks plain HTTP to the service it starts, on loopback' },
    });
    return z.NEVER;
  }
  if (!LOOPBACK.has(url.hostname)) {
    ctx.addIssue({
      code: 'custom',
      message: `the service squall starts listens on loopback, found host ${JSON.stringify(url.hostname)}`,
      params: { hint: 'use 127.0.0.1 (or localhost, [::1]) and bind the service there' },
    });
    return z.NEVER;
  }
  return others.length === 0 && placeholdersIn(v).includes('port') ? v : url.href;
});

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

export const targetSchema = z.strictObject({
  /** A list runs as is (no shell); a string runs through /bin/sh -c. */
  command: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
    error: 'expected a command: a list of words ([python3, app.py]) or a shell line',
  }),
  /** Relative to the scenario file's folder. */
  cwd: z.string().min(1).optional(),
  env: envSchema.optional(),
  ready: z.strictObject({
    url: loopbackUrl,
    timeout: durationMs.optional(),
  }),
  request: z
    .strictObject({
      method: z.enum(METHODS).optional(),
      /** Relative to the origin of `ready.url`. */
      path: z.string().regex(/^\//, { error: 'a path starts with "/"' }).optional(),
      headers: z.record(z.string(), z.string()).optional(),
      /** Any JSON-like value; sent as JSON. Without it the request has no body. */
      body: z.unknown().optional(),
    })
    .optional(),
});

export const variantSchema = z.strictObject({
  name: z.string().regex(SLUG, { error: 'a variant name is letters, digits, ".", "_" and "-"' }),
  description: z.string().optional(),
  /** Added to (and overriding) the target's env. */
  env: envSchema.optional(),
  /** Appended to the target's command (shell-quoted when the command is a shell line). */
  args: z.array(z.string()).optional(),
});

export type TargetConfig = z.output<typeof targetSchema>;
export type VariantConfig = z.output<typeof variantSchema>;

/** The keys this file adds to the scenario schema. */
export const targetKeys = {
  target: targetSchema.optional(),
  variants: z.array(variantSchema).min(1, { error: 'list at least one variant' }).optional(),
};

type Ctx = z.core.$RefinementCtx;
interface Section {
  target?: unknown;
  variants?: unknown;
  strategies?: unknown;
  mode?: unknown;
}

/**
 * Rules between `target`, `variants`, `strategies` and `mode` (the scenario's superRefine calls this; it
 * runs even when fields are invalid, so nothing here trusts a field's type).
 */
export function checkTargetSection(s: Section, ctx: Ctx): void {
  const hasTarget = s.target !== undefined;
  const hasStrategies = Array.isArray(s.strategies) && s.strategies.length > 0;
  if (!hasTarget && !hasStrategies) {
    ctx.addIssue({
      code: 'custom',
      path: ['strategies'],
      message: 'list at least one strategy to run (or a target with variants)',
      params: { hint: 'strategies: [{ name: default, preset: openai-sdk }]' },
    });
  }
  if (s.variants !== undefined && !hasTarget) {
    ctx.addIssue({
      code: 'custom',
      path: ['variants'],
      message: 'variants are versions of a target, and this file has no target',
      params: { hint: 'add target: { command, ready: { url } } or list strategies instead', atKey: true },
    });
  }
  if (hasTarget && s.variants === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['target'],
      message: 'a target needs at least one variant to run',
      params: { hint: 'variants: [{ name: baseline }]', atKey: true },
    });
  }
  if (hasTarget && s.mode === 'sim') {
    ctx.addIssue({
      code: 'custom',
      path: ['mode'],
      message: 'a target runs in live mode only: another process cannot run in simulated time',
      params: { hint: 'remove `mode: sim` (a scenario with a target runs live) or write mode: live' },
    });
  }
  if (!hasTarget || typeof s.target !== 'object' || s.target === null) return;
  const t = s.target as Record<string, unknown>;
  const req = (t.request ?? {}) as Record<string, unknown>;
  for (const key of ['path', 'headers', 'body'] as const) {
    for (const name of placeholdersIn(req[key])) {
      if (!(REQUEST_PLACEHOLDERS as readonly string[]).includes(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['target', 'request', key],
          message: `unknown placeholder {{${name}}}`,
          params: { hint: `a request may use ${REQUEST_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}` },
        });
      }
    }
  }
  const processFields: Array<[Array<string | number>, unknown]> = [
    [['target', 'command'], t.command],
    [['target', 'cwd'], t.cwd],
    [['target', 'env'], t.env],
  ];
  if (Array.isArray(s.variants)) {
    s.variants.forEach((v, i) => {
      const variant = (v ?? {}) as Record<string, unknown>;
      processFields.push([['variants', i, 'env'], variant.env], [['variants', i, 'args'], variant.args]);
    });
  }
  for (const [path, value] of processFields) {
    for (const name of placeholdersIn(value)) {
      if (!(PROCESS_PLACEHOLDERS as readonly string[]).includes(name)) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `unknown placeholder {{${name}}}`,
          params: {
            hint: `the service's command, cwd, env and args may use ${PROCESS_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`,
          },
        });
      }
    }
  }
  const timeout = (t.ready as { timeout?: unknown } | undefined)?.timeout;
  if (typeof timeout === 'number' && !(timeout > 0 && timeout <= MAX_READY_TIMEOUT_MS)) {
    ctx.addIssue({
      code: 'custom',
      path: ['target', 'ready', 'timeout'],
      message: `the readiness timeout is more than 0 and at most 10m, found ${timeout} ms`,
      params: { hint: 'e.g. timeout: 30s' },
    });
  }
}
