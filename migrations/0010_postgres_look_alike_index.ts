import { Kysely, sql } from 'kysely';
import { isPostgres } from './engine';

/**
 * PostgreSQL: the btree indexes of the folded username and email (0007)
 * re-made under COLLATE "C", which the look-alike look-ups name
 * (src/db/sql-functions.ts, isOneOfKeys). pg_trgm's GIN index of the same column
 * (0009) answers `=` as well, and while an import fills the table the planner
 * may cost it below the btree: 3.5 s for 500 keys instead of 0.4 ms. A
 * comparison under another collation than the column's cannot use that
 * index, so the choice is no longer the planner's. Equality is byte equality
 * under both collations: the same rows match. Nothing to do on SQLite.
 *
 * Frozen in time: Kysely<any>.
 */
const FOLDED = ['username_fold_key', 'email_fold_key'];

export async function up(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) return;
  for (const column of FOLDED) {
    await sql`DROP INDEX ${sql.ref(`user_${column}`)}`.execute(db);
    await sql`CREATE INDEX ${sql.ref(`user_${column}`)} ON "user" (${sql.ref(column)} COLLATE "C")`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) return;
  for (const column of FOLDED) {
    await sql`DROP INDEX ${sql.ref(`user_${column}`)}`.execute(db);
    await sql`CREATE INDEX ${sql.ref(`user_${column}`)} ON "user" (${sql.ref(column)})`.execute(db);
  }
}
