import {
  courseRolesOf,
  deleteCourseUsers,
  deleteSessionUsers,
  insertCourseUsers,
  insertSessionUsers,
  sessionMembersOf,
  setCourseRoles,
} from '../db/enrollment-repository';
import { assertLiveAccount } from './activation';
import type { BatchAction, Selection } from './batch';
import { nowIso, type ServiceContext } from './context';
import { parseCourseRole, requireCourse, type CourseRole } from './courses';
import { UsageError } from '../shared/errors';
import { requireSession } from './sessions';
import { hasSelectiveFilter } from '../shared/user-filter';

/** What enroll/unenroll name on the command line: a course (with a role) or a session. */
export interface EnrollTargetInput {
  course?: string;
  session?: string;
  /** student or teacher; courses only. */
  role?: string;
}

/**
 * A course or session that exists. For a course, `role` is the role asked
 * for; when none was asked for, new enrolments are students and existing
 * ones keep their role.
 */
export type EnrollTarget = { kind: 'course'; id: number; code: string; role?: CourseRole } | { kind: 'session'; id: number; name: string };

/** Resolves the target before any user is touched: unknown course or session → exit 3. */
export async function resolveEnrollTarget(ctx: ServiceContext, input: EnrollTargetInput): Promise<EnrollTarget> {
  if (input.course !== undefined && input.session !== undefined) throw new UsageError('give --course or --session, not both');
  if (input.course === undefined && input.session === undefined) throw new UsageError('give the course (--course <code>) or the session (--session <name>)');
  if (input.session !== undefined) {
    if (input.role !== undefined) throw new UsageError('--as applies to courses only; a session has no roles');
    const row = await requireSession(ctx.db.kysely, input.session);
    return { kind: 'session', id: row.id, name: row.name };
  }
  const role = input.role === undefined ? undefined : parseCourseRole(input.role);
  const row = await requireCourse(ctx.db.kysely, input.course!);
  return { kind: 'course', id: row.id, code: row.code, role };
}

export function describeTarget(target: EnrollTarget): string {
  return target.kind === 'course' ? `course ${target.code}${target.role ? ` as ${target.role}` : ''}` : `session "${target.name}"`;
}

/**
 * Enrols users. Already enrolled: unchanged, unless --as asks for another
 * role, which is then changed. Deleted, anonymized and system accounts are
 * refused (exit 4). One audit row per user changed. A chunk's enrolments are
 * read at once and written at once.
 */
export function enrollAction(ctx: ServiceContext, target: EnrollTarget): BatchAction {
  const enrolledAt = nowIso(ctx);
  if (target.kind === 'session') {
    let members = new Set<number>();
    let due: number[] = [];
    return {
      refusesBeforeWriting: true,
      async readChunk(users, trx) {
        members = await sessionMembersOf(
          trx,
          target.id,
          users.map((u) => u.id),
        );
      },
      async writeChunk(trx) {
        await insertSessionUsers(ctx.db, trx, target.id, due, enrolledAt);
        due = [];
      },
      apply(user, { audit: auditLog }) {
        assertLiveAccount(user, 'enrolled');
        if (members.has(user.id)) return 'unchanged';
        members.add(user.id);
        due.push(user.id);
        auditLog('session.enroll', user.id, { session: target.name });
        return 'changed';
      },
    };
  }
  const role: CourseRole = target.role ?? 'student';
  let roles = new Map<number, string>();
  let newcomers: { userId: number; role: string }[] = [];
  let roleChanges: number[] = [];
  return {
    refusesBeforeWriting: true,
    async readChunk(users, trx) {
      roles = await courseRolesOf(
        trx,
        target.id,
        users.map((u) => u.id),
      );
    },
    async writeChunk(trx) {
      await insertCourseUsers(ctx.db, trx, target.id, newcomers, enrolledAt);
      if (target.role !== undefined) await setCourseRoles(trx, target.id, roleChanges, target.role);
      newcomers = [];
      roleChanges = [];
    },
    apply(user, { audit: auditLog }) {
      assertLiveAccount(user, 'enrolled');
      const current = roles.get(user.id);
      if (current === undefined) {
        roles.set(user.id, role);
        newcomers.push({ userId: user.id, role });
        auditLog('course.enroll', user.id, { course: target.code, role });
        return 'changed';
      }
      if (target.role === undefined || current === target.role) return 'unchanged';
      roles.set(user.id, target.role);
      roleChanges.push(user.id);
      auditLog('course.enroll', user.id, { course: target.code, role: target.role, changes: [{ field: 'role', before: current, after: target.role }] });
      return 'changed';
    },
  };
}

/** Removes users' enrolments; not enrolled: unchanged. Works for deleted accounts too (clean-up). */
export function unenrollAction(target: EnrollTarget): BatchAction {
  let due: number[] = [];
  if (target.kind === 'session') {
    let members = new Set<number>();
    return {
      refusesBeforeWriting: true,
      async readChunk(users, trx) {
        members = await sessionMembersOf(
          trx,
          target.id,
          users.map((u) => u.id),
        );
      },
      async writeChunk(trx) {
        await deleteSessionUsers(trx, target.id, due);
        due = [];
      },
      apply(user, { audit: auditLog }) {
        if (!members.delete(user.id)) return 'unchanged';
        due.push(user.id);
        auditLog('session.unenroll', user.id, { session: target.name });
        return 'changed';
      },
    };
  }
  let roles = new Map<number, string>();
  return {
    refusesBeforeWriting: true,
    async readChunk(users, trx) {
      roles = await courseRolesOf(
        trx,
        target.id,
        users.map((u) => u.id),
      );
    },
    async writeChunk(trx) {
      await deleteCourseUsers(trx, target.id, due);
      due = [];
    },
    apply(user, { audit: auditLog }) {
      const removed = roles.get(user.id);
      if (removed === undefined) return 'unchanged';
      roles.delete(user.id);
      due.push(user.id);
      auditLog('course.unenroll', user.id, { course: target.code, role: removed });
      return 'changed';
    },
  };
}

/**
 * `unenroll --course C101 --role student` means the students of C101, not
 * every student: a filter selection is narrowed to the users enrolled there.
 * A filter without criteria of its own stays one (and is refused).
 */
export function restrictToEnrolled(selection: Selection, target: EnrollTarget): Selection {
  if (selection.kind !== 'filter' || !hasSelectiveFilter(selection.filter)) return selection;
  const filter = target.kind === 'course' ? { ...selection.filter, course: target.code } : { ...selection.filter, session: target.name };
  return { kind: 'filter', filter };
}
