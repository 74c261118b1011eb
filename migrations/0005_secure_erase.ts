import { Kysely, sql } from 'kysely';
import { isPostgres } from './engine';

/**
 * Erased data leaves the file.
 *
 * The search index runs in FTS5's secure-delete mode from now on (a setting
 * stored in the index itself): a deleted or changed row's entries are
 * removed from the index at once, instead of being hidden by delete markers
 * while the old entries stay in older segments. 'optimize' merges the
 * segments written before, which drops the entries that earlier deletes
 * and edits had only marked. Every roster connection runs with
 * secure_delete = ON, so the pages this frees are zeroed; the free pages
 * left by earlier versions are cleared by one VACUUM after this migration
 * (src/db/database.ts).
 *
 * Frozen in time: Kysely<any>.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // SQLite's search index (PostgreSQL has none before 0009, and no such setting).
  if (!isPostgres(db)) {
    // The value must be an SQL integer literal: a bound JavaScript number arrives as a real, which FTS5 rejects.
    await sql`INSERT INTO user_search(user_search, rank) VALUES ('secure-delete', 1)`.execute(db);
    await sql`INSERT INTO user_search(user_search) VALUES ('optimize')`.execute(db);
  }
  // An erasure finds the course and session entries that name the person (owner, coach) by action.
  await db.schema.createIndex('audit_log_action_idx').on('audit_log').columns(['action', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('audit_log_action_idx').ifExists().execute();
  if (!isPostgres(db)) await sql`INSERT INTO user_search(user_search, rank) VALUES ('secure-delete', 0)`.execute(db);
}
