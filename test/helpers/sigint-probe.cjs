// Preloaded (node --require) into a squall child process by test/helpers/cli.ts: tells the test, on
// file descriptor 3, the moment the process first listens for SIGINT. Before that moment Node's default
// action (die by the signal) is all there is, so "a Ctrl-C at any moment after start" starts there.
const { isMainThread } = require('node:worker_threads');
const { writeSync } = require('node:fs');

if (isMainThread) {
  const on = process.on;
  let told = false;
  const watch = function (event, listener) {
    const result = on.call(this, event, listener);
    if (event === 'SIGINT' && !told) {
      told = true;
      // Who started listening: the launcher (bin/squall.mjs) at once, or the command, seconds later.
      const where = (new Error().stack ?? '').split('\n').filter((l) => /squall|src\//.test(l));
      writeSync(3, `listening for SIGINT\n${where.join('\n')}\n`);
    }
    return result;
  };
  process.on = watch;
  process.addListener = watch;
}
