import { BusyError, NotFoundError } from '../shared/errors';

/**
 * Why a database file cannot be used, as an error that names the file and
 * what to do (exit 3), or the error itself when it is not about the file.
 * Kept apart from database.ts so that the CLI bundle can map errors raised
 * after opening without loading better-sqlite3.
 */
export function unusableDatabase(file: string | undefined, error: unknown): unknown {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return error;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code.startsWith('SQLITE_BUSY_')) {
    return new BusyError(
      `the database${file ? ` ${file}` : ''} is busy: another process (roster, or a program using the file) held its write lock for longer than roster waits; nothing was changed`,
      'run the command again; ROSTER_BUSY_TIMEOUT=2m waits longer (the default is 30s)',
    );
  }
  const what = `cannot ${file ? `open the database ${file}` : 'use the database'}: ${(error as Error).message}`;
  if (/^SQLITE_(READONLY|PERM|AUTH)/.test(code)) {
    return new NotFoundError(what, 'roster writes to the database file and, beside it, its -wal and -shm files: check the owner and permissions of the file and its directory');
  }
  if (/^SQLITE_CANTOPEN/.test(code)) {
    return new NotFoundError(what, 'check that the file exists and that this account may read and write it, its -wal and -shm files and its directory (owner, mode); or give another path with --db');
  }
  if (/^SQLITE_(NOTADB|IOERR|CORRUPT)/.test(code)) {
    return new NotFoundError(what, 'give the path of a roster database with --db <path> or ROSTER_DB');
  }
  return error;
}
