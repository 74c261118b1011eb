import { param, prepare } from './prepared';
import type { RosterDb } from './database';

/** Statements of the account lifecycle, compiled by Kysely once and prepared once per batch. */
export function accountStatements(db: RosterDb) {
  const k = db.kysely;
  return {
    setActive: prepare<'id' | 'active'>(db.raw, k.updateTable('user').set({ active: param<number>('active') }).where('id', '=', param<number>('id'))),
    setExpires: prepare<'id' | 'expires_at'>(db.raw, k.updateTable('user').set({ expires_at: param<string | null>('expires_at') }).where('id', '=', param<number>('id'))),
    /** Active, live admins other than this user: the platform must keep one. */
    otherActiveAdmins: prepare<'id'>(
      db.raw,
      k
        .selectFrom('user')
        .innerJoin('user_role', 'user_role.user_id', 'user.id')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('user_role.role', '=', 'admin')
        .where('user.active', '=', 1)
        .where('user.deleted_at', 'is', null)
        .where('user.id', '!=', param<number>('id')),
    ),
    /** Outstanding login-as tokens die with the account's right to log in. */
    revokeUnusedTokens: prepare<'id'>(db.raw, k.deleteFrom('login_token').where('user_id', '=', param<number>('id')).where('used_at', 'is', null)),
    isAdmin: prepare<'id'>(db.raw, k.selectFrom('user_role').select('role').where('user_id', '=', param<number>('id')).where('role', '=', 'admin')),
  };
}
export type AccountStatements = ReturnType<typeof accountStatements>;
