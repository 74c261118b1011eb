import { Kysely } from 'kysely';

/**
 * The mails roster sent, one row per user, template and subject of the mail
 * (`about`: the expiration date an expiry warning was about; empty for a
 * welcome), so that `expire --warn --notify` run every day warns each account
 * once per expiration date. Frozen in time: Kysely<any>.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('mail_notice')
    .addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
    .addColumn('template', 'text', (c) => c.notNull())
    .addColumn('about', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('mail_notice_pk', ['user_id', 'template', 'about'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('mail_notice').ifExists().execute();
}
