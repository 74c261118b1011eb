import { NotFoundError } from '../core/errors';

/**
 * Why a database file cannot be used, as an error that names the file and
 * what to do (exit 3), or the error itself when it is not about the file.
 * Kept apart from database.ts so that the CLI bundle can map errors raised
 * after opening without loading better-sqlite3.
 */
export function unusableDatabase(file: string | undefined, error: unknown): unknown {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return error;
  const what = `cannot ${file ? `open the database ${file}` : 'use the database'}: ${(error as Error).message}`;
  if (/^SQLITE_(READONLY|PERM|AUTH)/.test(code)) {
    return new NotFoundError(what, 'roster writes to the database file and, beside it, its -wal and -shm files: check the owner and permissions of the file and its directory');
  }
  if (/^SQLITE_(NOTADB|CANTOPEN|IOERR|CORRUPT)/.test(code)) {
    return new NotFoundError(what, 'give the path of a roster database with --db <path> or ROSTER_DB');
  }
  return error;
}
