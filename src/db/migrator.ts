import { Migrator, type MigrationResultSet, type MigrationInfo } from 'kysely';
import { migrations } from '../../migrations';
import { sql } from 'kysely';
import type { RosterDb, SqliteDb } from './database';

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
 * Applies every pending migration. On PostgreSQL Kysely's migrator runs them
 * in one transaction holding its lock row (and roster's writer lock): two
 * processes starting at once migrate once, the second finds nothing pending.
 */
export async function migrateToLatest(db: RosterDb): Promise<AppliedMigrations> {
  if (db.engine === 'sqlite') return migrateSqlite(db);
  return appliedOf(await createMigrator(db).migrateToLatest());
}

function appliedOf(result: MigrationResultSet): AppliedMigrations {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    // No migration failed: the database could not be reached (a refused login, no such database).
    if (!failed) throw result.error as Error;
    throw new Error(`migration ${failed} failed: ${(result.error as Error).message ?? String(result.error)}`);
  }
  return { applied: (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}

/**
 * How many migrations a PostgreSQL database has applied (0 when it has none
 * yet): a normal start compares it with the latest and skips the migrator.
 */
export async function appliedMigrationCount(db: RosterDb): Promise<number> {
  // One round trip at every start; a database roster never migrated has no such table (42P01).
  try {
    const row = await db.kysely
      .selectFrom('kysely_migration' as never)
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  } catch (error) {
    if ((error as { code?: unknown }).code === '42P01') return 0;
    throw error;
  }
}

/**
 * Kysely runs SQLite migrations without a transaction (its adapter reports no
 * transactional DDL), so two processes opening a new database at once (two
 * cron jobs) would both apply them. One immediate transaction around the run
 * makes the second wait, then find nothing pending. SQLite's DDL is
 * transactional; there is one connection.
 */
async function migrateSqlite(db: SqliteDb): Promise<AppliedMigrations> {
  db.raw.exec('BEGIN IMMEDIATE');
  try {
    const applied = appliedOf(await createMigrator(db).migrateToLatest());
    db.raw.pragma(`user_version = ${latestSchemaVersion()}`);
    db.raw.exec('COMMIT');
    return applied;
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
