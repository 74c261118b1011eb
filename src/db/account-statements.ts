import { param, prepare } from './prepared';
import type { RosterDb } from './database';

/** Statements of the account lifecycle, compiled by Kysely once and prepared once per batch. */
export function accountStatements(db: RosterDb) {
  const k = db.kysely;
  return {
    setActive: prepare<'id' | 'active'>(db.raw, k.updateTable('user').set({ active: param<number>('active') }).where('id', '=', param<number>('id'))),
    setExpires: prepare<'id' | 'expires_at'>(db.raw, k.updateTable('user').set({ expires_at: param<string | null>('expires_at') }).where('id', '=', param<number>('id'))),
    /** Outstanding login-as tokens die with the account's right to log in. */
    revokeUnusedTokens: prepare<'id'>(db.raw, k.deleteFrom('login_token').where('user_id', '=', param<number>('id')).where('used_at', 'is', null)),
  };
}
export type AccountStatements = ReturnType<typeof accountStatements>;
