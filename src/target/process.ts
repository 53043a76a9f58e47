import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { SquallError } from '../errors.ts';

/**
 * The service under test as a child process: its own process group (so a shell and whatever it starts
 * are stopped together), stdout and stderr appended to a log file, and a stop that escalates from SIGTERM
 * to SIGKILL after a grace period. Every process still running when squall exits is killed then, so an
 * interrupted or crashed run never leaves a service behind.
 */
export interface ServiceProcessOptions {
  /** Names the process in every error. */
  variant: string;
  /** A list runs as is; a string runs through /bin/sh -c. */
  command: string | string[];
  args: string[];
  cwd: string;
  env: Record<string, string>;
  logFile: string;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** How long a stopped service may take to exit after SIGTERM before it gets SIGKILL. */
export const STOP_GRACE_MS = 5_000;
/** After SIGKILL the kernel ends the process at once; this only bounds waiting for the 'exit' event. */
const KILL_WAIT_MS = 2_000;

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killAllOnExit(): void {
  for (const child of running) killGroup(child, 'SIGKILL');
}

/**
 * SIGTERM and SIGHUP end node without its 'exit' event (a cancelled CI job, a closed terminal): while
 * services run, those signals first kill them, then end squall as the signal would have.
 */
const FATAL_SIGNALS = ['SIGTERM', 'SIGHUP'] as const;
function onFatalSignal(signal: NodeJS.Signals): void {
  killAllOnExit();
  for (const s of FATAL_SIGNALS) process.off(s, onFatalSignal);
  process.kill(process.pid, signal);
}

function track(child: ChildProcess): void {
  if (running.size === 0) for (const s of FATAL_SIGNALS) process.on(s, onFatalSignal);
  running.add(child);
}

function untrack(child: ChildProcess): void {
  if (!running.delete(child)) return;
  if (running.size === 0) for (const s of FATAL_SIGNALS) process.off(s, onFatalSignal);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

export class ServiceProcess {
  readonly variant: string;
  readonly logFile: string;
  readonly exited: Promise<ExitStatus>;
  /** Why the process could not be started (ENOENT for a missing program, EACCES…), if it could not. */
  spawnError: Error | undefined;
  private readonly child: ChildProcess;
  private status: ExitStatus | undefined;
  private stopping = false;

  private constructor(o: ServiceProcessOptions) {
    this.variant = o.variant;
    this.logFile = o.logFile;
    mkdirSync(dirname(o.logFile), { recursive: true });
    const fd = openSync(o.logFile, 'a');
    const [file, ...argv] =
      typeof o.command === 'string'
        ? ['/bin/sh', '-c', [o.command, ...o.args.map(shellQuote)].join(' ')]
        : [...o.command, ...o.args];
    writeSync(
      fd,
      `=== squall: variant "${o.variant}" starting ${new Date().toISOString()}: ${[file, ...argv].join(' ')} (cwd ${o.cwd})\n`,
    );
    try {
      this.child = spawn(file!, argv, {
        cwd: o.cwd,
        env: o.env,
        stdio: ['ignore', fd, fd],
        // Its own process group: stop() signals the group, so a shell's children stop too.
        detached: true,
      });
    } finally {
      // The child holds its own copy of the descriptor.
      closeSync(fd);
    }
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', killAllOnExit);
    }
    track(this.child);
    this.exited = new Promise<ExitStatus>((resolve) => {
      let spawnError: Error | undefined;
      this.child.once('error', (e) => {
        spawnError = e;
        // 'exit' does not follow a failed spawn.
        if (this.child.pid === undefined) {
          untrack(this.child);
          this.status = { code: null, signal: null };
          this.spawnError = spawnError;
          resolve(this.status);
        }
      });
      this.child.once('exit', (code, signal) => {
        untrack(this.child);
        this.status = { code, signal };
        resolve(this.status);
      });
    });
  }

  static start(o: ServiceProcessOptions): ServiceProcess {
    return new ServiceProcess(o);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** undefined while it runs. */
  get exitStatus(): ExitStatus | undefined {
    return this.status;
  }

  /** True when it ended without squall asking it to. */
  get diedOnItsOwn(): boolean {
    return this.status !== undefined && !this.stopping;
  }

  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves once it has exited (bounded either way). */
  async stop(graceMs = STOP_GRACE_MS): Promise<ExitStatus | undefined> {
    if (this.status) return this.status;
    this.stopping = true;
    killGroup(this.child, 'SIGTERM');
    if (await settlesWithin(this.exited, graceMs)) return this.status;
    killGroup(this.child, 'SIGKILL');
    await settlesWithin(this.exited, KILL_WAIT_MS);
    return this.status;
  }

  /** `exited with code 1` / `was killed by SIGSEGV` / `could not start: spawn python9 ENOENT`. */
  describeExit(): string {
    if (this.spawnError) return `could not start: ${this.spawnError.message}`;
    const s = this.status;
    if (!s) return 'is running';
    return s.signal ? `was killed by ${s.signal}` : `exited with code ${s.code}`;
  }

  /** The last lines of the log, for an error message. */
  logTail(lines = 15): string {
    try {
      const text = readFileSync(this.logFile, 'utf8').trimEnd().split('\n');
      return text.slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** A SquallError naming the variant, with the end of its log. */
  failure(what: string, hint?: string): SquallError {
    const tail = this.logTail();
    return new SquallError(
      'ERR_SQUALL_TARGET',
      `variant "${this.variant}": ${what}${tail ? `\n--- last lines of ${this.logFile} ---\n${tail}\n---` : ''}`,
      { hint: hint ?? `the service's whole output is in ${this.logFile}` },
    );
  }
}

function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    p.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** POSIX shell quoting for one word. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
