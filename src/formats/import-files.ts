import fs from 'node:fs';
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
 * username;password of the passwords roster generated. A resumed import
 * appends to the file of the first run, so it accepts an existing file only
 * if it is one roster wrote: a regular file (not a link) that starts with
 * the header. Lines reach the disk (fsync) before their users are committed;
 * the import checks the lines of an earlier, interrupted run against the
 * database before it appends (see reconcile in core/import).
 */
export class CredentialsFile {
  private fd: number | undefined;

  private constructor(readonly target: string) {}

  /** Checks the path before anything is written. */
  static check(file: string, rules: Pick<OutputRules, 'protect'>): CredentialsFile {
    // force: an existing file is the resumed case, accepted below only if it is roster's own.
    const target = checkOutputPath(file, { protect: rules.protect, force: true });
    const stat = fs.lstatSync(target, { throwIfNoEntry: false });
    if (stat?.isSymbolicLink()) {
      throw new ConflictError(`${file} is a symbolic link; roster does not write through links`, 'give the path of the file itself, or another name');
    }
    // Root must not append passwords to a file another account planted (and can still read).
    if (stat && stat.uid !== process.getuid?.()) {
      throw new ConflictError(
        `${file} belongs to another account (uid ${stat.uid}); roster appends credentials only to a file of its own`,
        'choose another file name',
      );
    }
    if (stat && !startsWithHeader(target)) {
      throw new ConflictError(
        `${file} exists and is not a credentials file written by roster (its first line is not "${CREDENTIALS_HEADER}")`,
        'choose another file name; roster appends only to its own credentials files',
      );
    }
    return new CredentialsFile(target);
  }

  /** The lines an earlier run left, in order. */
  existingLines(): CredentialLine[] {
    if (!fs.existsSync(this.target)) return [];
    const text = fs.readFileSync(this.target, 'utf8');
    const lines: CredentialLine[] = [];
    for (const line of text.split('\n').slice(1)) {
      const at = line.lastIndexOf(';');
      if (at > 0) lines.push({ username: line.slice(0, at), password: line.slice(at + 1) });
    }
    return lines;
  }

  /** Replaces the file with these lines (atomically): drops those of users an interrupted run never committed. */
  rewrite(lines: readonly CredentialLine[]): void {
    const file = new OutputFile(this.target, true);
    try {
      file.write(`${CREDENTIALS_HEADER}\n${lines.map((l) => `${l.username};${l.password}\n`).join('')}`);
      file.commit();
    } catch (error) {
      file.abandon();
      throw error;
    }
  }

  /** Appends lines and waits until they are on the disk. */
  append(lines: readonly CredentialLine[]): void {
    if (!lines.length) return;
    const fd = (this.fd ??= this.openForAppend());
    writeAll(fd, lines.map((l) => `${l.username};${l.password}\n`).join(''), this.target);
    fs.fsyncSync(fd);
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private openForAppend(): number {
    try {
      // Never through a link; a file checked above, tightened to 0600 if someone loosened it.
      const fd = fs.openSync(this.target, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_NOFOLLOW);
      fs.fchmodSync(fd, 0o600);
      return fd;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const fd = createPrivate(this.target);
    writeAll(fd, `${CREDENTIALS_HEADER}\n`, this.target);
    return fd;
  }
}

function startsWithHeader(file: string): boolean {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const head = Buffer.alloc(CREDENTIALS_HEADER.length + 1);
    const read = fs.readSync(fd, head, 0, head.length, 0);
    const text = head.toString('utf8', 0, read);
    return text === `${CREDENTIALS_HEADER}\n` || text.startsWith(`${CREDENTIALS_HEADER}\r`);
  } finally {
    fs.closeSync(fd);
  }
}
