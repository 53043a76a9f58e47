/**
 * Ctrl-C during `squall run`: the first stops the run and a partial result is still written (exit 130);
 * a second quits at once. Loading squall's modules takes a second or more on a busy machine, and a
 * SIGINT in that time used to kill the process without a result, so the launcher catches it from its
 * first line ({@link catchInterruptsEarly}) and the run picks it up when it starts ({@link onInterrupt}).
 * No other imports: this module must load before everything else.
 */

/** EXIT.interrupted (exit-codes.ts), repeated so that this module imports nothing. */
const EXIT_INTERRUPTED = 130;

interface Early {
  listener: () => void;
  interrupted: boolean;
}

let early: Early | undefined;

/** From the launcher's first line (`squall run` only): remember a Ctrl-C until the run takes over. */
export function catchInterruptsEarly(): void {
  if (early) return;
  const state: Early = {
    interrupted: false,
    listener: () => {
      if (state.interrupted) process.exit(EXIT_INTERRUPTED);
      state.interrupted = true;
    },
  };
  early = state;
  process.on('SIGINT', state.listener);
}

export interface Interrupt {
  /** Aborted by the first Ctrl-C (or already, when one came while squall was loading). */
  signal: AbortSignal;
  /** Stops listening; a later Ctrl-C has its default effect again. */
  dispose(): void;
}

/** Takes Ctrl-C over for a run; a Ctrl-C caught early counts as the first. */
export function onInterrupt(stderr: { write(text: string): unknown } = process.stderr): Interrupt {
  const ac = new AbortController();
  const listener = () => {
    if (ac.signal.aborted) process.exit(EXIT_INTERRUPTED);
    stderr.write('\nsquall: interrupted; writing a partial result (Ctrl-C again to quit at once)\n');
    ac.abort();
  };
  // This listener first, then the early one off: no moment without one.
  process.on('SIGINT', listener);
  if (early) {
    process.off('SIGINT', early.listener);
    const caught = early.interrupted;
    early = undefined;
    if (caught) listener();
  }
  return { signal: ac.signal, dispose: () => process.off('SIGINT', listener) };
}
