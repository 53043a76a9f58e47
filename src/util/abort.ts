/**
 * Abort callbacks with one real listener per signal. Node's add/removeEventListener cost about 0.25 µs a
 * pair, and a simulated run registers one per attempt and per backoff wait on the request's signal: a
 * few percent of a simulation. Callbacks run in the order they were added, when the signal aborts.
 */
const callbacks = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `fn` once when `signal` aborts (not if it already has: check `signal.aborted` first). Returns the undo. */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let set = callbacks.get(signal);
  if (!set) {
    const fresh = new Set<() => void>();
    set = fresh;
    callbacks.set(signal, fresh);
    signal.addEventListener(
      'abort',
      () => {
        const due = [...fresh];
        fresh.clear();
        for (const f of due) f();
      },
      { once: true },
    );
  }
  set.add(fn);
  const registered = set;
  return () => {
    registered.delete(fn);
  };
}
