import type { Insertable, Kysely, Transaction } from 'kysely';
import type { Database, LoginTokenTable } from './schema';

type Executor = Kysely<Database> | Transaction<Database>;

/** Stores a login-as token (its hash only); returns its id. */
export async function insertLoginToken(db: Executor, token: Insertable<LoginTokenTable>): Promise<number> {
  return (await db.insertInto('login_token').values(token).returning('id').executeTakeFirstOrThrow()).id;
}

export async function findLoginToken(db: Executor, tokenHash: string) {
  return db.selectFrom('login_token').select(['id', 'user_id', 'expires_at', 'used_at']).where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** A successful login: the token (if one was used) spent, the last login moved, a legacy hash replaced. */
export async function recordLogin(db: Executor, userId: number, at: string, change: { tokenId?: number; passwordHash?: string }): Promise<void> {
  if (change.tokenId !== undefined) await db.updateTable('login_token').set({ used_at: at }).where('id', '=', change.tokenId).execute();
  await db.updateTable('user').set({ last_login_at: at }).where('id', '=', userId).execute();
  if (change.passwordHash !== undefined) await db.updateTable('user').set({ password_hash: change.passwordHash }).where('id', '=', userId).execute();
}
