import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { SquallError } from '../errors.ts';

/**
 * chart.js's UMD build, read from node_modules so the report carries its own copy and opens offline.
 * The package does not export the UMD file, so it is found beside the CommonJS entry point.
 */
const UMD_CANDIDATES = ['chart.umd.min.js', 'chart.umd.js'];

let cached: string | undefined;

export function chartJsSource(): string {
  if (cached !== undefined) return cached;
  let dist: string;
  try {
    dist = dirname(createRequire(import.meta.url).resolve('chart.js'));
  } catch (cause) {
    throw new SquallError('ERR_SQUALL_INTERNAL', 'cannot find the chart.js package', {
      hint: 'run `npm install` in the squall package; chart.js is a dependency',
      cause,
    });
  }
  for (const name of UMD_CANDIDATES) {
    try {
      cached = readFileSync(join(dist, name), 'utf8');
      return cached;
    } catch {
      // try the next name: the minified file appeared in chart.js 4.
    }
  }
  throw new SquallError('ERR_SQUALL_INTERNAL', `chart.js has no UMD build in ${dist}`, {
    hint: `expected one of ${UMD_CANDIDATES.join(', ')}; reinstall chart.js 4`,
  });
}
