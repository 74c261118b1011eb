import fs from 'node:fs';
import path from 'node:path';
import { ConflictError, NotFoundError, SystemError } from '../shared/errors';

/**
 * The files roster writes for a person (exports, import reports, credentials,
 * backups) hold names, emails, hashes or passwords. They obey one set of rules:
 * - never written through a symbolic link, never into the file being read, the
 *   database or its -wal/-shm/-journal files;
 * - never over an existing file unless the person said --force, and then
 *   replaced whole (a temporary file in the same directory, fsync, rename);
 * - created mode 0600, whatever the umask.
 */
export interface OutputRules {
  /** Replace an existing file (atomically). */
  force?: boolean;
  /** Files that must never be written, whatever --force says: the input, the database. */
  protect?: readonly ProtectedFile[];
}

export interface ProtectedFile {
  /** By name, or by the open file it is (standard input redirected from a file). */
  path?: string;
  fd?: number;
  /** How the refusal names it: "the file being imported", "the database". */
  role: string;
}

/**
 * Checks, before any work, that roster may create `file`: returns its
 * absolute path, or refuses (exit 4: conflict, exit 3: no such directory).
 */
export function checkOutputPath(file: string, rules: OutputRules = {}): string {
  const target = resolveTarget(file);
  for (const guarded of rules.protect ?? []) {
    if (sameFile(target, guarded)) throw new ConflictError(`${file} is ${guarded.role}; roster never writes into it`, 'choose another file name');
  }
  const stat = lstatOrUndefined(target);
  if (!stat) return target;
  if (stat.isDirectory()) throw new ConflictError(`${file} is a directory`, 'give the name of a file to create');
  if (stat.isSymbolicLink() && !rules.force) {
    throw new ConflictError(
      `${file} already exists (a symbolic link); roster does not write through links`,
      'choose another name, or add --force to replace the link itself',
    );
  }
  if (!stat.isFile() && !stat.isSymbolicLink()) throw new ConflictError(`${file} exists and is not a regular file`, 'choose another file name');
  if (!rules.force) throw new ConflictError(`${file} already exists; roster does not replace files`, 'choose another name, or add --force to replace it');
  return target;
}

/**
 * A file being written under a temporary name in its target's directory,
 * which becomes the target only when commit() is called: an interrupted run
 * never leaves half a file under the target's name. The temporary file of a
 * run that was killed is removed by the next run writing the same target.
 */
export class OutputFile {
  readonly fd: number;
  readonly temporary: string;
  private open = true;

  constructor(
    /** An absolute path that checkOutputPath() accepted. */
    readonly target: string,
    private readonly force = false,
  ) {
    const dir = path.dirname(target);
    removeStaleTemporaries(dir, path.basename(target));
    this.temporary = path.join(dir, temporaryName(path.basename(target), process.pid));
    this.fd = createPrivate(this.temporary, target);
  }

  write(text: string | Buffer): void {
    writeAll(this.fd, text, this.target);
  }

  /** Makes the written file the target. Without force, a file that appeared meanwhile is not replaced. */
  commit(): void {
    this.close();
    try {
      if (this.force) fs.renameSync(this.temporary, this.target);
      else placeWithoutReplacing(this.temporary, this.target);
    } catch (error) {
      this.abandon();
      throw error;
    }
    syncDirectory(path.dirname(this.target));
  }

  /** Removes the temporary file. */
  abandon(): void {
    this.close();
    fs.rmSync(this.temporary, { force: true });
  }

  /** Flushes to the disk and closes (commit() does it too). */
  close(): void {
    if (!this.open) return;
    this.open = false;
    try {
      fs.fsyncSync(this.fd);
    } finally {
      fs.closeSync(this.fd);
    }
  }
}

/** Temporary names start with a dot and end in .roster-tmp: never the name of a file a person asked for. */
function temporaryName(base: string, pid: number): string {
  return `.${base}.${pid}.roster-tmp`;
}

/** Removes `.<base>.<pid>.roster-tmp` files (and SQLite's -journal of one) whose process is gone (a killed export or backup). */
function removeStaleTemporaries(dir: string, base: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  const prefix = `.${base}.`;
  for (const name of names) {
    const suffix = name.endsWith('.roster-tmp') ? '.roster-tmp' : name.endsWith('.roster-tmp-journal') ? '.roster-tmp-journal' : undefined;
    if (!name.startsWith(prefix) || !suffix) continue;
    const pid = Number(name.slice(prefix.length, -suffix.length));
    if (!Number.isInteger(pid) || pid <= 0 || isRunning(pid)) continue;
    const stale = path.join(dir, name);
    const stat = lstatOrUndefined(stale);
    if (stat?.isFile() && stat.uid === process.getuid?.()) fs.rmSync(stale, { force: true });
  }
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const CREATE = fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;

/** Creates a new file (never an existing one, never through a link) readable by its owner only. */
export function createPrivate(file: string, shownAs = file, options: { readBack?: boolean } = {}): number {
  let fd: number;
  try {
    fd = fs.openSync(file, CREATE | (options.readBack ? fs.constants.O_RDWR : fs.constants.O_WRONLY), 0o600);
  } catch (error) {
    throw cannotWrite(shownAs, error);
  }
  // The umask can only take bits away from 0600; fchmod makes the mode exact all the same.
  fs.fchmodSync(fd, 0o600);
  return fd;
}

/** link() fails if the target exists: the temporary file takes the target's name only if it is still free. */
function placeWithoutReplacing(temporary: string, target: string): void {
  try {
    fs.linkSync(temporary, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new ConflictError(
        `${target} was created by someone else while roster wrote it; it was left alone`,
        'choose another name, or add --force to replace it',
      );
    // File systems without hard links: rename, after one more look.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw cannotWrite(target, error);
    if (lstatOrUndefined(target))
      throw new ConflictError(`${target} already exists; roster does not replace files`, 'choose another name, or add --force to replace it');
    fs.renameSync(temporary, target);
    return;
  }
  fs.rmSync(temporary, { force: true });
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, fs.constants.O_RDONLY);
    fs.fsyncSync(fd);
  } catch {
    // Some file systems cannot sync a directory; the data itself was synced.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Writes every byte (writeSync may write fewer than asked). */
export function writeAll(fd: number, text: string | Buffer, shownAs: string): void {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  let done = 0;
  try {
    while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done);
  } catch (error) {
    throw cannotWrite(shownAs, error);
  }
}

const WRITE_FAILURES: Record<string, string> = {
  ENOSPC: 'no space left on the device (ENOSPC)',
  EDQUOT: 'the disk quota is exhausted (EDQUOT)',
  EACCES: 'permission denied (EACCES)',
  EPERM: 'operation not permitted (EPERM)',
  EROFS: 'the file system is read-only (EROFS)',
  EIO: 'an input/output error (EIO)',
  ELOOP: 'it is a symbolic link (ELOOP)',
  ENOENT: 'no such directory (ENOENT)',
  EFBIG: 'the file is too large for the file system (EFBIG)',
};

/**
 * A write that failed, as an error naming the file and the reason: a path that
 * cannot be created is exit 3 (as for the database), a failing device (full,
 * broken) exit 1 without the "bug" label.
 */
export function cannotWrite(file: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (!code) return error as Error;
  const reason = WRITE_FAILURES[code] ?? code;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EIO' || code === 'EFBIG') {
    return new SystemError(`cannot write ${file}: ${reason}`, 'free some space (or fix the device) and run the command again');
  }
  return new NotFoundError(
    `cannot write ${file}: ${reason}`,
    'check that the directory exists and that you may write there (owner, mode), or choose another path',
  );
}

function resolveTarget(file: string): string {
  const absolute = path.resolve(file);
  const dir = path.dirname(absolute);
  let realDir: string;
  try {
    realDir = fs.realpathSync(dir);
  } catch {
    throw new NotFoundError(`no directory ${dir}`, 'create it first, or choose another path');
  }
  if (!fs.statSync(realDir).isDirectory()) throw new NotFoundError(`${dir} is not a directory`, 'choose another path');
  return path.join(realDir, path.basename(absolute));
}

/** The same name once the directories are resolved, or the same inode (a hard link, an open file). */
function sameFile(target: string, guarded: ProtectedFile): boolean {
  if (guarded.fd !== undefined) {
    const a = lstatOrUndefined(target);
    const b = fstatOrUndefined(guarded.fd);
    return Boolean(a && b && b.isFile() && a.dev === b.dev && a.ino === b.ino);
  }
  const other = guarded.path!;
  let otherResolved: string;
  try {
    otherResolved = path.join(fs.realpathSync(path.dirname(path.resolve(other))), path.basename(other));
  } catch {
    return false;
  }
  if (otherResolved === target) return true;
  const a = lstatOrUndefined(target);
  const b = statOrUndefined(otherResolved);
  return Boolean(a && b && a.isFile() && a.dev === b.dev && a.ino === b.ino);
}

function lstatOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file);
  } catch {
    return undefined;
  }
}

function fstatOrUndefined(fd: number): fs.Stats | undefined {
  try {
    return fs.fstatSync(fd);
  } catch {
    return undefined;
  }
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}
