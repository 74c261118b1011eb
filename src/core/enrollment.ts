import { enrollmentStatements } from '../db/enrollment-statements';
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
export type EnrollTarget =
  | { kind: 'course'; id: number; code: string; role?: CourseRole }
  | { kind: 'session'; id: number; name: string };

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
 * Enrols one user. Already enrolled: unchanged, unless --as asks for another
 * role, which is then changed. Deleted, anonymized and system accounts are
 * refused (exit 4). One audit row per user changed.
 */
export function enrollAction(ctx: ServiceContext, target: EnrollTarget): BatchAction {
  const sql = enrollmentStatements(ctx.db);
  const enrolledAt = nowIso(ctx);
  if (target.kind === 'session') {
    return {
      refusesBeforeWriting: true,
      apply(user, { audit: auditLog }) {
        assertLiveAccount(user, 'enrolled');
        if (!sql.insertSessionUser.run({ session_id: target.id, user_id: user.id, enrolled_at: enrolledAt }).changes) return 'unchanged';
        auditLog('session.enroll', user.id, { session: target.name });
        return 'changed';
      },
    };
  }
  const role: CourseRole = target.role ?? 'student';
  const enrolled = { course: target.code, role };
  return {
    refusesBeforeWriting: true,
    apply(user, { audit: auditLog }) {
      assertLiveAccount(user, 'enrolled');
      if (sql.insertCourseUser.run({ course_id: target.id, user_id: user.id, role, enrolled_at: enrolledAt }).changes) {
        auditLog('course.enroll', user.id, enrolled);
        return 'changed';
      }
      const key = { course_id: target.id, user_id: user.id };
      const current = sql.courseRole.get<{ role: string }>(key)?.role;
      if (target.role === undefined || current === target.role) return 'unchanged';
      sql.setCourseRole.run({ ...key, role: target.role });
      auditLog('course.enroll', user.id, { course: target.code, role: target.role, changes: [{ field: 'role', before: current ?? null, after: target.role }] });
      return 'changed';
    },
  };
}

/** Removes one user's enrolment; not enrolled: unchanged. Works for deleted accounts too (clean-up). */
export function unenrollAction(ctx: ServiceContext, target: EnrollTarget): BatchAction {
  const sql = enrollmentStatements(ctx.db);
  if (target.kind === 'session') {
    return {
      refusesBeforeWriting: true,
      apply(user, { audit: auditLog }) {
        if (!sql.deleteSessionUser.run({ session_id: target.id, user_id: user.id }).changes) return 'unchanged';
        auditLog('session.unenroll', user.id, { session: target.name });
        return 'changed';
      },
    };
  }
  return {
    refusesBeforeWriting: true,
    apply(user, { audit: auditLog }) {
      const removed = sql.deleteCourseUser.get<{ role: string }>({ course_id: target.id, user_id: user.id });
      if (!removed) return 'unchanged';
      auditLog('course.unenroll', user.id, { course: target.code, role: removed.role });
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
