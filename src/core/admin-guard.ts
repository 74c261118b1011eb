import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema';
import { adminsAmong, anotherActiveAdminExists } from '../db/user-repository';
import { ConflictError } from '../shared/errors';

/** A transaction, or (for a dry run, which writes nothing) the database itself. */
type Executor = Kysely<Database> | Transaction<Database>;

export interface AdminCandidate {
  id: number;
  username: string;
  active: number | boolean;
  deleted_at: string | null;
}

/**
 * The platform must keep one active admin. The one rule, for every way an
 * account stops being one: deactivated, expired, deleted, anonymized, its
 * admin role taken, its expiration date put in the past. It runs inside the
 * transaction that makes the change, whose write lock keeps two processes
 * from each taking one of the last two admins.
 *
 * A batch reads which users of a chunk are admins with one query (`load`),
 * so that only admins cost a second look.
 */
export class AdminGuard {
  private admins = new Set<number>();
  /** Admins this guard let go: a batch that writes a chunk at once has not written them yet. */
  private readonly letGo = new Set<number>();

  /** `now`: an admin whose expiration date has passed by then no longer counts as one. */
  constructor(private readonly now: string) {}

  async load(trx: Executor, userIds: readonly number[]): Promise<void> {
    this.admins = new Set(await adminsAmong(trx, userIds));
  }

  /** `losing` is what roster was asked to do ("deactivate it"), `hint` what to do instead. */
  async assert(trx: Executor, user: AdminCandidate, losing: string, hint = 'give another account the admin role first'): Promise<void> {
    if (!user.active || user.deleted_at || !this.admins.has(user.id)) return;
    if (await anotherActiveAdminExists(trx, [user.id, ...this.letGo], this.now)) {
      this.letGo.add(user.id);
      return;
    }
    throw new ConflictError(`${user.username} is the last active admin; the platform must keep one, so roster will not ${losing}`, hint);
  }
}

/** The guard for one user (an edit). */
export async function assertNotLastActiveAdmin(trx: Transaction<Database>, now: string, user: AdminCandidate, losing: string, hint?: string): Promise<void> {
  const guard = new AdminGuard(now);
  await guard.load(trx, [user.id]);
  await guard.assert(trx, user, losing, hint);
}
