import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema';

type Executor = Kysely<Database> | Transaction<Database>;

/** Each distinct value stored for a field, with how many users hold it. */
export async function storedValueCounts(db: Executor, fieldId: number): Promise<{ value: string; users: number }[]> {
  const rows = await db
    .selectFrom('user_extra_value')
    .select(['value', (eb) => eb.fn.countAll<number>().as('users')])
    .where('field_id', '=', fieldId)
    .groupBy('value')
    .orderBy('value')
    .execute();
  return rows.map((r) => ({ value: r.value, users: Number(r.users) }));
}

/** Rewrites one stored value of a field for every user holding it; returns how many rows. */
export async function replaceStoredValue(db: Executor, fieldId: number, from: string, to: string): Promise<number> {
  const result = await db.updateTable('user_extra_value').set({ value: to }).where('field_id', '=', fieldId).where('value', '=', from).executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function updateFieldDefinition(db: Executor, fieldId: number, changes: { label?: string; type?: string; choices?: string | null }): Promise<void> {
  await db.updateTable('extra_field').set(changes).where('id', '=', fieldId).execute();
}
