import { PassThrough } from 'node:stream';
import { createProgress, formatDuration } from '../../src/cli/progress';
import type { Io } from '../../src/cli/io';

function fakeIo(tty: boolean): { io: Io; output: () => string } {
  const stderr = new PassThrough() as PassThrough & { isTTY?: boolean };
  stderr.isTTY = tty;
  let text = '';
  stderr.on('data', (d: Buffer) => (text += d.toString()));
  const io = { stdout: new PassThrough(), stderr, stdin: process.stdin, interactive: false, color: false } as unknown as Io;
  return { io, output: () => text };
}

describe('progress bar', () => {
  it('draws rows, rate and ETA on a terminal, and clears itself', async () => {
    const { io, output } = fakeIo(true);
    const progress = createProgress(io, 'importing', 1000);
    progress.update(250);
    progress.done();
    await new Promise((r) => setImmediate(r));
    expect(output()).toMatch(/^\r\u001b\[2Kimporting \[######------------------\] 250\/1,000 rows {2}[\d,]+\/s( {2}ETA \d+:\d\d)?\r\u001b\[2K$/);
  });

  it('writes nothing at all when stderr is not a terminal', async () => {
    const { io, output } = fakeIo(false);
    const progress = createProgress(io, 'importing', 10);
    progress.update(5);
    progress.done();
    await new Promise((r) => setImmediate(r));
    expect(output()).toBe('');
  });

  it('formats durations', () => {
    expect(formatDuration(5)).toBe('0:05');
    expect(formatDuration(3725)).toBe('1:02:05');
  });
});
