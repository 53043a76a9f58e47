import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The CLI as users run it, in a subprocess: exit code, signal, output. */
export const BIN = fileURLToPath(new URL('../../bin/squall.mjs', import.meta.url));
const PROBE = fileURLToPath(new URL('./sigint-probe.cjs', import.meta.url));

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** What the SIGINT probe reported (with interruptAfterListeningMs): where the listener was added. */
  probe: string;
}

export interface SquallOptions {
  env?: Record<string, string>;
  cwd?: string;
  /**
   * Send one SIGINT this long after the process starts listening for it (0: at once), as told by a
   * preloaded probe rather than guessed from the wall clock.
   */
  interruptAfterListeningMs?: number;
  /** Send one SIGINT when stderr first matches this (e.g. the first progress line). */
  interruptOnStderr?: RegExp;
}

export function squall(args: string[], options: SquallOptions = {}): Promise<Ran> {
  const probe = options.interruptAfterListeningMs !== undefined;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...(probe ? ['--require', PROBE] : []), BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe', ...(probe ? (['pipe'] as const) : [])],
      cwd: options.cwd ?? process.cwd(),
      env: { ...process.env, GITHUB_STEP_SUMMARY: '', ...options.env },
    });
    let stdout = '';
    let stderr = '';
    let probeText = '';
    let interrupted = false;
    const interrupt = () => {
      if (interrupted) return;
      interrupted = true;
      child.kill('SIGINT');
    };
    child.stdout!.on('data', (d) => {
      stdout += d;
    });
    child.stderr!.on('data', (d) => {
      stderr += d;
      if (options.interruptOnStderr?.test(stderr)) interrupt();
    });
    if (probe) {
      const ms = options.interruptAfterListeningMs!;
      const probeStream = child.stdio[3] as NodeJS.ReadableStream;
      probeStream.on('data', (d) => {
        probeText += d;
      });
      probeStream.once('data', () => {
        if (ms === 0) interrupt();
        else setTimeout(interrupt, ms);
      });
    }
    // 'close', not 'exit': only then has every byte of output been read.
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, probe: probeText }));
  });
}
