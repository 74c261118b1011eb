import { BusyError, NotFoundError } from '../shared/errors';

/**
 * Why a database file cannot be used, as an error that names the file and
 * what to do (exit 3), or the error itself when it is not about the file.
 * Kept apart from database.ts so that the CLI bundle can map errors raised
 * after opening without loading better-sqlite3.
 */
export function unusableDatabase(file: string | undefined, error: unknown): unknown {
  const code = (error as { code?: unknown } | undefined)?.code;
  // pg's own words when the server asks for a password and none was given (it carries no code).
  if (typeof code !== 'string' && /client password must be a string/.test((error as Error | undefined)?.message ?? '')) {
    return new NotFoundError(
      `cannot connect to the database ${file ?? ''}: the server asks for a password, and none was given`,
      'put it in PGPASSWORD or ~/.pgpass (mode 0600), or in the URL',
    );
  }
  if (typeof code !== 'string') return unusableConnection(file, error);
  if (!code.startsWith('SQLITE')) return unusablePostgres(file, code, error as Error & { syscall?: string });
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code.startsWith('SQLITE_BUSY_')) {
    return new BusyError(
      `the database${file ? ` ${file}` : ''} is busy: another process (roster, or a program using the file) held its write lock for longer than roster waits; nothing was changed`,
      'run the command again; ROSTER_BUSY_TIMEOUT=2m waits longer (the default is 30s)',
    );
  }
  const what = `cannot ${file ? `open the database ${file}` : 'use the database'}: ${(error as Error).message}`;
  if (/^SQLITE_(READONLY|PERM|AUTH)/.test(code)) {
    return new NotFoundError(
      what,
      'roster writes to the database file and, beside it, its -wal and -shm files: check the owner and permissions of the file and its directory',
    );
  }
  if (/^SQLITE_CANTOPEN/.test(code)) {
    return new NotFoundError(
      what,
      'check that the file exists and that this account may read and write it, its -wal and -shm files and its directory (owner, mode); or give another path with --db',
    );
  }
  if (/^SQLITE_(NOTADB|IOERR|CORRUPT)/.test(code)) {
    return new NotFoundError(what, 'give the path of a roster database with --db <path> or ROSTER_DB');
  }
  return error;
}

/** Why a connection cannot reach a PostgreSQL server: the network (Node's error codes). */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'ENOENT']);

/**
 * A PostgreSQL failure by its SQLSTATE (or a network error code): `where`
 * is the URL with its password redacted. Other errors are returned as they are.
 */
function unusablePostgres(where: string | undefined, code: string, error: Error & { syscall?: string }): unknown {
  const what = `cannot use the database ${where ?? ''}: ${error.message}`;
  // A reset is the server closing the connection too, only abruptly (which of the two the client sees is a matter of timing).
  if (code === 'ECONNRESET') return closedConnection(where, `: the server closed the connection (${error.message})`);
  // Only a failed connection is about the database: another ENOENT (a file) is not.
  if (UNREACHABLE.has(code) && ['connect', 'getaddrinfo', 'read', 'write'].includes(error.syscall ?? '')) {
    return new NotFoundError(
      `cannot connect to the database ${where ?? ''}: ${error.message}`,
      'check the host and port of the URL, and that the PostgreSQL server runs and accepts connections from this host',
    );
  }
  // 28000, 28P01: authentication; 3D000: no such database; 42501: no privilege.
  if (code === '28000' || code === '28P01')
    return new NotFoundError(what, "check the user and the password (in the URL, PGPASSWORD or ~/.pgpass) and the server's pg_hba.conf");
  if (code === '3D000') return new NotFoundError(what, 'create it first (createdb -O <owner> <name>), or give another database in the URL');
  if (code === '42501') return new NotFoundError(what, "the database's owner must run roster, or grant its role the privileges on the roster tables");
  // 55P03: lock wait past lock_timeout; 40P01: deadlock; 40001: serialization; 53300: too many connections.
  if (code === '55P03' || code === '40P01' || code === '40001' || code === '53300') {
    return new BusyError(
      `the database${where ? ` ${where}` : ''} is busy: another process (roster, or a program using the database) held its lock for longer than roster waits; nothing was changed`,
      'run the command again; ROSTER_BUSY_TIMEOUT=2m waits longer (the default is 30s)',
    );
  }
  return error;
}

/** pg's connection failures that carry no code, by their words. */
function unusableConnection(where: string | undefined, error: unknown): unknown {
  const message = (error as Error | undefined)?.message ?? '';
  const cannot = `cannot connect to the database ${where ?? ''}`;
  if (/does not support SSL/i.test(message)) {
    return new NotFoundError(
      `${cannot}: the server does not accept SSL connections`,
      'ask for SSL to be enabled on the server, or connect without it (sslmode=disable) on a trusted network only',
    );
  }
  if (/Connection terminated unexpectedly|Connection terminated$/i.test(message)) {
    return closedConnection(where, ': the server closed the connection');
  }
  if (/timeout exceeded when trying to connect|connection timeout/i.test(message)) {
    return new NotFoundError(`${cannot}: no answer in time`, 'check the host and port, and that the server accepts connections from this host');
  }
  return error;
}

function closedConnection(where: string | undefined, what: string): NotFoundError {
  return new NotFoundError(
    `cannot connect to the database ${where ?? ''}${what}`,
    "check the host and port (is it a PostgreSQL server?), and the server's log",
  );
}
