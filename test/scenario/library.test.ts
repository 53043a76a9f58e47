import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadScenario, runScenario } from '../../src/scenario/plan.ts';

/**
 * Every shipped scenario validates, runs in simulated time, and its thresholds hold: `squall run
 * scenarios/**\/*.yaml` is itself a CI check. Each run is independent (own clock, own upstream), so the
 * cases are safe to run concurrently.
 */
const ROOT = fileURLToPath(new URL('../../scenarios/', import.meta.url));

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return yamlFiles(p);
    return e.name.endsWith('.yaml') ? [p] : [];
  });
}

const FILES = yamlFiles(ROOT).sort();
const usesGlobals = (f: string) => loadScenario(f).scenario.strategies.some((s) => s.adapter !== undefined);
const WITH_GLOBALS = FILES.filter(usesGlobals);
const PURE = FILES.filter((f) => !usesGlobals(f));

describe('the scenario library', () => {
  it('has the scenarios the issue asks for', () => {
    const names = FILES.map((f) => relative(ROOT, f));
    expect(names.length).toBeGreaterThanOrEqual(19);
    expect(names.filter((n) => n.startsWith('ci/')).length).toBeGreaterThanOrEqual(2);
  });

  // Scenarios that run real libraries virtualise process-wide timers for their run, so they go one at
  // a time; the rest are independent (own clock, own upstream) and run concurrently.
  // 300 s: the concurrent cases share one thread, and a story with claims runs 5 seeds (the seed stories
  // take 10-40 s each alone on a loaded 2-core machine, so the last to finish waits for all the others).
  it.concurrent.each(PURE.map((f) => [relative(ROOT, f), f]))(
    '%s validates, runs, and its thresholds pass',
    checkScenario,
    300_000,
  );
  it.each(WITH_GLOBALS.map((f) => [relative(ROOT, f), f]))(
    '%s (real libraries) validates, runs, and its thresholds pass',
    checkScenario,
    60_000,
  );
});

async function checkScenario(_name: string, file: string): Promise<void> {
  const loaded = loadScenario(file);
  // Each file says what it reproduces and where the facts come from, in a form every user can follow: a
  // source by its title and author ('"Title" (Author)', possibly wrapped over comment lines) or a public
  // URL, never a path on the machine the file was written on (issue #13 §3).
  const text = readFileSync(file, 'utf8');
  expect(text).not.toMatch(/\/work\/shared\//);
  expect(text.replace(/\n#\s*/g, ' ')).toMatch(/"[^"\n]+" \([^)\n]+\)|https:\/\//);
  const run = await runScenario(loaded);
  expect(run.partial).toBe(false);
  // A story states its article's claims (findings, judged over seeds) where a gate would be tuned.
  expect(run.thresholds.length + (run.result.claims?.length ?? 0)).toBeGreaterThan(0);
  const failed = run.thresholds
    .filter((t) => !t.pass)
    .map((t) => `${t.strategy}: ${t.expression}: ${t.message}`);
  expect(failed).toEqual([]);
  for (const s of run.result.strategies) expect(s.strategyErrors).toEqual([]);
}
