/**
 * Ctrl-C or a kill during long work (import, export): the first signal asks
 * the work to stop at a safe point through `signal`; a second one stops at
 * once (SQLite rolls back the open transaction).
 */
export interface StopRequest {
  readonly signal: AbortSignal;
  /** The signal that asked to stop, if any. */
  stoppedBy(): NodeJS.Signals | undefined;
  /** Removes the handlers; call it in `finally`. */
  release(): void;
}

export function listenForStop(controller = new AbortController()): StopRequest {
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stoppedBy) process.exit(exitCodeFor(signal));
    stoppedBy = signal;
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The terminal went away (an ssh session dropped): stop as cleanly as for Ctrl-C.
  process.on('SIGHUP', onSignal);
  return {
    signal: controller.signal,
    stoppedBy: () => stoppedBy,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onSignal);
    },
  };
}

/** The shell's convention: 128 + the signal number. */
export function exitCodeFor(signal: NodeJS.Signals): number {
  return signal === 'SIGTERM' ? 143 : signal === 'SIGHUP' ? 129 : 130;
}
