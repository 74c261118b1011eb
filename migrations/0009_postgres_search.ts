import { Kysely, sql } from 'kysely';
import { isPostgres } from './engine';

/**
 * PostgreSQL's counterpart of SQLite's search index (0008), and its sort
 * order. Nothing to do on SQLite.
 *
 * - Substring search: pg_trgm GIN indexes over the same folded keys that
 *   SQLite's FTS5 index holds (roster folds them itself, src/shared/folding.ts),
 *   so that both engines find the same users for the same query. pg_trgm is
 *   a trusted extension: the database's owner may create it.
 * - Order: the key columns compare byte by byte (COLLATE "C"), as SQLite
 *   compares them, whatever the database's locale; the list's order is the
 *   same on both engines.
 *
 * Frozen in time: Kysely<any>.
 */
const SORTED_KEYS: [string, string][] = [
  ['user', 'username_key'],
  ['user', 'email_key'],
  ['user', 'firstname_key'],
  ['user', 'lastname_key'],
  ['course', 'code_key'],
  ['training_session', 'name_key'],
  ['extra_field', 'name'],
];

const SEARCHED_KEYS = ['firstname_key', 'lastname_key', 'username_fold_key', 'email_fold_key'];

export async function up(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) return;
  for (const [table, column] of SORTED_KEYS) {
    await sql`ALTER TABLE ${sql.table(table)} ALTER COLUMN ${sql.ref(column)} TYPE text COLLATE "C"`.execute(db);
  }
  await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);
  for (const column of SEARCHED_KEYS) {
    await sql`CREATE INDEX ${sql.ref(`user_${column}_trgm`)} ON "user" USING gin (${sql.ref(column)} gin_trgm_ops)`.execute(db);
  }
  await sql`CREATE INDEX user_official_code_trgm ON "user" USING gin (lower(official_code) gin_trgm_ops)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) return;
  for (const column of SEARCHED_KEYS) await sql`DROP INDEX IF EXISTS ${sql.ref(`user_${column}_trgm`)}`.execute(db);
  await sql`DROP INDEX IF EXISTS user_official_code_trgm`.execute(db);
}
