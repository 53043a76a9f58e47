import { enableCompileCache } from 'node:module';

/**
 * The worker thread's entry: turns on Node's compile cache before loading the worker's modules. A fresh
 * thread loads and type-strips all of squall again (about 0.3 s on these machines, in every worker, at
 * the start of every parallel run); with the cache a warm start takes half that. The cache is Node's own
 * (in the OS temp folder, keyed by file content, safe across processes); NODE_DISABLE_COMPILE_CACHE=1
 * turns it off. If the folder cannot be written, Node carries on without it.
 */
enableCompileCache();
await import('./strategy-worker.ts');
