import type { Kysely, Transaction } from 'kysely';
import { insertMany } from './bulk-insert';
import { slices } from './chunks';
import type { RosterDb } from './database';
import type { Database } from './schema';

type Executor = Kysely<Database> | Transaction<Database>;

/**
 * The writes of enroll and unenroll, a chunk of users at a time: the state
 * of the chunk read by one statement, the changes written by one more.
 */

/** The role in the course of each of these users who is enrolled in it. */
export async function courseRolesOf(db: Executor, courseId: number, userIds: readonly number[]): Promise<Map<number, string>> {
  const roles = new Map<number, string>();
  for (const some of slices(userIds)) {
    const rows = await db.selectFrom('course_user').select(['user_id', 'role']).where('course_id', '=', courseId).where('user_id', 'in', some).execute();
    for (const row of rows) roles.set(row.user_id, row.role);
  }
  return roles;
}

/** Which of these users are enrolled in the session. */
export async function sessionMembersOf(db: Executor, sessionId: number, userIds: readonly number[]): Promise<Set<number>> {
  const members = new Set<number>();
  for (const some of slices(userIds)) {
    const rows = await db.selectFrom('session_user').select('user_id').where('session_id', '=', sessionId).where('user_id', 'in', some).execute();
    for (const row of rows) members.add(row.user_id);
  }
  return members;
}

export async function insertCourseUsers(
  db: RosterDb,
  trx: Executor,
  courseId: number,
  enrolments: readonly { userId: number; role: string }[],
  enrolledAt: string,
): Promise<void> {
  const rows = enrolments.map((e) => ({ course_id: courseId, user_id: e.userId, role: e.role, enrolled_at: enrolledAt }));
  await insertMany(db, trx, 'course_user', ['course_id', 'user_id', 'role', 'enrolled_at'], rows);
}

export async function setCourseRoles(db: Executor, courseId: number, userIds: readonly number[], role: string): Promise<void> {
  for (const some of slices(userIds))
    await db.updateTable('course_user').set({ role }).where('course_id', '=', courseId).where('user_id', 'in', some).execute();
}

export async function deleteCourseUsers(db: Executor, courseId: number, userIds: readonly number[]): Promise<void> {
  for (const some of slices(userIds)) await db.deleteFrom('course_user').where('course_id', '=', courseId).where('user_id', 'in', some).execute();
}

export async function insertSessionUsers(db: RosterDb, trx: Executor, sessionId: number, userIds: readonly number[], enrolledAt: string): Promise<void> {
  const rows = userIds.map((userId) => ({ session_id: sessionId, user_id: userId, enrolled_at: enrolledAt }));
  await insertMany(db, trx, 'session_user', ['session_id', 'user_id', 'enrolled_at'], rows);
}

export async function deleteSessionUsers(db: Executor, sessionId: number, userIds: readonly number[]): Promise<void> {
  for (const some of slices(userIds)) await db.deleteFrom('session_user').where('session_id', '=', sessionId).where('user_id', 'in', some).execute();
}
