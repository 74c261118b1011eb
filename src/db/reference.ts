import { UsageError } from '../shared/errors';

const URL_SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/** Whether a database reference is a URL (`postgres://…`) rather than a file path. */
export function isDatabaseUrl(reference: string): boolean {
  return URL_SCHEME.test(reference.trim());
}

/** Whether a database reference names a PostgreSQL database (`postgres://` or `postgresql://`). */
export function isPostgresUrl(reference: string): boolean {
  return /^postgres(ql)?:\/\//i.test(reference.trim());
}

const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

const PERCENT_ENCODING_HINT =
  'percent-encode the special characters of the user and the password (@ is %40, : is %3A, / is %2F, # is %23, % is %25), or leave the password out and use PGPASSWORD or ~/.pgpass';

/**
 * Refuses a PostgreSQL URL that cannot be read (a broken %-sequence in its
 * user or password included), whose connect_timeout is no number of seconds,
 * or whose sslmode is no libpq mode (exit 2), before any connection: `source` names where it came
 * from (--db, ROSTER_DB). Nothing of an unreadable URL is printed.
 */
export function checkPostgresUrl(reference: string, source: string): void {
  let url: URL;
  try {
    url = new URL(reference.trim());
  } catch {
    throw new UsageError(`${source}: the PostgreSQL URL cannot be read`, PERCENT_ENCODING_HINT);
  }
  try {
    // pg decodes them when it connects: a broken %-sequence would reach the server as it is.
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
  } catch {
    throw new UsageError(`${source}: the user or password of the PostgreSQL URL holds a % that starts no %-sequence`, PERCENT_ENCODING_HINT);
  }
  const timeout = url.searchParams.get('connect_timeout');
  if (timeout !== null && !/^\d{1,6}$/.test(timeout)) {
    throw new UsageError(`${source}: connect_timeout must be a whole number of seconds, not "${timeout}"`, 'e.g. connect_timeout=30');
  }
  const sslmode = url.searchParams.get('sslmode');
  if (sslmode !== null && !SSL_MODES.includes(sslmode)) {
    throw new UsageError(
      `${source}: sslmode must be one of ${SSL_MODES.join(', ')}, not "${sslmode}"`,
      'sslmode=require encrypts; sslmode=verify-full also checks the certificate and the host name',
    );
  }
}

/** Whether a PostgreSQL URL carries a password, before the @ or as ?password= (shown by ps to every user of the host, when given on a command line). */
export function hasPassword(reference: string): boolean {
  try {
    const url = new URL(reference.trim());
    return url.password !== '' || url.searchParams.has('password');
  } catch {
    return false;
  }
}

/** A URL as it may be shown: its password replaced by ***, whatever else it holds. */
export function redactUrl(reference: string): string {
  try {
    const url = new URL(reference.trim());
    if (url.password) url.password = '***';
    // libpq (and pg) also take the password as a parameter.
    if (url.searchParams.has('password')) url.searchParams.set('password', '***');
    return url.toString();
  } catch {
    // Not even parseable: the scheme alone, as nothing after it is known to be safe to print.
    return `${URL_SCHEME.exec(reference.trim())?.[1] ?? 'a'}://…`;
  }
}

/**
 * Refuses a URL of an engine roster does not run on, before anything is
 * created: a URL is never taken for a file path (which would create a
 * directory named after it, password included).
 */
export function refuseDatabaseUrl(reference: string, source: string): never {
  throw new UsageError(
    `${source}: ${redactUrl(reference)} is no database roster can open`,
    'give the path of a database file (--db /var/lib/roster/roster.db) or a PostgreSQL URL (--db postgres://roster@db.example.org/roster)',
  );
}
