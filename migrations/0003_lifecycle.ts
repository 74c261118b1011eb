import { Kysely } from 'kysely';
import { idColumn } from './engine';

/**
 * One-time login tokens, settings, and the fallback user that receives the
 * courses of purged accounts. Frozen in time: Kysely<any>.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('login_token')
    .addColumn('id', 'integer', idColumn(db))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
    // Only the SHA-256 of the token is stored: a stolen database grants no login.
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('login_token_user_idx').on('login_token').column('user_id').execute();

  await db.schema
    .createTable('setting')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  const now = new Date().toISOString();
  // No password hash: the fallback user can never log in.
  await db
    .insertInto('user')
    .values({
      username: 'fallback',
      username_key: 'fallback',
      email: 'fallback@localhost.invalid',
      email_key: 'fallback@localhost.invalid',
      firstname: 'Fallback',
      lastname: 'User',
      language: 'en',
      auth_source: 'system',
      active: 0,
      registered_at: now,
      created_by: 'roster',
      is_system: 1,
    })
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.deleteFrom('user').where('is_system', '=', 1).execute();
  await db.schema.dropTable('setting').ifExists().execute();
  await db.schema.dropTable('login_token').ifExists().execute();
}
