import { activateAll, deactivateAll, unusedTokenCounts } from '../db/account-statements';
import { AdminGuard } from './admin-guard';
import { AuditBuffer, type FieldChange } from './audit';
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema';
import type { BatchAction, Outcome, TargetUser } from './batch';
import { nowIso, type ServiceContext } from './context';
import { ConflictError, NotFoundError } from '../shared/errors';
import { targetsByIds } from '../db/selection-repository';

/** Refuses accounts that are not ordinary live ones, naming why and what to do. */
export function assertLiveAccount(user: TargetUser, doing: string): void {
  if (user.is_system) throw new ConflictError(`${user.username} is the system fallback account; it cannot be ${doing}`);
  if (user.anonymized_at) throw new ConflictError(`${user.username} is anonymized; it cannot be ${doing}`);
  if (user.deleted_at) throw new ConflictError(`${user.username} is deleted; restore it first (roster restore ${user.username})`);
}

export interface ActivateOptions {
  /** A new expiration date (ISO), or null for "never"; undefined keeps the current one. */
  expiresAt?: string | null;
}

/**
 * Activation. An account whose expiration date has passed would be switched
 * off again by the next expiry run, so that is refused unless the same
 * command moves the date.
 */
export function activateAction(ctx: ServiceContext, options: ActivateOptions = {}): BatchAction {
  const now = nowIso(ctx);
  // The chunk's users to change, written at once at its end (all get the same date, if one is given).
  let due: number[] = [];
  return {
    // Every refusal (the checks, the last-admin guard) comes before the first write: no savepoint needed.
    refusesBeforeWriting: true,
    async writeChunk(trx) {
      await activateAll(trx, due, options.expiresAt);
      due = [];
    },
    apply(user, { audit: auditLog }) {
      assertLiveAccount(user, 'activated');
      const expiresAt = options.expiresAt === undefined ? user.expires_at : options.expiresAt;
      if (expiresAt !== null && expiresAt <= now) {
        throw new ConflictError(
          `${user.username} expired on ${expiresAt.slice(0, 10)}: the next expiry run would deactivate it again; pass --expires <date|never> in the same command`,
        );
      }
      const changes: FieldChange[] = [];
      if (expiresAt !== user.expires_at) changes.push({ field: 'expires_at', before: user.expires_at, after: expiresAt });
      if (!user.active) changes.push({ field: 'active', before: 0, after: 1 });
      if (!changes.length) return 'unchanged';
      due.push(user.id);
      auditLog('user.activate', user.id, { changes });
      return 'changed';
    },
  };
}

export function deactivateAction(ctx: ServiceContext, action = 'user.deactivate'): BatchAction {
  // What a chunk holds (its admins, its unused tokens) is read at once; its deactivations are written at once.
  const guard = new AdminGuard(nowIso(ctx));
  let tokens = new Map<number, number>();
  let due: number[] = [];
  return {
    async readChunk(users, trx) {
      const ids = users.map((u) => u.id);
      await guard.load(trx, ids);
      tokens = await unusedTokenCounts(trx, ids);
    },
    // Every refusal (the checks, the last-admin guard) comes before the first write: no savepoint needed.
    refusesBeforeWriting: true,
    async writeChunk(trx) {
      await deactivateAll(trx, due);
      due = [];
    },
    async apply(user, { trx, audit: auditLog }) {
      if (user.is_system) return 'unchanged';
      assertLiveAccount(user, 'deactivated');
      if (!user.active) return 'unchanged';
      await guard.assert(trx, user, 'deactivate it', 'give another account the admin role first, then deactivate this one');
      due.push(user.id);
      const tokensRevoked = tokens.get(user.id);
      auditLog(action, user.id, { changes: [{ field: 'active', before: 1, after: 0 }], ...(tokensRevoked ? { tokensRevoked } : {}) });
      return 'changed';
    },
  };
}

/**
 * Activates or deactivates one user inside the caller's transaction, as
 * roster activate and deactivate do (their checks, their audit rows): what
 * edit --activate and --deactivate run.
 */
export async function changeActivation(ctx: ServiceContext, trx: Transaction<Database>, userId: number, active: boolean): Promise<Outcome> {
  const user = (await targetsByIds(trx, [userId])).get(userId);
  if (!user) throw new NotFoundError(`no user id:${userId}`);
  const action = active ? activateAction(ctx) : deactivateAction(ctx);
  const auditRows = new AuditBuffer(ctx);
  await action.readChunk?.([user], trx);
  const outcome = await action.apply(user, { trx, audit: auditRows.add });
  await action.writeChunk?.(trx);
  await auditRows.flush(trx);
  return outcome;
}
