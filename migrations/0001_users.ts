import { Kysely, sql } from 'kysely';
import { idColumn, isPostgres } from './engine';

/**
 * Users, their roles, extra profile fields and the audit log.
 * Frozen in time: typed Kysely<any> on purpose, never import app types here.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const id = idColumn(db);
  await db.schema
    .createTable('user')
    .addColumn('id', 'integer', id)
    .addColumn('username', 'text', (c) => c.notNull())
    // Lower-cased copies carry the case-insensitive uniqueness: SQLite's
    // NOCASE only folds ASCII, the application folds Unicode.
    .addColumn('username_key', 'text', (c) => c.notNull().unique())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('email_key', 'text', (c) => c.notNull().unique())
    .addColumn('firstname', 'text', (c) => c.notNull())
    .addColumn('lastname', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text')
    .addColumn('official_code', 'text')
    .addColumn('phone', 'text')
    .addColumn('language', 'text', (c) => c.notNull().defaultTo('en'))
    .addColumn('picture', 'text')
    .addColumn('auth_source', 'text', (c) => c.notNull().defaultTo('platform'))
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('expires_at', 'text')
    .addColumn('registered_at', 'text', (c) => c.notNull())
    .addColumn('last_login_at', 'text')
    .addColumn('created_by', 'text')
    .addColumn('deleted_at', 'text')
    .addColumn('anonymized_at', 'text')
    .addColumn('is_system', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  // The indexes behind list's sort orders and filters.
  await db.schema.createIndex('user_lastname_idx').on('user').columns(['lastname', 'firstname']).execute();
  await db.schema.createIndex('user_firstname_idx').on('user').columns(['firstname', 'lastname']).execute();
  await db.schema.createIndex('user_registered_idx').on('user').column('registered_at').execute();
  await db.schema.createIndex('user_last_login_idx').on('user').column('last_login_at').execute();
  await db.schema.createIndex('user_expires_idx').on('user').column('expires_at').execute();
  await db.schema.createIndex('user_deleted_idx').on('user').column('deleted_at').execute();
  await db.schema.createIndex('user_official_code_idx').on('user').column('official_code').execute();

  await db.schema
    .createTable('user_role')
    .addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_role_pk', ['user_id', 'role'])
    .execute();
  await db.schema.createIndex('user_role_role_idx').on('user_role').columns(['role', 'user_id']).execute();

  await db.schema
    .createTable('extra_field')
    .addColumn('id', 'integer', id)
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('choices', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('user_extra_value')
    .addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
    .addColumn('field_id', 'integer', (c) => c.notNull().references('extra_field.id').onDelete('cascade'))
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_extra_value_pk', ['user_id', 'field_id'])
    .execute();
  await db.schema.createIndex('user_extra_value_lookup_idx').on('user_extra_value').columns(['field_id', 'value']).execute();

  // No foreign key on user_id: the audit trail outlives a purged account.
  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'integer', id)
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('user_id', 'integer')
    .addColumn('details', 'text')
    .execute();
  await db.schema.createIndex('audit_log_user_idx').on('audit_log').columns(['user_id', 'id']).execute();
  await db.schema.createIndex('audit_log_at_idx').on('audit_log').column('at').execute();

  // Substring search without a table scan: a trigram index over the searchable
  // columns, kept in sync by triggers so that no code path can forget it.
  // PostgreSQL's search index is migration 0009's.
  if (isPostgres(db)) return;
  await sql`CREATE VIRTUAL TABLE user_search USING fts5(
      firstname, lastname, username, email, official_code,
      content='user', content_rowid='id',
      tokenize='trigram remove_diacritics 1')`.execute(db);
  await sql`CREATE TRIGGER user_search_insert AFTER INSERT ON user BEGIN
      INSERT INTO user_search(rowid, firstname, lastname, username, email, official_code)
      VALUES (new.id, new.firstname, new.lastname, new.username, new.email, new.official_code);
    END`.execute(db);
  await sql`CREATE TRIGGER user_search_delete AFTER DELETE ON user BEGIN
      INSERT INTO user_search(user_search, rowid, firstname, lastname, username, email, official_code)
      VALUES ('delete', old.id, old.firstname, old.lastname, old.username, old.email, old.official_code);
    END`.execute(db);
  await sql`CREATE TRIGGER user_search_update AFTER UPDATE OF firstname, lastname, username, email, official_code ON user BEGIN
      INSERT INTO user_search(user_search, rowid, firstname, lastname, username, email, official_code)
      VALUES ('delete', old.id, old.firstname, old.lastname, old.username, old.email, old.official_code);
      INSERT INTO user_search(rowid, firstname, lastname, username, email, official_code)
      VALUES (new.id, new.firstname, new.lastname, new.username, new.email, new.official_code);
    END`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) await sql`DROP TABLE IF EXISTS user_search`.execute(db);
  for (const table of ['audit_log', 'user_extra_value', 'extra_field', 'user_role', 'user']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
