import { enableSquallCompileCache } from '../util/compile-cache.ts';

/**
 * The worker thread's entry: turns on Node's compile cache (src/util/compile-cache.ts) before loading
 * the worker's modules. A fresh thread loads and type-strips all of squall again, in every worker, at the
 * start of every parallel run: about 0.33 s cold and 0.16 s with the cache.
 */
enableSquallCompileCache();
await import('./strategy-worker.ts');
