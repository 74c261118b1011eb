import fs from 'node:fs';
import path from 'node:path';
import { ConflictError } from '../shared/errors';
import { normaliseColumnName, REPORT_REASON_COLUMN } from './columns';
import { formatCsvLine } from './csv-writer';
import { checkOutputPath, createPrivate, OutputFile, writeAll, type OutputRules } from './output-file';

/**
 * The rejected rows of an import, as CSV ready to fix and import again. The
 * file is created at the first rejected row only (an import without
 * failures leaves no report, and leaves an existing file alone), under a
 * temporary name that becomes the target when the import ends.
 */
export class RejectReport {
  private file: OutputFile | undefined;
  private rows = 0;
  /** The reason column of a report being imported again: replaced, not repeated. */
  private readonly oldReason: number;

  constructor(
    /** A path checkOutputPath() accepted. */
    readonly target: string,
    private readonly columns: readonly string[],
    private readonly force: boolean,
  ) {
    this.oldReason = columns.findIndex((c) => normaliseColumnName(c) === normaliseColumnName(REPORT_REASON_COLUMN));
  }

  add(values: readonly string[], reason: string): void {
    if (!this.file) {
      this.file = new OutputFile(this.target, this.force);
      this.file.write(formatCsvLine([...this.withoutOldReason(this.columns), REPORT_REASON_COLUMN]));
    }
    this.file.write(formatCsvLine([...this.withoutOldReason(values), reason]));
    this.rows++;
  }

  private withoutOldReason(cells: readonly string[]): readonly string[] {
    return this.oldReason === -1 ? cells : cells.filter((_, i) => i !== this.oldReason);
  }

  get written(): boolean {
    return this.rows > 0;
  }

  /** The report becomes the target (when a row was rejected). */
  finish(): void {
    this.file?.commit();
  }

  /** An import that failed as a whole leaves no report. */
  abandon(): void {
    this.file?.abandon();
  }
}

export const CREDENTIALS_HEADER = 'username;password';

export interface CredentialLine {
  username: string;
  password: string;
}

/**
 * username;password of the passwords roster generated. A later import may
 * append to the file of an earlier one, so it accepts an existing file only
 * if it is one roster wrote: a regular file (not a link) that starts with
 * the header. The file holds only the passwords of committed users, and
 * roster never removes a line from it. A chunk's lines are first staged, on
 * the disk (fsync) before its users are committed, in a pending file beside
 * it (`.creds.csv.pending`), and appended to the file once they are. A run
 * killed in between leaves the pending file; the next run settles it (see
 * core/import-credentials): no account is committed without its password.
 */
export class CredentialsFile {
  private fd: number | undefined;
  private staged: readonly CredentialLine[] = [];
  /** The pending file, beside the target. */
  readonly pending: string;

  private constructor(readonly target: string) {
    this.pending = path.join(path.dirname(target), `.${path.basename(target)}.pending`);
  }

  /** Checks the path before anything is written. */
  static check(file: string, rules: Pick<OutputRules, 'protect'>): CredentialsFile {
    // force: an existing file is the one more passwords are appended to, accepted below only if it is roster's own.
    const target = checkOutputPath(file, { protect: rules.protect, force: true });
    const credentials = new CredentialsFile(target);
    for (const [shown, candidate] of [
      [file, target],
      [credentials.pending, credentials.pending],
    ] as const) {
      const stat = fs.lstatSync(candidate, { throwIfNoEntry: false });
      if (stat?.isSymbolicLink()) {
        throw new ConflictError(`${shown} is a symbolic link; roster does not write through links`, 'give the path of the file itself, or another name');
      }
      if (stat && !stat.isFile()) throw new ConflictError(`${shown} is not a regular file`, 'give the path of a credentials file, or a new name');
      // Root must not append passwords to a file another account planted (and can still read).
      if (stat && stat.uid !== process.getuid?.()) {
        throw new ConflictError(
          `${shown} belongs to another account (uid ${stat.uid}); roster appends credentials only to a file of its own`,
          'choose another file name',
        );
      }
      // A file cut short within its header is still roster's: a run killed as it created the file
      // (the pending file: as it staged a chunk, which was not committed). Its header is completed.
      if (stat && !startsWithHeader(candidate, true)) {
        throw new ConflictError(
          `${shown} exists and is not a credentials file written by roster (its first line is not "${CREDENTIALS_HEADER}")`,
          'choose another file name; roster appends only to its own credentials files',
        );
      }
    }
    return credentials;
  }

  /** The lines of the file, in order. */
  private existingLines(): CredentialLine[] {
    return readLines(this.target);
  }

  /** The lines a run killed between staging and appending them left in the pending file. */
  pendingLines(): CredentialLine[] {
    return readLines(this.pending);
  }

  /**
   * Settles what an earlier run left pending: appends these lines (those of committed users) where
   * missing (a run killed after appending them had not yet removed the pending file), then removes
   * the pending file. Returns how many were appended.
   */
  settle(committed: readonly CredentialLine[]): number {
    // The file is read only when there is something to add: it grows with every term's import.
    const present = committed.length ? new Set(this.existingLines().map(lineText)) : new Set<string>();
    const missing = committed.filter((l) => !present.has(lineText(l)));
    this.append(missing);
    fs.rmSync(this.pending, { force: true });
    return missing.length;
  }

  /** Puts the lines of a chunk on the disk before its users are committed. */
  stage(lines: readonly CredentialLine[]): void {
    if (!lines.length) return;
    // O_EXCL: a pending file is settled before a run stages anything, and removed once appended.
    const fd = createPrivate(this.pending);
    try {
      writeAll(fd, `${CREDENTIALS_HEADER}\n${lines.map(lineText).join('')}`, this.pending);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    this.staged = lines;
  }

  /** The staged users are committed: their lines join the file. */
  publish(): void {
    if (!this.staged.length) return;
    this.append(this.staged);
    fs.rmSync(this.pending, { force: true });
    this.staged = [];
  }

  /** The staged users were not committed: their passwords go nowhere. */
  discard(): void {
    if (!this.staged.length) return;
    fs.rmSync(this.pending, { force: true });
    this.staged = [];
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  /** Appends lines and waits until they are on the disk. */
  private append(lines: readonly CredentialLine[]): void {
    if (!lines.length) return;
    const fd = (this.fd ??= this.openForAppend());
    writeAll(fd, lines.map(lineText).join(''), this.target);
    fs.fsyncSync(fd);
  }

  private openForAppend(): number {
    try {
      // Never through a link; a file checked above, tightened to 0600 if someone loosened it.
      const fd = fs.openSync(this.target, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_NOFOLLOW);
      fs.fchmodSync(fd, 0o600);
      // Cut short within its header (checked above): the rest of the header first.
      const size = fs.fstatSync(fd).size;
      const header = `${CREDENTIALS_HEADER}\n`;
      if (size < header.length) writeAll(fd, header.slice(size), this.target);
      return fd;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const fd = createPrivate(this.target);
    writeAll(fd, `${CREDENTIALS_HEADER}\n`, this.target);
    return fd;
  }
}

function lineText(line: CredentialLine): string {
  return `${line.username};${line.password}\n`;
}

function readLines(file: string): CredentialLine[] {
  if (!fs.existsSync(file)) return [];
  const lines: CredentialLine[] = [];
  for (const text of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
    const at = text.lastIndexOf(';');
    if (at > 0) lines.push({ username: text.slice(0, at), password: text.slice(at + 1) });
  }
  return lines;
}

function startsWithHeader(file: string, orPartOfIt = false): boolean {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const head = Buffer.alloc(CREDENTIALS_HEADER.length + 1);
    const read = fs.readSync(fd, head, 0, head.length, 0);
    const text = head.toString('utf8', 0, read);
    if (orPartOfIt && `${CREDENTIALS_HEADER}\n`.startsWith(text)) return true;
    return text === `${CREDENTIALS_HEADER}\n` || text.startsWith(`${CREDENTIALS_HEADER}\r`);
  } finally {
    fs.closeSync(fd);
  }
}
