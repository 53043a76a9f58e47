import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { TargetSection } from '../target/variants.ts';
import { ScenarioValidationError } from './load.ts';
import type { LoadedScenario } from './plan.ts';
import { DEFAULT_READY_TIMEOUT_MS } from './target-schema.ts';

/** A validated scenario's `target:` and `variants:` as the runner takes them (paths made absolute). */
export function targetOf(loaded: LoadedScenario): TargetSection | undefined {
  const { target, variants } = loaded.scenario;
  if (!target || !variants) return undefined;
  const baseDir = dirname(resolve(loaded.file));
  const request = target.request ?? {};
  return {
    plan: {
      command: target.command,
      cwd: resolve(baseDir, target.cwd ?? '.'),
      env: target.env ?? {},
      readyUrl: target.ready.url,
      readyTimeoutMs: target.ready.timeout ?? DEFAULT_READY_TIMEOUT_MS,
      request: {
        method: request.method ?? 'POST',
        path: request.path ?? '/',
        headers: request.headers ?? {},
        ...(request.body !== undefined ? { body: request.body } : {}),
      },
    },
    variants: variants.map((v) => ({
      name: v.name,
      ...(v.description ? { description: v.description } : {}),
      env: v.env ?? {},
      args: v.args ?? [],
    })),
  };
}

/**
 * The mode a scenario runs in: `--mode`, else the file's `mode:`, else live for a scenario with a target
 * (it cannot run otherwise) and sim for the rest. `--mode sim` with a target is a validation error that
 * points at the file's `target:` line.
 */
export function modeOf(loaded: LoadedScenario, asked: 'sim' | 'live' | undefined): 'sim' | 'live' {
  const hasTarget = loaded.scenario.target !== undefined;
  const mode = asked ?? loaded.scenario.mode ?? (hasTarget ? 'live' : 'sim');
  if (hasTarget && mode === 'sim') {
    throw new ScenarioValidationError(loaded.file, [
      {
        file: loaded.file,
        line: keyLine(loaded.file, 'target'),
        col: 1,
        path: 'target',
        message: '--mode sim: a target runs in live mode only (another process cannot run in simulated time)',
        hint: 'run it with --mode live, or leave --mode out',
      },
    ]);
  }
  return mode;
}

/** The 1-based line of a top-level key in the file (1 when it cannot be read or found). */
function keyLine(file: string, key: string): number {
  try {
    const lines = readFileSync(file, 'utf8').split('\n');
    const i = lines.findIndex((l) => new RegExp(`^["']?${key}["']?\\s*:`).test(l));
    return i >= 0 ? i + 1 : 1;
  } catch {
    return 1;
  }
}
