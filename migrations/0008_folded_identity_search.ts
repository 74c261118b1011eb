import { Kysely, sql } from 'kysely';
import { isPostgres } from './engine';

/**
 * Usernames and emails are searched as names are (src/shared/folding.ts,
 * foldedKey): the search index is rebuilt over their folded copies of
 * migration 0007, so that `soren` finds søren and `obrien` finds
 * o'brien@…, typed either way. Official codes stay as they are.
 *
 * Frozen in time: Kysely<any>.
 */
const COLUMNS = 'firstname_key, lastname_key, username_fold_key, email_fold_key, official_code';
const NEW = 'new.firstname_key, new.lastname_key, new.username_fold_key, new.email_fold_key, new.official_code';
const OLD = 'old.firstname_key, old.lastname_key, old.username_fold_key, old.email_fold_key, old.official_code';

export async function up(db: Kysely<any>): Promise<void> {
  // SQLite's search index; PostgreSQL's is 0009's.
  if (isPostgres(db)) return;
  for (const trigger of ['user_search_insert', 'user_search_delete', 'user_search_update']) await sql`DROP TRIGGER IF EXISTS ${sql.raw(trigger)}`.execute(db);
  await sql`DROP TABLE IF EXISTS user_search`.execute(db);
  await sql`CREATE VIRTUAL TABLE user_search USING fts5(${sql.raw(COLUMNS)}, content='user', content_rowid='id', tokenize='trigram remove_diacritics 1')`.execute(
    db,
  );
  await sql`CREATE TRIGGER user_search_insert AFTER INSERT ON user BEGIN
      INSERT INTO user_search(rowid, ${sql.raw(COLUMNS)}) VALUES (new.id, ${sql.raw(NEW)});
    END`.execute(db);
  await sql`CREATE TRIGGER user_search_delete AFTER DELETE ON user BEGIN
      INSERT INTO user_search(user_search, rowid, ${sql.raw(COLUMNS)}) VALUES ('delete', old.id, ${sql.raw(OLD)});
    END`.execute(db);
  await sql`CREATE TRIGGER user_search_update AFTER UPDATE OF ${sql.raw(COLUMNS)} ON user BEGIN
      INSERT INTO user_search(user_search, rowid, ${sql.raw(COLUMNS)}) VALUES ('delete', old.id, ${sql.raw(OLD)});
      INSERT INTO user_search(rowid, ${sql.raw(COLUMNS)}) VALUES (new.id, ${sql.raw(NEW)});
    END`.execute(db);
  // Secure-delete lives in the index (migration 0005 set it on the first one).
  await sql`INSERT INTO user_search(user_search, rank) VALUES ('secure-delete', 1)`.execute(db);
  await sql`INSERT INTO user_search(user_search) VALUES ('rebuild')`.execute(db);
}

export async function down(): Promise<void> {
  // 0006's index could be rebuilt, but nothing needs it: no way back.
  throw new Error('0008_folded_identity_search cannot be undone');
}
