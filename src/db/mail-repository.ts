import type { Kysely, Transaction } from 'kysely';
import { slices } from './chunks';
import type { Database } from './schema';

type Executor = Kysely<Database> | Transaction<Database>;

/** Records that a mail went out; a second record of the same mail is ignored. */
export async function recordMailNotice(db: Executor, notice: { userId: number; template: string; about: string; sentAt: string }): Promise<void> {
  await db
    .insertInto('mail_notice')
    .values({ user_id: notice.userId, template: notice.template, about: notice.about, sent_at: notice.sentAt })
    .onConflict((oc) => oc.columns(['user_id', 'template', 'about']).doNothing())
    .execute();
}

/** The pairs `<user id>:<about>` among these users that were already sent this template. */
export async function mailNoticesOf(db: Executor, template: string, userIds: readonly number[]): Promise<Set<string>> {
  const sent = new Set<string>();
  for (const some of slices(userIds)) {
    const rows = await db.selectFrom('mail_notice').select(['user_id', 'about']).where('template', '=', template).where('user_id', 'in', some).execute();
    for (const row of rows) sent.add(`${row.user_id}:${row.about}`);
  }
  return sent;
}
