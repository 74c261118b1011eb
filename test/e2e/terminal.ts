import { spawn, spawnSync } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { BIN, type Sandbox } from './helpers';

/** util-linux `script` gives the CLI a real pseudo-terminal: stdin, stdout and stderr are all TTYs. */
export const HAS_SCRIPT = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0 && process.platform === 'linux';

export interface Step {
  /** Wait until the output written since the previous step matches… */
  expect: RegExp;
  /** …then type this (keystrokes: `\r` is Enter, `\u0003` Ctrl-C, `\u001b[B` arrow down). */
  send: string;
}

export interface TerminalResult {
  code: number | null;
  /** Everything the terminal showed, ANSI escapes removed, line ends as \n. */
  screen: string;
  /** The raw bytes, escapes included. */
  raw: string;
}

const ANSI = /\u001b\[[0-9;?]*[A-Za-z]|\u001b[()][A-Z0-9]/g;

function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs roster on a pseudo-terminal and answers its prompts like a person:
 * each answer is typed only once its prompt is on the screen, as a person would
 * (typing ahead would let the terminal echo it before the prompt hides it).
 * `redirect` is appended to the shell command line, e.g. `> out.json`.
 */
export function runInTerminal(
  sandbox: Sandbox,
  args: string[],
  steps: Step[],
  options: { redirect?: string; env?: Record<string, string>; timeoutMs?: number; columns?: number } = {},
): Promise<TerminalResult> {
  const command =
    (options.columns ? `stty cols ${options.columns} rows 40 && ` : '') +
    [process.execPath, BIN, ...args].map(shellQuote).join(' ') +
    (options.redirect ? ` ${options.redirect}` : '');
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    cwd: sandbox.dir,
    env: {
      PATH: process.env.PATH,
      HOME: sandbox.dir,
      TERM: 'xterm',
      NO_COLOR: '1',
      ROSTER_DB: sandbox.db,
      ROSTER_BCRYPT_COST: '4',
      ...options.env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const pending = [...steps];
  let raw = '';
  let seen = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`terminal session timed out waiting for ${pending[0]?.expect ?? 'the end'}; screen so far:\n${raw.replace(ANSI, '')}`));
    }, options.timeoutMs ?? 20_000);
    // A chunk may end inside a character (a table's │ is three bytes): decoded across chunks.
    const screenText = new StringDecoder('utf8');
    child.stdout.on('data', (chunk: Buffer) => {
      raw += screenText.write(chunk);
      const step = pending[0];
      if (step && step.expect.test(raw.slice(seen).replace(ANSI, ''))) {
        pending.shift();
        seen = raw.length;
        // Let the prompt finish switching the terminal to raw mode.
        setTimeout(() => child.stdin.write(step.send), 60);
      }
    });
    const errorText = new StringDecoder('utf8');
    child.stderr.on('data', (chunk: Buffer) => (raw += errorText.write(chunk)));
    child.on('close', (code) => {
      clearTimeout(timer);
      if (pending.length) {
        reject(new Error(`roster ended (exit ${code}) before ${pending[0]!.expect}; screen:\n${raw.replace(ANSI, '')}`));
        return;
      }
      resolve({ code, raw, screen: raw.replace(ANSI, '').replace(/\r\n/g, '\n') });
    });
  });
}
