import { revokeUnusedTokens, setDeletedAt, unusedTokenCounts } from '../db/account-statements';
import { eraser } from '../db/erasure';
import * as erasure from '../db/erasure-repository';
import { eraseFromAuditTrail } from './anonymize';
import { coursesOwnedBy, ownedCourseIds, sessionsCoachedBy, type OwnedCourse, type UserSet } from '../db/course-repository';
import { findFallbackUser } from '../db/user-repository';
import { AdminGuard } from './admin-guard';
import type { BatchAction, BatchPlan, TargetUser } from './batch';
import { nowIso, type ServiceContext } from './context';
import { ConflictError, NotFoundError } from '../shared/errors';
import { requireUser } from './users';

/** The username of the system account created by migration 0003. */
export const FALLBACK_USERNAME = 'fallback';

/**
 * Soft delete: the account leaves list and search and cannot log in, but
 * keeps everything, its username and email included (so a restore never
 * collides). The fallback user and the last active admin are refused.
 */
export function assertDeletable(user: TargetUser): void {
  if (user.is_system) throw new ConflictError(`${user.username} is the system fallback account; it cannot be deleted`);
}

export function deleteAction(ctx: ServiceContext): BatchAction {
  const now = nowIso(ctx);
  // What a chunk holds (its admins, tokens and courses) is read at once; its deletions are written at once.
  const guard = new AdminGuard(now);
  let tokens = new Map<number, number>();
  let courses = new Map<number, number[]>();
  let due: number[] = [];
  return {
    async readChunk(users, trx) {
      const ids = users.map((u) => u.id);
      await guard.load(trx, ids);
      tokens = await unusedTokenCounts(trx, ids);
      courses = await ownedCourseIds(trx, ids);
    },
    // Every refusal (the checks, the last-admin guard) comes before the first write: no savepoint needed.
    refusesBeforeWriting: true,
    async writeChunk(trx) {
      await setDeletedAt(trx, due, now);
      await revokeUnusedTokens(trx, due);
      due = [];
    },
    async apply(user, { trx, audit: auditLog }) {
      assertDeletable(user);
      if (user.deleted_at) return 'unchanged';
      await guard.assert(trx, user, 'delete it', 'give another account the admin role first, then delete this one');
      due.push(user.id);
      const tokensRevoked = tokens.get(user.id);
      const ownedCourses = courses.get(user.id);
      auditLog('user.delete', user.id, {
        changes: [{ field: 'deleted_at', before: null, after: now }],
        ...(ownedCourses ? { ownedCourses } : {}),
        ...(tokensRevoked ? { tokensRevoked } : {}),
      });
      return 'changed';
    },
  };
}

/** Brings soft-deleted accounts back exactly as they were (their identity stayed reserved). */
export function restoreAction(): BatchAction {
  let due: number[] = [];
  return {
    refusesBeforeWriting: true,
    async writeChunk(trx) {
      await setDeletedAt(trx, due, null);
      due = [];
    },
    apply(user, { audit: auditLog }) {
      if (!user.deleted_at) return 'unchanged';
      due.push(user.id);
      auditLog('user.restore', user.id, { changes: [{ field: 'deleted_at', before: user.deleted_at, after: null }] });
      return 'changed';
    },
  };
}

/** The account that receives the courses of purged users. */
export interface CourseReceiver {
  id: number;
  username: string;
  fallback: boolean;
}

/**
 * The fallback user, or the account named by --reassign-to, which must be a
 * live, active one. Checked before a purge changes anything.
 */
export async function resolveCourseReceiver(ctx: ServiceContext, ref?: string): Promise<CourseReceiver> {
  if (ref === undefined) {
    const fallback = await findFallbackUser(ctx.db.kysely, FALLBACK_USERNAME);
    if (!fallback)
      throw new NotFoundError('the fallback user is missing from the database', 'pass --reassign-to <user> to hand the courses to an active account');
    return { ...fallback, fallback: true };
  }
  const row = await requireUser(ctx.db.kysely, ref);
  if (row.is_system) return { id: row.id, username: row.username, fallback: true };
  const hint = 'courses can only be handed to a live, active account (or to the fallback user: leave out --reassign-to)';
  if (row.anonymized_at) throw new ConflictError(`--reassign-to: ${row.username} is anonymized`, hint);
  if (row.deleted_at) throw new ConflictError(`--reassign-to: ${row.username} is deleted`, hint);
  if (!row.active) throw new ConflictError(`--reassign-to: ${row.username} is inactive`, hint);
  return { id: row.id, username: row.username, fallback: false };
}

export interface PurgeRun {
  action: BatchAction;
  /** For each purged user id, the ids of the courses handed over. */
  handedOver: Map<number, number[]>;
  /** For each purged user id, the ids of the training sessions whose coaching was handed over. */
  sessionsHandedOver: Map<number, number[]>;
  /** Empties the write-ahead log after the purge (it holds the old pages); false when another process kept it. */
  flushLog: () => Promise<string | undefined>;
}

/**
 * Permanent deletion of a soft-deleted account: its courses go to the
 * receiver, then the row goes (roles, extra values, enrolments and tokens
 * follow by cascade). The audit row keeps the user id and the course ids.
 */
export function assertPurgeable(user: TargetUser): void {
  if (user.is_system) throw new ConflictError(`${user.username} is the system fallback account; it cannot be purged`);
  if (!user.deleted_at)
    throw new ConflictError(`${user.username} is not deleted; purge removes deleted accounts only`, `delete it first: roster delete ${user.username}`);
}

export function purgeAction(ctx: ServiceContext, receiver: CourseReceiver): PurgeRun {
  const erase = eraser(ctx.db);
  const handedOver = new Map<number, number[]>();
  const sessionsHandedOver = new Map<number, number[]>();
  const action: BatchAction = {
    async apply(user, { trx, audit: auditLog }) {
      assertPurgeable(user);
      const courseIds = await erasure.coursesOwnedByUser(trx, user.id);
      // Coached sessions are owned content too: they go to the same account, not to nobody.
      const sessionIds = await erasure.sessionsCoachedByUser(trx, user.id);
      if (courseIds.length || sessionIds.length) {
        // The receiver may have changed since it was checked: check again inside this transaction.
        const now = await erasure.receiverState(trx, receiver.id);
        if (!now || (!now.is_system && (!now.active || now.deleted_at || now.anonymized_at))) {
          throw new ConflictError(
            `the courses of ${user.username} cannot go to ${receiver.username}: that account is no longer active`,
            'choose another with --reassign-to <user>',
          );
        }
        await erasure.handOver(trx, user.id, receiver.id);
      }
      // A purge erases: the person's values leave the audit trail with the row.
      const auditEntriesErased = await eraseFromAuditTrail(trx, user.id);
      await erasure.deleteAccount(trx, user.id);
      auditLog('user.purge', user.id, {
        auditEntriesErased,
        coursesHandedOver: courseIds,
        sessionsHandedOver: sessionIds,
        handedTo: receiver.id,
        // The copies that still hold the purged account: the administrator destroys them.
        backupsHoldingData: await erase.backupsTaken(trx),
      });
      handedOver.set(user.id, courseIds);
      sessionsHandedOver.set(user.id, sessionIds);
      return 'changed' as const;
    },
  };
  return { action, handedOver, sessionsHandedOver, flushLog: () => erase.flushLog() };
}

/** The courses the users of a plan own (the first `limit` of them) and how many in all: the warning before a delete or purge. */
export async function ownedCoursesOf(ctx: ServiceContext, plan: BatchPlan, limit = 20): Promise<{ courses: OwnedCourse[]; total: number }> {
  const owners = ownersOf(plan);
  return owners ? coursesOwnedBy(ctx.db.kysely, owners, limit) : { courses: [], total: 0 };
}

/** The sessions the users of a plan coach (at most `limit`): warned about before a delete or purge. */
export async function coachedSessionsOf(
  ctx: ServiceContext,
  plan: BatchPlan,
  limit = 20,
): Promise<{ sessions: { name: string; coach: string }[]; total: number }> {
  const owners = ownersOf(plan);
  return owners ? sessionsCoachedBy(ctx.db.kysely, owners, limit) : { sessions: [], total: 0 };
}

function ownersOf(plan: BatchPlan): UserSet | undefined {
  if (plan.targets) return { ids: plan.targets.map((t) => t.id) };
  return plan.filter ? { filter: plan.filter } : undefined;
}
