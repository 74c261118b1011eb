import { Migrator, type MigrationResultSet, type MigrationInfo } from 'kysely';
import { migrations } from '../../migrations';
import type { RosterDb } from './database';

export function latestSchemaVersion(): number {
  return Object.keys(migrations).length;
}

function createMigrator(db: RosterDb): Migrator {
  return new Migrator({
    db: db.kysely,
    provider: { getMigrations: async () => migrations },
  });
}

export interface AppliedMigrations {
  applied: string[];
}

/**
 * Applies every pending migration, all in one write transaction. Kysely takes
 * no lock on SQLite (it assumes one process), so two roster processes starting
 * on a new database both ran 0001 and one failed; BEGIN IMMEDIATE makes the
 * second wait (busy timeout), then find nothing left to apply. A failing
 * migration leaves the schema as it was.
 */
export async function migrateToLatest(db: RosterDb): Promise<AppliedMigrations> {
  db.raw.exec('BEGIN IMMEDIATE');
  try {
    const result: MigrationResultSet = await createMigrator(db).migrateToLatest();
    if (result.error) {
      const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
      throw new Error(`migration ${failed} failed: ${(result.error as Error).message ?? String(result.error)}`);
    }
    const applied = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    db.raw.pragma(`user_version = ${latestSchemaVersion()}`);
    db.raw.exec('COMMIT');
    return { applied };
  } catch (error) {
    if (db.raw.inTransaction) db.raw.exec('ROLLBACK');
    throw error;
  }
}

export interface MigrationState {
  name: string;
  appliedAt: string | null;
}

export async function migrationStatus(db: RosterDb): Promise<MigrationState[]> {
  const list: readonly MigrationInfo[] = await createMigrator(db).getMigrations();
  return list.map((m) => ({ name: m.name, appliedAt: m.executedAt ? m.executedAt.toISOString() : null }));
}
