import { Kysely, sql } from 'kysely';

/**
 * One-time login tokens, settings, and the fallback user that receives the
 * courses of purged accounts. Frozen in time: Kysely<any>.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('login_token')
    .addColumn('id', 'integer', (c) => c.primaryKey())
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
  await sql`INSERT INTO user (username, username_key, email, email_key, firstname, lastname,
      language, auth_source, active, registered_at, created_by, is_system)
    VALUES ('fallback', 'fallback', 'fallback@localhost.invalid', 'fallback@localhost.invalid',
      'Fallback', 'User', 'en', 'system', 0, ${now}, 'roster', 1)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DELETE FROM user WHERE is_system = 1`.execute(db);
  await db.schema.dropTable('setting').ifExists().execute();
  await db.schema.dropTable('login_token').ifExists().execute();
}
