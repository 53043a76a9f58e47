import { SquallError } from '../errors.ts';
import type { TimerHandle, VirtualClock } from './clock.ts';
import type { Rng } from './rng.ts';

/**
 * Virtual globals: puts `setTimeout`, `clearTimeout`, `setInterval`, `clearInterval`, `Date.now`,
 * `performance.now` (and, given an rng, `Math.random`) onto a {@link VirtualClock} for the duration of a
 * run, so third-party client code that calls global timers (the official openai SDK's retry sleep and
 * request timeout, cockatiel, opossum, a user's own module) runs unmodified in virtual time: its waits
 * take no wall time and its jitter comes from the seeded stream.
 *
 * What stays real, on purpose:
 * - `setImmediate`, `queueMicrotask`, `process.nextTick`: `VirtualClock.run()` drains the microtask queue
 *   with `setImmediate` between instants; virtualising it would deadlock the clock.
 * - `new Date()` without arguments, `AbortSignal.timeout()` and `node:timers/promises`: they do not go
 *   through the globals above. None of the libraries squall drives uses them for waiting.
 *
 * Node semantics kept: delays below 1 ms (or not a number) become 1 ms, as Node does; timer objects have
 * `ref`/`unref`/`hasRef`/`refresh`/`close` and convert to a numeric id; `clearTimeout` and
 * `clearInterval` are interchangeable. Unref'd *intervals* do not keep the simulation alive, as they do
 * not keep a Node process alive: when one comes due while nothing else is scheduled on the clock it is
 * parked instead of firing, and resumes (in phase) at the next timer call made through these globals.
 * That is what lets `clock.run()` finish under opossum, whose statistics rotate on an unref'd interval.
 *
 * With `rng`, `Math.random` draws from it for the run, so a library's own jitter (the openai SDK's
 * `1 - Math.random() * 0.25`, cockatiel's decorrelated backoff) is reproducible: same seed, same delays.
 * Pass the strategy's own stream (`ctx.rng.fork(...)`) so strategies do not share draws.
 *
 * Only one installation may be active at a time (they are process-wide); `restore()` puts the originals
 * back and cancels every timer still pending from the installation.
 */
export interface VirtualGlobalsOptions {
  /** Seeded stream `Math.random` should draw from during the run; default: leave Math.random alone. */
  rng?: Rng;
}

export interface VirtualGlobals {
  readonly clock: VirtualClock;
  /** Virtual timers created through the globals and not yet fired or cleared (parked ones included). */
  readonly liveTimers: number;
  restore(): void;
  [Symbol.dispose](): void;
}

/** Node's largest timer delay; larger values become 1 ms, as in Node. */
const TIMEOUT_MAX = 2 ** 31 - 1;

type Callback = (...args: unknown[]) => void;

interface Entry {
  id: number;
  fn: Callback;
  args: unknown[];
  delayMs: number;
  repeat: boolean;
  refed: boolean;
  dueAtMs: number;
  handle: TimerHandle | undefined;
  parked: boolean;
  timer: VirtualTimer;
}

/** The object `setTimeout` returns, shaped like Node's `Timeout` so libraries can call its methods. */
export class VirtualTimer {
  readonly #install: Installation;
  readonly #id: number;
  constructor(install: Installation, id: number) {
    this.#install = install;
    this.#id = id;
  }
  ref(): this {
    this.#install.setRef(this.#id, true);
    return this;
  }
  unref(): this {
    this.#install.setRef(this.#id, false);
    return this;
  }
  hasRef(): boolean {
    return this.#install.hasRef(this.#id);
  }
  refresh(): this {
    this.#install.refresh(this.#id);
    return this;
  }
  close(): this {
    this.#install.clear(this.#id);
    return this;
  }
  [Symbol.toPrimitive](): number {
    return this.#id;
  }
}

interface Originals {
  setTimeout: unknown;
  clearTimeout: unknown;
  setInterval: unknown;
  clearInterval: unknown;
  dateNow: () => number;
  performanceNow: PropertyDescriptor | undefined;
  random: () => number;
}

let active: Installation | undefined;

class Installation {
  readonly clock: VirtualClock;
  private readonly entries = new Map<number, Entry>();
  private nextId = 1;
  /** Unref'd entries currently scheduled on the clock (parked ones are not). */
  private weakScheduled = 0;
  /**
   * Parked intervals, kept apart so that creating a timer (the openai SDK makes two per attempt) does not
   * scan every live timer for them.
   */
  private readonly parked = new Set<Entry>();
  private readonly originals: Originals;
  private readonly perfOffsetMs: number;
  restored = false;

  constructor(clock: VirtualClock, options: VirtualGlobalsOptions) {
    this.clock = clock;
    const g = globalThis as unknown as Record<string, unknown>;
    this.originals = {
      setTimeout: g.setTimeout,
      clearTimeout: g.clearTimeout,
      setInterval: g.setInterval,
      clearInterval: g.clearInterval,
      dateNow: Date.now,
      performanceNow: Object.getOwnPropertyDescriptor(performance, 'now'),
      random: Math.random,
    };
    this.perfOffsetMs = performance.now() - clock.now();

    g.setTimeout = (fn: unknown, delay?: unknown, ...args: unknown[]) => this.create(fn, delay, args, false);
    g.setInterval = (fn: unknown, delay?: unknown, ...args: unknown[]) => this.create(fn, delay, args, true);
    g.clearTimeout = (t: unknown) => this.clearAny(t, 'clearTimeout');
    g.clearInterval = (t: unknown) => this.clearAny(t, 'clearInterval');
    Date.now = () => clock.now();
    Object.defineProperty(performance, 'now', {
      configurable: true,
      writable: true,
      value: () => clock.now() + this.perfOffsetMs,
    });
    const rng = options.rng;
    if (rng) Math.random = () => rng.next();
  }

  get liveTimers(): number {
    return this.entries.size;
  }

  restore(): void {
    if (this.restored) return;
    this.restored = true;
    for (const e of this.entries.values()) this.unschedule(e);
    this.entries.clear();
    this.parked.clear();
    const g = globalThis as unknown as Record<string, unknown>;
    g.setTimeout = this.originals.setTimeout;
    g.clearTimeout = this.originals.clearTimeout;
    g.setInterval = this.originals.setInterval;
    g.clearInterval = this.originals.clearInterval;
    Date.now = this.originals.dateNow;
    if (this.originals.performanceNow)
      Object.defineProperty(performance, 'now', this.originals.performanceNow);
    else delete (performance as unknown as Record<string, unknown>).now;
    Math.random = this.originals.random;
    if (active === this) active = undefined;
  }

  private create(fn: unknown, delay: unknown, args: unknown[], repeat: boolean): VirtualTimer {
    if (typeof fn !== 'function') {
      throw new TypeError(`The "callback" argument must be of type function. Received ${typeof fn}`);
    }
    this.unparkAll();
    let delayMs = Number(delay);
    if (!(delayMs >= 1 && delayMs <= TIMEOUT_MAX)) delayMs = 1;
    const id = this.nextId++;
    const entry: Entry = {
      id,
      fn: fn as Callback,
      args,
      delayMs,
      repeat,
      refed: true,
      dueAtMs: 0,
      handle: undefined,
      parked: false,
      timer: new VirtualTimer(this, id),
    };
    this.entries.set(id, entry);
    this.schedule(entry, this.clock.now() + delayMs);
    return entry.timer;
  }

  private schedule(e: Entry, dueAtMs: number): void {
    e.dueAtMs = dueAtMs;
    if (e.parked) {
      e.parked = false;
      this.parked.delete(e);
    }
    e.handle = this.clock.setTimeout(() => this.fire(e), dueAtMs - this.clock.now());
    if (!e.refed) this.weakScheduled++;
  }

  /** Takes the entry off the clock; only ever clears a handle that has not fired. */
  private unschedule(e: Entry): void {
    if (e.handle === undefined) return;
    this.clock.clearTimeout(e.handle);
    e.handle = undefined;
    if (!e.refed) this.weakScheduled--;
  }

  private fire(e: Entry): void {
    e.handle = undefined;
    if (!e.refed) this.weakScheduled--;
    if (!this.entries.has(e.id)) return;
    if (e.repeat && !e.refed && this.clock.pending - this.weakScheduled <= 0) {
      // Only unref'd timers are left: a Node process would have exited here, so the interval sleeps.
      e.parked = true;
      this.parked.add(e);
      return;
    }
    if (!e.repeat) this.entries.delete(e.id);
    try {
      e.fn(...e.args);
    } finally {
      if (e.repeat && this.entries.has(e.id) && e.handle === undefined && !e.parked) {
        this.schedule(e, this.clock.now() + e.delayMs);
      }
    }
  }

  private unparkAll(): void {
    if (this.parked.size === 0) return;
    const now = this.clock.now();
    // In creation order, as a scan of all timers would find them: equal due times fire in scheduling order.
    for (const e of [...this.parked].sort((x, y) => x.id - y.id)) {
      // Resume in phase: the next tick the interval would have had, had it kept running.
      const missed = Math.max(1, Math.ceil((now - e.dueAtMs) / e.delayMs));
      this.schedule(e, e.dueAtMs + missed * e.delayMs);
    }
  }

  private clearAny(t: unknown, which: 'clearTimeout' | 'clearInterval'): void {
    if (t === undefined || t === null) return;
    if (t instanceof VirtualTimer || typeof t === 'number' || typeof t === 'string') {
      this.clear(Number(t));
      return;
    }
    // A real timer made before the installation: let the real function deal with it.
    (this.originals[which] as (x: unknown) => void)(t);
  }

  clear(id: number): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.unschedule(e);
    this.entries.delete(id);
    if (e.parked) this.parked.delete(e);
  }

  setRef(id: number, refed: boolean): void {
    const e = this.entries.get(id);
    if (!e || e.refed === refed) return;
    if (e.handle !== undefined) this.weakScheduled += refed ? -1 : 1;
    e.refed = refed;
    if (refed && e.parked) this.schedule(e, this.clock.now() + e.delayMs);
  }

  hasRef(id: number): boolean {
    return this.entries.get(id)?.refed ?? false;
  }

  refresh(id: number): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.unschedule(e);
    this.schedule(e, this.clock.now() + e.delayMs);
  }
}

/**
 * Installs virtual globals on `clock` until `restore()` (or `using`). Throws ERR_SQUALL_INTERNAL when
 * another installation is still active.
 */
export function installVirtualGlobals(
  clock: VirtualClock,
  options: VirtualGlobalsOptions = {},
): VirtualGlobals {
  if (active && !active.restored) {
    throw new SquallError('ERR_SQUALL_INTERNAL', 'virtual globals are already installed', {
      hint: 'restore the previous installation first; globals are process-wide, so runs that use them cannot overlap',
    });
  }
  const install = new Installation(clock, options);
  active = install;
  return {
    clock,
    get liveTimers() {
      return install.liveTimers;
    },
    restore: () => install.restore(),
    [Symbol.dispose]: () => install.restore(),
  };
}

/** Runs `fn` with virtual globals installed, restoring them afterwards whatever happens. */
export async function withVirtualGlobals<T>(
  clock: VirtualClock,
  options: VirtualGlobalsOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const globals = installVirtualGlobals(clock, options);
  try {
    return await fn();
  } finally {
    globals.restore();
  }
}
