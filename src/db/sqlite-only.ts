import { UsageError } from '../shared/errors';
import type { RosterDb, SqliteDb } from './database';

/**
 * The commands whose data paths are not yet written for PostgreSQL refuse it
 * before they change anything (exit 2), rather than fail half-way.
 */
export function sqliteOnly(db: RosterDb, what: string): SqliteDb {
  if (db.engine === 'sqlite') return db;
  throw new UsageError(`${what} does not run on PostgreSQL yet (${db.location}); nothing was changed`, 'run it against an SQLite database file for now (see the README, "Running on PostgreSQL")');
}
