import { sql, type Insertable, type Kysely, type Transaction, type Updateable } from 'kysely';
import { foldedKey, recordKey, recordKeyPrefix } from '../shared/folding';
import type { UserFilter } from '../shared/user-filter';
import { selectUserIds } from './user-query';
import { concat, startsWith } from './sql-functions';
import { slices } from './chunks';
import type { CourseRow, CourseTable, Database, TrainingSessionRow, TrainingSessionTable } from './schema';

type Executor = Kysely<Database> | Transaction<Database>;

/** Course codes and session names are unique whatever their case: this is the stored key. */
export async function findCourse(db: Executor, code: string): Promise<CourseRow | undefined> {
  return db.selectFrom('course').selectAll().where('code_key', '=', recordKey(code)).executeTakeFirst();
}

export async function findSession(db: Executor, name: string): Promise<TrainingSessionRow | undefined> {
  return db.selectFrom('training_session').selectAll().where('name_key', '=', recordKey(name)).executeTakeFirst();
}

/**
 * The codes of the courses whose code begins with `prefix`, whatever its case,
 * in order, at most `limit` (for shell completion).
 */
export async function courseCodesStartingWith(db: Executor, prefix: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('course')
    .select('code')
    .where(startsWith(sql.ref('code_key'), recordKeyPrefix(prefix)))
    .orderBy('code_key')
    .limit(limit)
    .execute();
  return rows.map((row) => row.code);
}

/** The names of the sessions whose name begins with `prefix`, whatever its case, in order, at most `limit`. */
export async function sessionNamesStartingWith(db: Executor, prefix: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('training_session')
    .select('name')
    .where(startsWith(sql.ref('name_key'), recordKeyPrefix(prefix)))
    .orderBy('name_key')
    .limit(limit)
    .execute();
  return rows.map((row) => row.name);
}

/** A course row with its owner's username and how many users it has in each role. */
export interface CourseListRow extends CourseRow {
  owner_username: string | null;
  teachers: number;
  students: number;
}

export interface CourseQuery {
  ownerId?: number;
  search?: string;
  ids?: number[];
}

export async function selectCourses(db: Executor, query: CourseQuery = {}): Promise<CourseListRow[]> {
  const countRole = (role: string) => sql<number>`(select count(*) from course_user where course_user.course_id = course.id and course_user.role = ${role})`;
  let q = db
    .selectFrom('course')
    .leftJoin('user as owner', 'owner.id', 'course.owner_id')
    .selectAll('course')
    .select('owner.username as owner_username')
    .select([countRole('teacher').as('teachers'), countRole('student').as('students')])
    .orderBy('course.code_key');
  if (query.ownerId !== undefined) q = q.where('course.owner_id', '=', query.ownerId);
  if (query.ids) q = q.where('course.id', 'in', query.ids.length ? query.ids : [-1]);
  const rows = await q.execute();
  return query.search ? rows.filter(foldedMatch(query.search, (row) => [row.code, row.title])) : rows;
}

/**
 * A search among courses or sessions, compared with roster's one folding
 * (src/shared/folding.ts) in code rather than SQL, so that both engines
 * find the same records: there are thousands of them, not millions.
 */
function foldedMatch<R>(term: string, texts: (row: R) => string[]): (row: R) => boolean {
  const folded = foldedKey(term);
  return (row) => texts(row).some((text) => foldedKey(text).includes(folded));
}

export async function courseTeachers(db: Executor, courseId: number) {
  return db
    .selectFrom('course_user')
    .innerJoin('user', 'user.id', 'course_user.user_id')
    .select(['user.id', 'user.username', 'user.firstname', 'user.lastname', 'course_user.enrolled_at'])
    .where('course_user.course_id', '=', courseId)
    .where('course_user.role', '=', 'teacher')
    .orderBy('user.username_key')
    .execute();
}

export async function courseSessions(db: Executor, courseId: number) {
  return db
    .selectFrom('session_course')
    .innerJoin('training_session', 'training_session.id', 'session_course.session_id')
    .select(['training_session.name', 'training_session.starts_on', 'training_session.ends_on'])
    .where('session_course.course_id', '=', courseId)
    .orderBy('training_session.starts_on')
    .orderBy('training_session.name_key')
    .execute();
}

export async function countCourseUsers(db: Executor, courseId: number): Promise<number> {
  const row = await db
    .selectFrom('course_user')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('course_id', '=', courseId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function countSessionUsers(db: Executor, sessionId: number): Promise<number> {
  const row = await db
    .selectFrom('session_user')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('session_id', '=', sessionId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A session row with its coach's username and how many users it has. */
export interface SessionListRow extends TrainingSessionRow {
  coach_username: string | null;
  users: number;
}

export interface SessionQuery {
  search?: string;
  courseId?: number;
  ids?: number[];
}

export async function selectSessions(db: Executor, query: SessionQuery = {}): Promise<SessionListRow[]> {
  let q = db
    .selectFrom('training_session')
    .leftJoin('user as coach', 'coach.id', 'training_session.coach_id')
    .selectAll('training_session')
    .select('coach.username as coach_username')
    // session_user is a keyword on PostgreSQL: the table's name must be quoted (sql.table).
    .select(
      sql<number>`(select count(*) from ${sql.table('session_user')} where ${sql.ref('session_user.session_id')} = ${sql.ref('training_session.id')})`.as(
        'users',
      ),
    )
    .orderBy('training_session.starts_on')
    .orderBy('training_session.name_key');
  if (query.ids) q = q.where('training_session.id', 'in', query.ids.length ? query.ids : [-1]);
  if (query.courseId !== undefined) {
    const courseId = query.courseId;
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('session_course')
          .select('session_course.session_id')
          .whereRef('session_course.session_id', '=', 'training_session.id')
          .where('session_course.course_id', '=', courseId),
      ),
    );
  }
  const rows = await q.execute();
  return query.search ? rows.filter(foldedMatch(query.search, (row) => [row.name])) : rows;
}

/** The courses of these sessions, by session id, in code order. */
export async function coursesOfSessions(db: Executor, sessionIds: number[]): Promise<Map<number, { code: string; title: string }[]>> {
  const bySession = new Map<number, { code: string; title: string }[]>();
  if (!sessionIds.length) return bySession;
  const rows = await db
    .selectFrom('session_course')
    .innerJoin('course', 'course.id', 'session_course.course_id')
    .select(['session_course.session_id', 'course.code', 'course.title'])
    .where('session_course.session_id', 'in', sessionIds)
    .orderBy('course.code_key')
    .execute();
  for (const row of rows) {
    const list = bySession.get(row.session_id) ?? [];
    list.push({ code: row.code, title: row.title });
    bySession.set(row.session_id, list);
  }
  return bySession;
}

/**
 * One audit row per enrolled user when a course or session goes away with its
 * enrolments (--force), written by a single INSERT … SELECT.
 */
/** A JSON object's text, opened for one more string member, "role", whose value follows. */
function withRoleToCome(details: string): string {
  const members = details.trim().slice(1, -1).trim();
  return `{${members ? `${members},` : ''}"role":"`;
}

export async function auditCourseUnenrolments(
  db: Executor,
  courseId: number,
  entry: { at: string; actor: string; action: string; details: string },
): Promise<number> {
  const result = await db
    .insertInto('audit_log')
    .columns(['at', 'actor', 'action', 'user_id', 'details'])
    .expression((eb) =>
      eb
        .selectFrom('course_user')
        .select([
          sql.val(entry.at).as('at'),
          sql.val(entry.actor).as('actor'),
          sql.val(entry.action).as('action'),
          'course_user.user_id',
          // The entry's details with the enrolment's role added ({…, "role": "teacher"}): written the same on both engines.
          concat(sql.val(withRoleToCome(entry.details)), sql.ref('course_user.role'), sql.val('"}')).as('details'),
        ])
        .where('course_user.course_id', '=', courseId)
        .orderBy('course_user.user_id'),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}

export async function auditSessionUnenrolments(
  db: Executor,
  sessionId: number,
  entry: { at: string; actor: string; action: string; details: string },
): Promise<number> {
  const result = await db
    .insertInto('audit_log')
    .columns(['at', 'actor', 'action', 'user_id', 'details'])
    .expression((eb) =>
      eb
        .selectFrom('session_user')
        .select([
          sql.val(entry.at).as('at'),
          sql.val(entry.actor).as('actor'),
          sql.val(entry.action).as('action'),
          'session_user.user_id',
          sql.val(entry.details).as('details'),
        ])
        .where('session_user.session_id', '=', sessionId)
        .orderBy('session_user.user_id'),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}

/** The courses and sessions a user is enrolled in, and the courses they own. */
export async function enrolmentsOf(db: Executor, userId: number) {
  const [courses, sessions, ownedCourses] = await Promise.all([
    db
      .selectFrom('course_user')
      .innerJoin('course', 'course.id', 'course_user.course_id')
      .select(['course.code', 'course.title', 'course_user.role', 'course_user.enrolled_at as enrolledAt'])
      .where('course_user.user_id', '=', userId)
      .orderBy('course.code')
      .execute(),
    db
      .selectFrom('session_user')
      .innerJoin('training_session', 'training_session.id', 'session_user.session_id')
      .select([
        'training_session.name',
        'training_session.starts_on as startsOn',
        'training_session.ends_on as endsOn',
        'session_user.enrolled_at as enrolledAt',
      ])
      .where('session_user.user_id', '=', userId)
      .orderBy('training_session.starts_on')
      .execute(),
    db.selectFrom('course').select(['code', 'title']).where('owner_id', '=', userId).orderBy('code').execute(),
  ]);
  return { courses, sessions, ownedCourses };
}

/** Some users: named by id, or selected by a filter. */
export type UserSet = { ids: readonly number[] } | { filter: UserFilter };

export interface OwnedCourse {
  id: number;
  code: string;
  title: string;
  owner: string;
}

/** The ids of the courses each of these users owns, in id order (owners of none are left out). */
export async function ownedCourseIds(db: Executor, ownerIds: readonly number[]): Promise<Map<number, number[]>> {
  const owned = new Map<number, number[]>();
  for (const some of slices(ownerIds)) {
    const rows = await db.selectFrom('course').select(['id', 'owner_id']).where('owner_id', 'in', some).orderBy('id').execute();
    for (const row of rows) {
      const list = owned.get(row.owner_id!) ?? [];
      list.push(row.id);
      owned.set(row.owner_id!, list);
    }
  }
  return owned;
}

/** The courses these users own (the first `limit`, by owner and code) and how many in all. */
export async function coursesOwnedBy(db: Executor, owners: UserSet, limit: number): Promise<{ courses: OwnedCourse[]; total: number }> {
  const base = db.selectFrom('course').innerJoin('user', 'user.id', 'course.owner_id');
  const courses: OwnedCourse[] = [];
  let total = 0;
  const collect = async (scoped: (q: typeof base) => typeof base) => {
    const { n } = await scoped(base)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    total += Number(n);
    if (courses.length >= limit || !Number(n)) return;
    const rows = await scoped(base)
      .select(['course.id', 'course.code', 'course.title', 'user.username as owner'])
      .orderBy('user.username_key')
      .orderBy('course.code_key')
      .limit(limit - courses.length)
      .execute();
    courses.push(...rows);
  };
  if ('ids' in owners) {
    for (const some of slices(owners.ids)) await collect((q) => q.where('course.owner_id', 'in', some));
  } else {
    await collect((q) => q.where('course.owner_id', 'in', selectUserIds(db, owners.filter)));
  }
  return { courses, total };
}

/** The sessions these users coach (the first `limit`, by name) and how many in all. */
export async function sessionsCoachedBy(
  db: Executor,
  coaches: UserSet,
  limit: number,
): Promise<{ sessions: { name: string; coach: string }[]; total: number }> {
  const base = db.selectFrom('training_session').innerJoin('user', 'user.id', 'training_session.coach_id');
  const sessions: { name: string; coach: string }[] = [];
  let total = 0;
  const collect = async (scoped: (q: typeof base) => typeof base) => {
    const { n } = await scoped(base)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    total += Number(n);
    if (sessions.length >= limit || !Number(n)) return;
    sessions.push(
      ...(await scoped(base)
        .select(['training_session.name', 'user.username as coach'])
        .orderBy('training_session.name_key')
        .limit(limit - sessions.length)
        .execute()),
    );
  };
  if ('ids' in coaches) {
    for (const some of slices(coaches.ids)) await collect((q) => q.where('training_session.coach_id', 'in', some));
  } else {
    await collect((q) => q.where('training_session.coach_id', 'in', selectUserIds(db, coaches.filter)));
  }
  return { sessions, total };
}

export async function insertCourse(db: Executor, course: Insertable<CourseTable>): Promise<number> {
  return (await db.insertInto('course').values(course).returning('id').executeTakeFirstOrThrow()).id;
}

export async function updateCourse(db: Executor, courseId: number, update: Updateable<CourseTable>): Promise<void> {
  await db.updateTable('course').set(update).where('id', '=', courseId).execute();
}

/** Removes a course with its enrolments and its place in sessions. */
export async function deleteCourseRecord(db: Executor, courseId: number): Promise<void> {
  await db.deleteFrom('course_user').where('course_id', '=', courseId).execute();
  await db.deleteFrom('session_course').where('course_id', '=', courseId).execute();
  await db.deleteFrom('course').where('id', '=', courseId).execute();
}

/** Stores a session with its courses; returns its id. */
export async function insertSession(db: Executor, session: Insertable<TrainingSessionTable>, courseIds: readonly number[]): Promise<number> {
  const sessionId = (await db.insertInto('training_session').values(session).returning('id').executeTakeFirstOrThrow()).id;
  await addSessionCourses(db, sessionId, courseIds);
  return sessionId;
}

export async function updateSession(db: Executor, sessionId: number, update: Updateable<TrainingSessionTable>): Promise<void> {
  await db.updateTable('training_session').set(update).where('id', '=', sessionId).execute();
}

/** Removes a session with its enrolments and its course list (the courses stay). */
export async function deleteSessionRecord(db: Executor, sessionId: number): Promise<void> {
  await db.deleteFrom('session_user').where('session_id', '=', sessionId).execute();
  await db.deleteFrom('session_course').where('session_id', '=', sessionId).execute();
  await db.deleteFrom('training_session').where('id', '=', sessionId).execute();
}

export async function sessionCourseIds(db: Executor, sessionId: number): Promise<Set<number>> {
  return new Set((await db.selectFrom('session_course').select('course_id').where('session_id', '=', sessionId).execute()).map((r) => r.course_id));
}

export async function addSessionCourses(db: Executor, sessionId: number, courseIds: readonly number[]): Promise<void> {
  if (courseIds.length)
    await db
      .insertInto('session_course')
      .values(courseIds.map((courseId) => ({ session_id: sessionId, course_id: courseId })))
      .execute();
}

export async function removeSessionCourses(db: Executor, sessionId: number, courseIds: readonly number[]): Promise<void> {
  if (courseIds.length) await db.deleteFrom('session_course').where('session_id', '=', sessionId).where('course_id', 'in', courseIds).execute();
}
