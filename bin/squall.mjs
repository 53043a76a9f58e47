#!/usr/bin/env node
// Thin launcher: squall's sources are TypeScript run by Node's built-in type stripping (Node >= 22.18).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`squall needs Node.js 22.18 or newer (this is ${process.version}).\n`);
  process.exit(64);
}
// A Ctrl-C while squall loads (a second or more on a busy machine) must still give `run` a partial
// result and exit 130, so it is caught from here on (src/cli/interrupt.ts).
if (process.argv[2] === 'run') (await import('../src/cli/interrupt.ts')).catchInterruptsEarly();
// Node's compile cache (src/util/compile-cache.ts): type-stripping and compiling squall's modules on every
// start took about half of `squall --version`.
const { enableSquallCompileCache } = await import('../src/util/compile-cache.ts');
enableSquallCompileCache();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
