import path from 'node:path';
import type { ProtectedFile } from '../formats/output-file';
import type { RosterDb } from './database';

/**
 * The files of a database, which roster never writes into, and where a
 * snapshot goes: kept in src/db, the one place that knows the engines.
 */

const SIDE_FILES = ['', '-wal', '-shm', '-journal'];

/** The database file and the files SQLite keeps beside it; none for a PostgreSQL database. */
export function databaseFiles(db: RosterDb): ProtectedFile[] {
  if (db.engine !== 'sqlite') return [];
  return SIDE_FILES.map((suffix) => ({ path: `${db.path}${suffix}`, role: suffix ? `the database's ${suffix.slice(1)} file` : 'the database' }));
}

/** Where to suggest a snapshot before a destructive command: beside the database file, or a pg_dump file here. */
export function suggestedSnapshot(db: RosterDb, name: string): string {
  return db.engine === 'sqlite' ? path.join(path.dirname(db.path), `${name}.db`) : `${name}.dump`;
}
