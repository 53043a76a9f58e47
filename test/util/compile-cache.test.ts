import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

/** The CLI's compile cache (src/util/compile-cache.ts): in the user's cache folder, and off when asked. */
const BIN = fileURLToPath(new URL('../../bin/squall.mjs', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function version(env: Record<string, string>) {
  const home = mkdtempSync(join(tmpdir(), 'squall-cache-'));
  dirs.push(home);
  const { NODE_COMPILE_CACHE: _set, ...rest } = process.env;
  const child = spawnSync(process.execPath, [BIN, '--version'], {
    encoding: 'utf8',
    env: { ...rest, XDG_CACHE_HOME: home, ...env },
  });
  return { child, cache: join(home, 'squall', 'compile-cache') };
}

describe('the compile cache', () => {
  it('goes in $XDG_CACHE_HOME/squall/compile-cache, not the shared temp folder', () => {
    const { child, cache } = version({});
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(existsSync(cache)).toBe(true);
    // One folder per Node version and flags, holding the compiled modules.
    const [perNode] = readdirSync(cache);
    expect(readdirSync(join(cache, perNode!)).length).toBeGreaterThan(10);
  });

  it('is not written with NODE_DISABLE_COMPILE_CACHE=1', () => {
    const { child, cache } = version({ NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(child.status).toBe(0);
    expect(existsSync(cache)).toBe(false);
  });
});
