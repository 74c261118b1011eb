import { Kysely, sql } from 'kysely';
import { isPostgres } from './engine';

/**
 * One folding for search and order (src/shared/folding.ts, foldedKey):
 * letters with strokes and ligatures, the dotless i, apostrophes and
 * dashes, besides accents. The name sort keys are folded anew, and the
 * search index is rebuilt over them: `gudmundsdottir` finds Guðmundsdóttir,
 * `obrien` finds O'Brien and O’Brien. Usernames, emails and official codes
 * stay as they are (the trigram tokenizer ignores their case and accents).
 *
 * Frozen in time: Kysely<any>. roster_fold() is registered on every roster
 * connection (src/db/database.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  // SQLite's search index and its keys; PostgreSQL's keys were folded by roster from the start (0004).
  if (isPostgres(db)) return;
  for (const trigger of ['user_search_insert', 'user_search_delete', 'user_search_update']) await sql`DROP TRIGGER IF EXISTS ${sql.raw(trigger)}`.execute(db);
  await sql`DROP TABLE IF EXISTS user_search`.execute(db);
  await sql`UPDATE user SET firstname_key = roster_fold(firstname), lastname_key = roster_fold(lastname)`.execute(db);
  await sql`CREATE VIRTUAL TABLE user_search USING fts5(
      firstname_key, lastname_key, username, email, official_code,
      content='user', content_rowid='id',
      tokenize='trigram remove_diacritics 1')`.execute(db);
  await sql`CREATE TRIGGER user_search_insert AFTER INSERT ON user BEGIN
      INSERT INTO user_search(rowid, firstname_key, lastname_key, username, email, official_code)
      VALUES (new.id, new.firstname_key, new.lastname_key, new.username, new.email, new.official_code);
    END`.execute(db);
  await sql`CREATE TRIGGER user_search_delete AFTER DELETE ON user BEGIN
      INSERT INTO user_search(user_search, rowid, firstname_key, lastname_key, username, email, official_code)
      VALUES ('delete', old.id, old.firstname_key, old.lastname_key, old.username, old.email, old.official_code);
    END`.execute(db);
  await sql`CREATE TRIGGER user_search_update AFTER UPDATE OF firstname_key, lastname_key, username, email, official_code ON user BEGIN
      INSERT INTO user_search(user_search, rowid, firstname_key, lastname_key, username, email, official_code)
      VALUES ('delete', old.id, old.firstname_key, old.lastname_key, old.username, old.email, old.official_code);
      INSERT INTO user_search(rowid, firstname_key, lastname_key, username, email, official_code)
      VALUES (new.id, new.firstname_key, new.lastname_key, new.username, new.email, new.official_code);
    END`.execute(db);
  // Secure-delete lives in the index (migration 0005 set it on the one this replaces).
  await sql`INSERT INTO user_search(user_search, rank) VALUES ('secure-delete', 1)`.execute(db);
  await sql`INSERT INTO user_search(user_search) VALUES ('rebuild')`.execute(db);
}

export async function down(): Promise<void> {
  // The index of 0001 could be rebuilt, but the folded keys cannot be unfolded: no way back.
  throw new Error('0006_folded_search cannot be undone');
}
