import type { Transaction } from 'kysely';
import type { Database } from '../db/schema';
import { anotherActiveAdminExists, isAdmin } from '../db/user-repository';
import { ConflictError } from '../shared/errors';

export interface AdminCandidate {
  id: number;
  username: string;
  active: number | boolean;
  deleted_at: string | null;
}

/**
 * The platform must keep one active admin. The one rule, for every way an
 * account stops being one: deactivated, expired, deleted, anonymized, its
 * admin role taken, its expiration date put in the past. `losing` is what
 * roster was asked to do ("deactivate it"), `hint` what to do instead. It
 * runs inside the transaction that makes the change, whose write lock keeps
 * two processes from each taking one of the last two admins.
 */
export async function assertNotLastActiveAdmin(
  trx: Transaction<Database>,
  user: AdminCandidate,
  losing: string,
  hint = 'give another account the admin role first',
): Promise<void> {
  if (!user.active || user.deleted_at) return;
  if (!(await isAdmin(trx, user.id)) || (await anotherActiveAdminExists(trx, user.id))) return;
  throw new ConflictError(`${user.username} is the last active admin; the platform must keep one, so roster will not ${losing}`, hint);
}
