import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors';

/** A mail command that has not finished after this long is killed: its mail counts as failed. */
const MAIL_TIMEOUT_MS = 60_000;
/** How long the output of a program that has exited may stay open before roster stops reading it. */
const STDIO_GRACE_MS = 1_000;
/** How long a program stopped for its timeout has to end before it is killed. */
const KILL_GRACE_MS = 5_000;

/** What a failed command said on stderr, at most this much, in the error. */
const STDERR_SHOWN = 400;

/**
 * The setting mail.command as a program and its arguments: split at spaces
 * and tabs, with '…' or "…" for an argument that holds one. No shell: no
 * variables, globs, pipes or redirections, whatever the value holds. The
 * program must be an absolute path, so that PATH decides nothing.
 */
export function parseMailCommand(value: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (const char of value) {
    if (quote) {
      if (char === quote) quote = undefined;
      else word += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      word ??= '';
    } else if (char === ' ' || char === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? '') + char;
  }
  const problem = (message: string) => new ValidationError([{ field: 'mail.command', message }]);
  if (quote) throw problem(`a ${quote} is not closed in "${value}"`);
  if (word !== undefined) words.push(word);
  if (!words.length) throw problem('is empty');
  if (!words[0]!.startsWith('/')) throw problem(`"${words[0]}" is not an absolute path, e.g. /usr/sbin/sendmail -t`);
  if (/[\0-\x1f\x7f]/.test(value)) throw problem('holds a control character');
  return words;
}

/**
 * The program of mail.command exists and may be run on this host: checked
 * before a command with --notify changes anything, since the setting is
 * shared by every host of the database.
 */
export function checkMailProgram(argv: readonly string[]): void {
  try {
    fs.accessSync(argv[0]!, fs.constants.X_OK);
  } catch {
    throw new NotFoundError(
      `mail.command: ${argv[0]} does not exist or cannot be run on this host`,
      'install it (a sendmail-compatible program, e.g. from postfix or msmtp-mta), or roster config set mail.command <absolute path and arguments>',
    );
  }
  const program = argv[0]!;
  if (!fs.statSync(program).isFile()) throw new NotFoundError(`mail.command: ${program} is not a program file`);
  // Roster runs it with its own rights (often a cron job's): nobody else may be able to change it,
  // nor replace it, nor a link to it, in any folder above it (a sticky folder such as /tmp protects
  // what others own in it).
  const real = fs.realpathSync(program);
  const fix = `chown root and chmod go-w ${program} and its folders, or roster config set mail.command <another program>`;
  const self = process.getuid?.();
  for (const file of new Set([real, ...foldersAbove(real), ...foldersAbove(program)])) {
    const stat = fs.statSync(file);
    const sticky = stat.isDirectory() && (stat.mode & 0o1000) !== 0;
    if (stat.mode & 0o022 && !sticky) {
      throw new ConflictError(`mail.command: ${file} may be changed by other accounts than its owner (mode ${(stat.mode & 0o777).toString(8)})`, fix);
    }
    if (self !== undefined && stat.uid !== 0 && stat.uid !== self) {
      throw new ConflictError(`mail.command: ${file} belongs to another account (uid ${stat.uid}), which could change what roster runs`, fix);
    }
  }
}

/** The folders that hold a path, up to the root. */
function foldersAbove(file: string): string[] {
  const folders: string[] = [];
  for (let folder = path.dirname(file); ; folder = path.dirname(folder)) {
    folders.push(folder);
    if (folder === path.dirname(folder)) return folders;
  }
}

/**
 * Runs the command with the message on its standard input. Resolves when it
 * exits 0; rejects with what went wrong (not found, exit status, signal, or
 * time-out, with the start of its stderr) otherwise.
 */
export function runMailCommand(argv: readonly string[], message: Buffer, options: { timeoutMs?: number; hideOutput?: boolean } = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? MAIL_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    // A process group of its own, so that a program that does not answer is stopped with the
    // programs it started (a sendmail wrapper's helper would hold its stderr, and roster, open).
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'ignore', 'pipe'], shell: false, detached: true });
    // Our own timer rather than spawn's `timeout`, which Node leaves running when the program
    // cannot be started, holding roster open for the whole minute.
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      signalGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
    }, timeoutMs);
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < STDERR_SHOWN) stderr += chunk;
    });
    // A command that exits without reading its input breaks the pipe: its exit status tells why.
    child.stdin.on('error', () => undefined);
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(error.code === 'ENOENT' ? `${argv[0]} does not exist` : `${argv[0]} could not be run: ${error.message}`));
    });
    // Once the program has exited, what it left behind (a helper in a session of its own, out of
    // reach of the group's signals) may keep its stderr open: roster stops listening after a second.
    let leftOpen: NodeJS.Timeout | undefined;
    child.on('exit', () => {
      leftOpen = setTimeout(() => child.stderr.destroy(), STDIO_GRACE_MS);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      clearTimeout(leftOpen);
      if (code === 0) return resolve();
      // A program may print back what it was given, and a password in the mail is in it encoded
      // (base64, quoted-printable, cut by soft line breaks): no masking can be sure of it.
      const said = options.hideOutput
        ? stderr.trim() && 'what it printed is not shown, since the mail held a password'
        : stderr.trim().slice(0, STDERR_SHOWN).replace(/\s+/g, ' ');
      const how = signal ? `was stopped by ${signal}${signal === 'SIGTERM' ? ` (no answer within ${timeoutMs / 1000} s?)` : ''}` : `exited with status ${code}`;
      reject(new Error(`${argv[0]} ${how}${said ? `: ${said}` : ''}`));
    });
    child.stdin.end(message);
  });
}

/** A signal to the program's process group, which may be gone already. */
function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Nothing left to stop.
  }
}
