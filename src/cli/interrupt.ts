/**
 * Ctrl-C or a kill during long work (import, export): the first signal asks
 * the work to stop at a safe point through `signal`, and the command then
 * throws Interrupted; a second one stops the process at once, as if roster
 * had no handler (the database rolls back the open transaction).
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
  const release = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stoppedBy) {
      // Raised again without our handlers: the signal's own action ends the process (exit status 128 + its number).
      release();
      process.kill(process.pid, signal);
      return;
    }
    stoppedBy = signal;
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The terminal went away (an ssh session dropped): stop as cleanly as for Ctrl-C.
  process.on('SIGHUP', onSignal);
  return { signal: controller.signal, stoppedBy: () => stoppedBy, release };
}

/** Work stopped at a safe point by a signal; the message says what was and was not done. */
export class Interrupted extends Error {
  constructor(
    readonly signal: NodeJS.Signals,
    message: string,
  ) {
    super(message);
  }
}

/** The shell's convention: 128 + the signal number. */
export function exitCodeFor(signal: NodeJS.Signals): number {
  return signal === 'SIGTERM' ? 143 : signal === 'SIGHUP' ? 129 : 130;
}
