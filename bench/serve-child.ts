/**
 * A real `squall serve` child for the benchmarks (the CLI path users run, in its own process so its CPU is
 * not mixed with the load generator's): started on a free port, resolved with its base URL once it prints it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/squall.mjs', import.meta.url));

export function serve(args: string[]): Promise<{ child: ChildProcess; baseURL: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^http:\/\/\S+\/v1$/m.exec(out);
      if (m) resolve({ child, baseURL: m[0] });
    });
    child.once('exit', (code) => reject(new Error(`squall serve exited with ${code}`)));
  });
}

export function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
