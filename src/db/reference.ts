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

/** A URL as it may be shown: its password replaced by ***, whatever else it holds. */
export function redactUrl(reference: string): string {
  try {
    const url = new URL(reference.trim());
    if (url.password) url.password = '***';
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
  throw new UsageError(`${source}: ${redactUrl(reference)} is no database roster can open`, 'give the path of a database file (--db /var/lib/roster/roster.db) or a PostgreSQL URL (--db postgres://roster@db.example.org/roster)');
}
