import { Kysely, sql } from 'kysely';
import { foldColumns, isPostgres } from './engine';

/**
 * The order of the user list.
 *
 * Names sort as people expect (Ångström among the A, Élodie among the E,
 * "de Vries" among the D): folded copies of the names, kept by the
 * application like username_key, carry the sort indexes. SQLite's own
 * collations fold neither accents nor non-ASCII case.
 *
 * The index on deleted_at becomes partial (deleted accounts only): as a full
 * index, SQLite took it for `deleted_at IS NULL`, which every live account
 * matches, and then sorted the whole table instead of walking a sort index.
 *
 * Frozen in time: Kysely<any>. roster_fold() is registered on every roster
 * connection (src/db/database.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('user')
    .addColumn('firstname_key', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema
    .alterTable('user')
    .addColumn('lastname_key', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  if (isPostgres(db)) await foldColumns(db, 'user', { firstname: 'firstname_key', lastname: 'lastname_key' });
  else await sql`UPDATE user SET firstname_key = roster_fold(firstname), lastname_key = roster_fold(lastname)`.execute(db);
  await db.schema.dropIndex('user_lastname_idx').execute();
  await db.schema.dropIndex('user_firstname_idx').execute();
  await db.schema.createIndex('user_lastname_idx').on('user').columns(['lastname_key', 'firstname_key']).execute();
  await db.schema.createIndex('user_firstname_idx').on('user').columns(['firstname_key', 'lastname_key']).execute();
  await db.schema.dropIndex('user_deleted_idx').execute();
  await db.schema.createIndex('user_deleted_idx').on('user').column('deleted_at').where(sql.ref('deleted_at'), 'is not', null).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('user_deleted_idx').execute();
  await db.schema.createIndex('user_deleted_idx').on('user').column('deleted_at').execute();
  await db.schema.dropIndex('user_lastname_idx').execute();
  await db.schema.dropIndex('user_firstname_idx').execute();
  await db.schema.alterTable('user').dropColumn('firstname_key').execute();
  await db.schema.alterTable('user').dropColumn('lastname_key').execute();
  await db.schema.createIndex('user_lastname_idx').on('user').columns(['lastname', 'firstname']).execute();
  await db.schema.createIndex('user_firstname_idx').on('user').columns(['firstname', 'lastname']).execute();
}
