import type { Io } from './io';

export interface Progress {
  update(done: number, total?: number): void;
  /** Clears the bar; nothing was drawn unless stderr is a terminal. */
  done(): void;
}

const REDRAW_MS = 100;
const WIDTH = 24;

/** What draws nothing: for output where a bar would be in the way. */
export const noProgress: Progress = { update: () => undefined, done: () => undefined };

/**
 * A progress bar on stderr (rows, rate, ETA) when stderr is a terminal,
 * and nothing at all otherwise: scripts and logs never see it.
 */
export function createProgress(io: Io, label: string, total = 0): Progress {
  if (!io.stderr.isTTY) return noProgress;
  const started = Date.now();
  let last = 0;
  let drawn = false;
  let knownTotal = total;
  const draw = (done: number) => {
    const elapsed = (Date.now() - started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const fraction = knownTotal > 0 ? Math.min(1, done / knownTotal) : 0;
    const filled = Math.round(fraction * WIDTH);
    const bar = knownTotal > 0 ? `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ` : '';
    const count = knownTotal > 0 ? `${done.toLocaleString('en')}/${knownTotal.toLocaleString('en')}` : done.toLocaleString('en');
    const eta = knownTotal > 0 && rate > 0 && done < knownTotal ? `  ETA ${formatDuration((knownTotal - done) / rate)}` : '';
    io.stderr.write(`\r\u001b[2K${label} ${bar}${count} rows  ${Math.round(rate).toLocaleString('en')}/s${eta}`);
    drawn = true;
  };
  return {
    update(done, newTotal) {
      if (newTotal !== undefined) knownTotal = newTotal;
      const now = Date.now();
      if (now - last < REDRAW_MS) return;
      last = now;
      draw(done);
    },
    done() {
      if (drawn) io.stderr.write('\r\u001b[2K');
    },
  };
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(rest).padStart(2, '0')}` : `${m}:${String(rest).padStart(2, '0')}`;
}
