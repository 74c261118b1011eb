import { Kysely, sql } from 'kysely';
import { foldColumns, isPostgres } from './engine';

/**
 * Look-alike usernames and emails: `jose` and `josé`, `soren` and `søren`,
 * `obrien@…` and `o'brien@…` are different accounts that a person reading
 * a list cannot tell apart. Each account keeps its username and email
 * folded (src/shared/folding.ts, foldedKey), indexed, so that adding,
 * renaming or importing an account can warn about the one it looks like.
 *
 * Frozen in time: Kysely<any>. roster_fold() is registered on every roster
 * connection (src/db/database.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('user')
    .addColumn('username_fold_key', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema
    .alterTable('user')
    .addColumn('email_fold_key', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  if (isPostgres(db)) await foldColumns(db, 'user', { username: 'username_fold_key', email: 'email_fold_key' });
  else await sql`UPDATE user SET username_fold_key = roster_fold(username), email_fold_key = roster_fold(email)`.execute(db);
  await db.schema.createIndex('user_username_fold_key').on('user').column('username_fold_key').execute();
  await db.schema.createIndex('user_email_fold_key').on('user').column('email_fold_key').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('user_email_fold_key').execute();
  await db.schema.dropIndex('user_username_fold_key').execute();
  await db.schema.alterTable('user').dropColumn('email_fold_key').execute();
  await db.schema.alterTable('user').dropColumn('username_fold_key').execute();
}
