import { fstatSync, statSync, writeSync } from 'node:fs';
import { SystemError } from '../shared/errors';
import { pauseSync } from '../shared/pause';
import { cannotWrite } from '../formats/output-file';
import { escapeLine } from './terminal-text';

/** Where output goes: the process's stdout and stderr, a file stream, a test's buffer. */
export interface Output {
  write(chunk: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
  isTTY?: boolean;
  /** roster colours what it writes here (a terminal, without NO_COLOR). */
  colours?: boolean;
}

/** The terminal as commands see it; tests and scripts get the non-TTY behaviour. */
export interface Io {
  stdout: Output;
  stderr: Output;
  stdin: NodeJS.ReadStream;
  /** Prompts are allowed only when a person can answer them. */
  interactive: boolean;
  color: boolean;
}

/**
 * Where prompts read and draw: the terminal's stdin and stderr, so that stdout
 * stays clean for the result even when it is redirected (`roster add --json > user.json`).
 */
export function promptContext(io: Pick<Io, 'stdin'>): { input: NodeJS.ReadableStream; output: NodeJS.WritableStream } {
  return { input: io.stdin, output: process.stderr };
}

/** Whether a file descriptor is a terminal, without building a stream for it: a character device other than /dev/null. */
export function isTerminal(fd: 1 | 2): boolean {
  try {
    const stat = fstatSync(fd);
    return stat.isCharacterDevice() && stat.rdev !== statSync('/dev/null').rdev;
  } catch {
    return false;
  }
}

/**
 * Standard output or error written with write(2) on its file descriptor.
 * Building process.stdout and process.stderr (streams, their modules, a
 * handle) cost every command about 2 ms of a start-up budget of about 17.
 * Writes are synchronous, as Node's own are for files, pipes and terminals on
 * Linux, so a failed write is the caller's error: `roster list | head`, when
 * the reader goes away (EPIPE), throws OutputClosed, which the program turns
 * into a quiet stop, as cat's.
 */
export class FdOutput implements Output {
  readonly isTTY: boolean;
  colours = false;

  constructor(private readonly fd: 1 | 2) {
    this.isTTY = isTerminal(fd);
  }

  private get name(): string {
    return this.fd === 1 ? 'standard output' : 'standard error';
  }

  write(chunk: string): boolean {
    const buffer = Buffer.from(chunk);
    let offset = 0;
    while (offset < buffer.length) {
      try {
        offset += writeSync(this.fd, buffer, offset);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') throw new OutputClosed(this.name);
        // A full disk or a broken device: a clean error naming the stream, not a bug report.
        if (code !== 'EAGAIN') throw cannotWrite(this.name, error);
        // A full pipe that whoever gave it left non-blocking: wait for its reader, as a blocking write does.
        pauseSync(1);
      }
    }
    return true;
  }

  once(_event: 'drain', listener: () => void): this {
    listener();
    return this;
  }
}

/**
 * The reader of standard output or error went away (EPIPE). Not a
 * RosterError: the code that turns those into one item's failure (a batch,
 * an import row) lets it through, and the program stops quietly.
 */
export class OutputClosed extends Error {
  constructor(readonly stream: string) {
    super(`${stream} was closed`);
  }
}

export function isOutputClosed(error: unknown): error is OutputClosed {
  return error instanceof OutputClosed;
}

/**
 * `show`, for a secret shown inside the transaction that stores it (a
 * generated password, a login-as token): if nobody reads it, the transaction
 * is rolled back, and the command fails saying so instead of stopping
 * quietly with exit 0 as `list | head` does. `undone` says what did not happen.
 */
export function showingSecret<T>(secret: string, undone: string, show: (result: T) => void): (result: T) => void {
  return (result) => {
    try {
      show(result);
    } catch (error) {
      if (!isOutputClosed(error)) throw error;
      throw new SystemError(
        `${error.stream} was closed before the ${secret} could be shown: ${undone}`,
        'run the command again with its output going to a terminal, a file, or a program that reads all of it',
      );
    }
  };
}

let io: Io | undefined;

export function processIo(): Io {
  if (io) return io;
  const stdout = new FdOutput(1);
  const stderr = new FdOutput(2);
  // process.stdin is built on first use, and building it costs milliseconds
  // (streams, a TTY or pipe handle): it is looked at only when stderr is a
  // terminal, and handed over only to the commands that read it.
  const interactive = stderr.isTTY && Boolean(process.stdin.isTTY);
  const color = stdout.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  stdout.colours = color;
  io = {
    stdout,
    stderr,
    get stdin() {
      return process.stdin;
    },
    interactive,
    color,
  };
  return io;
}

/**
 * The width a table may take: $COLUMNS when it is set (as ls and ps read it),
 * else the terminal's own width; none for a pipe or a file.
 */
export function terminalWidth(output: Output): number | undefined {
  const fromEnv = Number(process.env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  if (!output.isTTY || output !== io?.stdout) return undefined;
  // Only a table on a terminal pays for building the stream that asks the terminal.
  return process.stdout.columns || undefined;
}

/** Writes and waits for the stream to accept more, so large outputs stay in bounded memory. */
export async function write(stream: Output, text: string): Promise<void> {
  if (!stream.write(text)) await new Promise<void>((resolve) => stream.once('drain', resolve));
}

/**
 * Gathers output into blocks of 64 kB before writing: a write per row costs a
 * system call per row (to a file, stdout writes synchronously), which made
 * listing a million users spend a quarter of its time in write().
 */
export class BlockWriter {
  private parts: string[] = [];
  private size = 0;

  constructor(
    private readonly stream: Output,
    /** Escape control characters in what is written (see escapeLine): JSON always, other text on a terminal. */
    private readonly escape = false,
    private readonly blockSize = 64 * 1024,
  ) {}

  async write(text: string): Promise<void> {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= this.blockSize) await this.flush();
  }

  async flush(): Promise<void> {
    if (!this.parts.length) return;
    const block = this.parts.join('');
    this.parts = [];
    this.size = 0;
    await write(this.stream, this.escape ? escapeLine(block) : block);
  }
}

/** One line for a person; control characters that values may carry are escaped (see escapeLine). */
export function line(stream: Output, text = ''): void {
  stream.write(`${escapeLine(text, Boolean(stream.colours))}\n`);
}

const CODES = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39] } as const;
export type Style = keyof typeof CODES;

export function paint(io: Pick<Io, 'color'>, style: Style, text: string): string {
  if (!io.color) return text;
  const [open, close] = CODES[style];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}

export function warn(io: Io, message: string): void {
  line(io.stderr, `roster: warning: ${message}`);
}

/** Reads all of stdin as text (for --password-stdin and `-` reference lists). */
export async function readStdin(io: Io): Promise<string> {
  if (io.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
