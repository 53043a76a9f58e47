import { spawnSync } from 'node:child_process';
import { globSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { exportK6 } from '../../src/export/k6.ts';
import { unexportableReason } from '../../src/export/k6-strategy.ts';
import { loadScenario } from '../../src/scenario/plan.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TYPES = join(ROOT, 'node_modules/@types');
const dir = mkdtempSync(join(tmpdir(), 'squall-k6-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const scenarios = globSync('scenarios/**/*.yaml', { cwd: ROOT }).sort();

describe('squall export k6: generated scripts type-check against @types/k6', () => {
  it('every exportable strategy of every shipped scenario compiles under strict tsc', () => {
    expect(scenarios.length).toBeGreaterThan(10);
    const files: string[] = [];
    for (const rel of scenarios) {
      const loaded = loadScenario(join(ROOT, rel));
      const exportable = loaded.scenario.strategies.filter((s) => unexportableReason(s) === null);
      // Every shipped scenario has at least one strategy a k6 script can run.
      expect(exportable.length, rel).toBeGreaterThan(0);
      for (const s of exportable) {
        const { script } = exportK6(loaded, { strategy: s.name, approximate: true });
        const file = `${loaded.name}.${s.name}.k6.ts`.replace(/[^A-Za-z0-9._-]/g, '_');
        writeFileSync(join(dir, file), script);
        files.push(file);
      }
    }
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2022',
          module: 'esnext',
          moduleResolution: 'bundler',
          lib: ['es2022'],
          strict: true,
          noUncheckedIndexedAccess: true,
          noEmit: true,
          skipLibCheck: true,
          // Scripts are written outside the repository: point at its @types/k6.
          types: ['k6'],
          typeRoots: [TYPES],
          paths: { k6: [join(TYPES, 'k6/index.d.ts')], 'k6/*': [join(TYPES, 'k6/*')] },
        },
        files,
      }),
    );
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], {
      encoding: 'utf8',
    });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 120_000);

  it('the type check catches a broken script (the check is not vacuous)', () => {
    const loaded = loadScenario(join(ROOT, 'scenarios/ci/smoke.yaml'));
    const { script } = exportK6(loaded, { strategy: 'sdk-defaults' });
    writeFileSync(join(dir, 'broken.k6.ts'), script.replace("new Rate('logical_success')", 'new Rate(42)'));
    writeFileSync(
      join(dir, 'tsconfig.broken.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          module: 'esnext',
          moduleResolution: 'bundler',
          lib: ['es2022'],
          types: ['k6'],
          typeRoots: [TYPES],
          paths: { k6: [join(TYPES, 'k6/index.d.ts')], 'k6/*': [join(TYPES, 'k6/*')] },
        },
        files: ['broken.k6.ts'],
      }),
    );
    const tsc = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.broken.json')],
      { encoding: 'utf8' },
    );
    expect(tsc.status).not.toBe(0);
    expect(tsc.stdout).toMatch(/broken\.k6\.ts/);
  }, 120_000);
});
