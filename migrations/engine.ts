import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import { engineOf } from '../src/db/engine';
import { foldedKey } from '../src/shared/folding';

/**
 * What the migrations need to run on both engines: they are written with
 * Kysely's schema builder, and branch on the engine only where SQLite and
 * PostgreSQL cannot share a statement (the search index above all).
 */
export function isPostgres(db: Kysely<any>): boolean {
  return engineOf(db) === 'postgres';
}

/**
 * An integer primary key that numbers new rows: SQLite's INTEGER PRIMARY KEY
 * (the rowid) does it by itself, PostgreSQL needs an identity column.
 */
export function idColumn(db: Kysely<any>): (column: ColumnDefinitionBuilder) => ColumnDefinitionBuilder {
  return isPostgres(db) ? (c) => c.primaryKey().generatedByDefaultAsIdentity() : (c) => c.primaryKey();
}

/**
 * Fills folded copies of text columns row by row, computed by roster's own
 * folding: for PostgreSQL, where SQLite's roster_fold() SQL function does not
 * exist (and the tables are small or empty when these early migrations run).
 */
export async function foldColumns(db: Kysely<any>, table: string, pairs: Record<string, string>): Promise<void> {
  const sources = Object.keys(pairs);
  const rows = await db
    .selectFrom(table)
    .select(['id', ...sources])
    .execute();
  for (const row of rows) {
    const values = Object.fromEntries(sources.map((source) => [pairs[source], foldedKey(String(row[source] ?? ''))]));
    await db.updateTable(table).set(values).where('id', '=', row.id).execute();
  }
}
