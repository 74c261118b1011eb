import type { Kysely, Transaction } from 'kysely';
import { param, prepare } from './prepared';
import type { Database } from './schema';

type Executor = Kysely<Database> | Transaction<Database>;
import type { RosterDb } from './database';
import { sqliteOnly } from './sqlite-only';

/** Statements of the account lifecycle, compiled by Kysely once and prepared once per batch. */
export function accountStatements(db: RosterDb) {
  const k = db.kysely;
  return {
    /** Outstanding login-as tokens die with the account's right to log in. */
    revokeUnusedTokens: prepare<'id'>(sqliteOnly(db, 'delete').raw, k.deleteFrom('login_token').where('user_id', '=', param<number>('id')).where('used_at', 'is', null)),
  };
}

/** Deactivates these users and revokes their unused login-as tokens: two statements for a whole chunk. */
export async function deactivateAll(db: Executor, ids: readonly number[]): Promise<void> {
  for (let at = 0; at < ids.length; at += IDS_PER_STATEMENT) {
    const some = ids.slice(at, at + IDS_PER_STATEMENT);
    await db.updateTable('user').set({ active: 0 }).where('id', 'in', some).execute();
    await db.deleteFrom('login_token').where('user_id', 'in', some).where('used_at', 'is', null).execute();
  }
}

/** How many unused login-as tokens each of these users holds (those without any are left out). */
export async function unusedTokenCounts(db: Executor, ids: readonly number[]): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (let at = 0; at < ids.length; at += IDS_PER_STATEMENT) {
    const rows = await db
      .selectFrom('login_token')
      .select(['user_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('user_id', 'in', ids.slice(at, at + IDS_PER_STATEMENT))
      .where('used_at', 'is', null)
      .groupBy('user_id')
      .execute();
    for (const row of rows) counts.set(row.user_id, Number(row.n));
  }
  return counts;
}

/** Activates these users, and gives them one expiration date (undefined keeps each its own): a chunk at once. */
export async function activateAll(db: Executor, ids: readonly number[], expiresAt?: string | null): Promise<void> {
  for (let at = 0; at < ids.length; at += IDS_PER_STATEMENT) {
    const some = ids.slice(at, at + IDS_PER_STATEMENT);
    await db
      .updateTable('user')
      .set(expiresAt === undefined ? { active: 1 } : { active: 1, expires_at: expiresAt })
      .where('id', 'in', some)
      .execute();
  }
}

const IDS_PER_STATEMENT = 500;
