import type { Writable } from 'node:stream';

/** The terminal as commands see it; tests and scripts get the non-TTY behaviour. */
export interface Io {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  stdin: NodeJS.ReadStream;
  /** Prompts are allowed only when a person can answer them. */
  interactive: boolean;
  color: boolean;
}

/**
 * Where prompts read and draw: the terminal's stdin and stderr, so that stdout
 * stays clean for the result even when it is redirected (`roster add --json > user.json`).
 */
export function promptContext(io: Pick<Io, 'stdin' | 'stderr'>): { input: NodeJS.ReadableStream; output: NodeJS.WritableStream } {
  return { input: io.stdin, output: io.stderr };
}

let quietOnEpipe = false;

/**
 * `roster list | head`: when the reader goes away, stop quietly. The reader
 * took what it wanted; a stack trace about EPIPE would only alarm people.
 * Installed when a command first takes the streams (building them costs
 * start-up time that `roster --help` does not need to pay).
 */
function stopQuietlyOnEpipe(): void {
  if (quietOnEpipe) return;
  quietOnEpipe = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
}

export function processIo(): Io {
  stopQuietlyOnEpipe();
  // process.stdin is built on first use, and building it costs milliseconds
  // (streams, a TTY or pipe handle): it is looked at only when stderr is a
  // terminal, and handed over only to the commands that read it.
  const interactive = Boolean(process.stderr.isTTY) && Boolean(process.stdin.isTTY);
  const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    get stdin() {
      return process.stdin;
    },
    interactive,
    color,
  };
}

/** Writes and waits for the stream to accept more, so large outputs stay in bounded memory. */
export async function write(stream: Writable, text: string): Promise<void> {
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
    private readonly stream: Writable,
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
    await write(this.stream, block);
  }
}

export function line(stream: Writable, text = ''): void {
  stream.write(`${text}\n`);
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
