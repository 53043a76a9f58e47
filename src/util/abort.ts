/**
 * Abort callbacks with one real listener per signal. Node's add/removeEventListener cost about 0.25 µs a
 * pair, and a simulated run registers one per attempt and per backoff wait on the request's signal: a
 * few percent of a simulation. Callbacks run in the order they were added, when the signal aborts.
 *
 * The callbacks live on the signal itself, under a private symbol, not in a WeakMap: the driver makes a
 * signal per logical request, and a WeakMap entry per short-lived signal cost about 1 µs each in
 * ephemeron work for the garbage collector (5% of a simulated run), against nothing for a property.
 */
const CALLBACKS = Symbol('squall.abortCallbacks');
/** Set on signals whose owner runs the callbacks itself ({@link ownedAbortController}): no listener. */
const OWNED = Symbol('squall.abortOwned');

type Tagged = AbortSignal & { [CALLBACKS]?: Set<() => void>; [OWNED]?: true };
/** For the odd signal that cannot take a property (made non-extensible by its owner). */
const sealed = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `fn` once when `signal` aborts (not if it already has: check `signal.aborted` first). Undo with
 * {@link offAbort} and the same function (no undo closure: waits register one per attempt).
 */
export function onAbort(signal: AbortSignal, fn: () => void): void {
  const tagged = signal as Tagged;
  let set = tagged[CALLBACKS] ?? sealed.get(signal);
  if (!set) {
    const fresh = new Set<() => void>();
    set = fresh;
    if (Object.isExtensible(signal)) tagged[CALLBACKS] = fresh;
    else sealed.set(signal, fresh);
    if (!tagged[OWNED]) signal.addEventListener('abort', () => runCallbacks(fresh), { once: true });
  }
  set.add(fn);
}

/** Forgets `fn`, registered on `signal` with {@link onAbort}; a no-op when it is not (or has run). */
export function offAbort(signal: AbortSignal, fn: () => void): void {
  ((signal as Tagged)[CALLBACKS] ?? sealed.get(signal))?.delete(fn);
}

/**
 * An AbortController whose owner aborts it only through {@link abortOwned}, which runs the callbacks
 * registered with {@link onAbort} itself, so they need no event listener on its signal. The driver makes
 * one per logical request, and adding the listener was most of what registering a wait cost. Listeners
 * others add to the signal are untouched: they run during the abort, before these callbacks.
 */
export function ownedAbortController(): AbortController {
  const ac = new AbortController();
  (ac.signal as Tagged)[OWNED] = true;
  return ac;
}

/** Aborts a controller from {@link ownedAbortController} and runs its callbacks. */
export function abortOwned(ac: AbortController, reason: unknown): void {
  if (ac.signal.aborted) return;
  ac.abort(reason);
  const set = (ac.signal as Tagged)[CALLBACKS];
  if (set) runCallbacks(set);
}

function runCallbacks(set: Set<() => void>): void {
  const due = [...set];
  set.clear();
  for (const f of due) f();
}
