import { deactivateAll } from '../db/account-statements';
import type { BatchAction, Selection } from './batch';
import { nowIso, type ServiceContext } from './context';
import { UsageError } from '../shared/errors';
import { AdminGuard } from './admin-guard';
import type { UserFilter } from '../shared/user-filter';

export interface ExpiryOptions {
  /** Also deactivate accounts without a login (or registration, if never used) since this instant. */
  dormantSince?: string;
}

/**
 * What `roster expire` acts on. Without users: the active accounts whose
 * expiration date has passed and, with dormantSince, the dormant ones —
 * system accounts and admins excepted unless the filters name the admin role.
 * Named users are all considered (the action decides for each).
 */
export function expirySelection(ctx: ServiceContext, selection: Selection, options: ExpiryOptions = {}): Selection {
  if (selection.kind === 'refs') return selection;
  const base = selection.filter;
  if (base.active === false) throw new UsageError('roster expire acts on active accounts only; --inactive selects none');
  if (base.deleted || base.deletedBefore) throw new UsageError('roster expire does not act on deleted accounts; drop --deleted');
  const anyOf: UserFilter[] = [{ expiredAt: nowIso(ctx) }];
  if (options.dormantSince) {
    const adminsNamed = base.roles?.includes('admin') ?? false;
    anyOf.push({ dormantSince: options.dormantSince, excludeRoles: adminsNamed ? undefined : ['admin'] });
  }
  // Expiry never touches system accounts, whatever --system says.
  return { kind: 'filter', filter: { ...base, system: undefined, active: true, anyOf } };
}

/**
 * Deactivates an account whose expiration date has passed (or that is
 * dormant). Runs inside the batch transaction on the user as it is now, so a
 * second expiry run finds it inactive and leaves it alone.
 */
export function expireAction(ctx: ServiceContext, options: ExpiryOptions = {}): BatchAction {
  const now = nowIso(ctx);
  // The chunk's accounts to deactivate, written at once at its end.
  let due: number[] = [];
  // Which users of a chunk are admins: read once per chunk.
  const guard = new AdminGuard(nowIso(ctx));
  return {
    readChunk: (users, trx) =>
      guard.load(
        trx,
        users.map((u) => u.id),
      ),
    // Every refusal (the checks, the last-admin guard) comes before the first write: no savepoint needed.
    refusesBeforeWriting: true,
    async writeChunk(trx) {
      await deactivateAll(trx, due);
      due = [];
    },
    async apply(user, { trx, audit: auditLog }) {
      if (user.is_system || user.deleted_at || user.anonymized_at || !user.active) return 'unchanged';
      const expired = user.expires_at !== null && user.expires_at <= now;
      const lastSeen = user.last_login_at ?? user.registered_at;
      const dormant = options.dormantSince !== undefined && lastSeen < options.dormantSince;
      if (!expired && !dormant) return 'unchanged';
      await guard.assert(
        trx,
        user,
        'deactivate it by expiry',
        `extend it: roster edit ${user.username} --expires <date|never>, or give another account the admin role`,
      );
      due.push(user.id);
      const reason = expired
        ? { reason: 'expired', expiresAt: user.expires_at }
        : { reason: 'inactive', lastSeenAt: lastSeen, inactiveSince: options.dormantSince };
      auditLog('user.expire', user.id, { ...reason, changes: [{ field: 'active', before: 1, after: 0 }] });
      return 'changed';
    },
  };
}

/** The filter of `expire --warn`: active accounts expiring after now and within the window. */
export function expiringSoonFilter(ctx: ServiceContext, base: UserFilter, windowMs: number): UserFilter {
  if (base.active === false || base.deleted || base.deletedBefore) throw new UsageError('--warn lists live, active accounts; drop --inactive and --deleted');
  const now = ctx.now().getTime();
  return { ...base, system: undefined, active: true, expiresAfter: new Date(now).toISOString(), expiresBefore: new Date(now + windowMs).toISOString() };
}
