import type { Kysely, Transaction } from 'kysely';
import { slices } from './chunks';
import type { Database } from './schema';

type Executor = Kysely<Database> | Transaction<Database>;

/**
 * The writes of the account lifecycle (activate, deactivate, delete,
 * restore), a chunk of users at a time: a few set-based statements each.
 */

/** Deactivates these users and revokes their unused login-as tokens. */
export async function deactivateAll(db: Executor, ids: readonly number[]): Promise<void> {
  for (const some of slices(ids)) await db.updateTable('user').set({ active: 0 }).where('id', 'in', some).execute();
  await revokeUnusedTokens(db, ids);
}

/** Outstanding login-as tokens die with the account's right to log in. */
export async function revokeUnusedTokens(db: Executor, ids: readonly number[]): Promise<void> {
  for (const some of slices(ids)) await db.deleteFrom('login_token').where('user_id', 'in', some).where('used_at', 'is', null).execute();
}

/** How many unused login-as tokens each of these users holds (those without any are left out). */
export async function unusedTokenCounts(db: Executor, ids: readonly number[]): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const some of slices(ids)) {
    const rows = await db
      .selectFrom('login_token')
      .select(['user_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('user_id', 'in', some)
      .where('used_at', 'is', null)
      .groupBy('user_id')
      .execute();
    for (const row of rows) counts.set(row.user_id, Number(row.n));
  }
  return counts;
}

/** Activates these users, and gives them one expiration date (undefined keeps each its own). */
export async function activateAll(db: Executor, ids: readonly number[], expiresAt?: string | null): Promise<void> {
  const values = expiresAt === undefined ? { active: 1 } : { active: 1, expires_at: expiresAt };
  for (const some of slices(ids)) await db.updateTable('user').set(values).where('id', 'in', some).execute();
}

/** Soft-deletes these users (a date) or restores them (null). */
export async function setDeletedAt(db: Executor, ids: readonly number[], deletedAt: string | null): Promise<void> {
  for (const some of slices(ids)) await db.updateTable('user').set({ deleted_at: deletedAt }).where('id', 'in', some).execute();
}
