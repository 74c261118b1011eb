import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema';

type Executor = Kysely<Database> | Transaction<Database>;

export async function readSetting(db: Executor, key: string): Promise<string | null> {
  return (await db.selectFrom('setting').select('value').where('key', '=', key).executeTakeFirst())?.value ?? null;
}

/** Stores a value, or removes the setting for null. */
export async function writeSetting(db: Executor, key: string, value: string | null): Promise<void> {
  if (value === null) await db.deleteFrom('setting').where('key', '=', key).execute();
  else
    await db
      .insertInto('setting')
      .values({ key, value })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
      .execute();
}

export async function readSettings(db: Executor): Promise<Map<string, string>> {
  const rows = await db.selectFrom('setting').select(['key', 'value']).execute();
  return new Map(rows.map((r) => [r.key, r.value]));
}
