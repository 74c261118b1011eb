import { sql, type Insertable, type Kysely, type Transaction } from 'kysely';
import { startsWith } from './sql-functions';
import type { Database, ExtraFieldRow, ExtraFieldTable } from './schema';

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

export async function fieldExists(db: Executor, name: string): Promise<boolean> {
  return (await db.selectFrom('extra_field').select('id').where('name', '=', name).executeTakeFirst()) !== undefined;
}

/** The names of the extra fields that begin with `prefix`, in order, at most `limit` (for shell completion). */
export async function fieldNamesStartingWith(db: Executor, prefix: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('extra_field')
    .select('name')
    .where(startsWith(sql.ref('name'), prefix))
    .orderBy('name')
    .limit(limit)
    .execute();
  return rows.map((row) => row.name);
}

/** Stores a definition; returns it as stored. */
export async function insertFieldDefinition(db: Executor, field: Insertable<ExtraFieldTable>): Promise<ExtraFieldRow> {
  return db.insertInto('extra_field').values(field).returningAll().executeTakeFirstOrThrow();
}

/** Every definition, by name, with how many users hold a value of it. */
export async function fieldsWithUsage(db: Executor): Promise<(ExtraFieldRow & { users: number })[]> {
  const rows = await db
    .selectFrom('extra_field')
    .leftJoin('user_extra_value', 'user_extra_value.field_id', 'extra_field.id')
    .selectAll('extra_field')
    .select((eb) => eb.fn.count<number>('user_extra_value.user_id').as('users'))
    .groupBy('extra_field.id')
    .orderBy('extra_field.name')
    .execute();
  return rows.map((r) => ({ ...r, users: Number(r.users) }));
}

export async function countFieldValues(db: Executor, fieldId: number): Promise<number> {
  const { n } = await db
    .selectFrom('user_extra_value')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('field_id', '=', fieldId)
    .executeTakeFirstOrThrow();
  return Number(n);
}

/** Removes a definition with every value of it. */
export async function deleteFieldDefinition(db: Executor, fieldId: number): Promise<void> {
  await db.deleteFrom('user_extra_value').where('field_id', '=', fieldId).execute();
  await db.deleteFrom('extra_field').where('id', '=', fieldId).execute();
}
