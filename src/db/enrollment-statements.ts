import type { RosterDb } from './database';
import { sqliteOnly } from './sqlite-only';
import { param, prepare } from './prepared';

/**
 * The statements of enroll/unenroll, compiled by Kysely once and prepared
 * once per batch: a batch of 100,000 users runs each of them 100,000 times.
 */
export function enrollmentStatements(db: RosterDb) {
  const k = db.kysely;
  const raw = sqliteOnly(db, 'enroll and unenroll').raw;
  return {
    /** Inserts the enrolment; changes = 0 when the user was enrolled already. */
    insertCourseUser: prepare<'course_id' | 'user_id' | 'role' | 'enrolled_at'>(
      raw,
      k
        .insertInto('course_user')
        .values({ course_id: param<number>('course_id'), user_id: param<number>('user_id'), role: param<string>('role'), enrolled_at: param<string>('enrolled_at') })
        .onConflict((oc) => oc.doNothing()),
    ),
    courseRole: prepare<'course_id' | 'user_id'>(
      raw,
      k.selectFrom('course_user').select('role').where('course_id', '=', param<number>('course_id')).where('user_id', '=', param<number>('user_id')),
    ),
    setCourseRole: prepare<'course_id' | 'user_id' | 'role'>(
      raw,
      k.updateTable('course_user').set({ role: param<string>('role') }).where('course_id', '=', param<number>('course_id')).where('user_id', '=', param<number>('user_id')),
    ),
    /** Deletes the enrolment and returns the role it had (nothing when there was none). */
    deleteCourseUser: prepare<'course_id' | 'user_id'>(
      raw,
      k.deleteFrom('course_user').where('course_id', '=', param<number>('course_id')).where('user_id', '=', param<number>('user_id')).returning('role'),
    ),
    insertSessionUser: prepare<'session_id' | 'user_id' | 'enrolled_at'>(
      raw,
      k
        .insertInto('session_user')
        .values({ session_id: param<number>('session_id'), user_id: param<number>('user_id'), enrolled_at: param<string>('enrolled_at') })
        .onConflict((oc) => oc.doNothing()),
    ),
    deleteSessionUser: prepare<'session_id' | 'user_id'>(
      raw,
      k.deleteFrom('session_user').where('session_id', '=', param<number>('session_id')).where('user_id', '=', param<number>('user_id')),
    ),
  };
}
export type EnrollmentStatements = ReturnType<typeof enrollmentStatements>;
