import { addCourse, deleteCourse, editCourse, getCourse, listCourses, parseCourseRole } from '../../src/core/courses';
import { ConflictError, NotFoundError, ValidationError } from '../../src/shared/errors';
import { addSession, addSessionCourses, deleteSession, editSession, getSession, listSessions, removeSessionCourses } from '../../src/core/sessions';
import { addUser } from '../../src/core/users';
import { tempContext, type TestContext } from './helpers';

const NOW = new Date('2026-03-01T10:00:00.000Z');
const HASH = `$2b$04$${'a'.repeat(53)}`;

describe('courses and sessions (core)', () => {
  let ctx: TestContext;

  beforeEach(async () => {
    ctx = await tempContext(NOW.toISOString());
    for (const name of ['ada', 'bob', 'cyd']) {
      await addUser(ctx, { username: name, email: `${name}@example.org`, firstname: name, lastname: 'T', roles: ['teacher'], passwordHash: HASH });
    }
  });
  afterEach(() => ctx.cleanup());

  const enrol = (code: string, username: string, role: string) =>
    ctx.execute(
      `INSERT INTO course_user (course_id, user_id, role, enrolled_at) SELECT c.id, u.id, ?, ? FROM course c, "user" u WHERE c.code = ? AND u.username = ?`,
      role,
      NOW.toISOString(),
      code,
      username,
    );
  const audit = (action: string) =>
    ctx.rows<{ user_id: number | null; details: string }>('SELECT user_id, details FROM audit_log WHERE action = ? ORDER BY id', action);

  describe('addCourse', () => {
    it('creates a course with its owner, language and creation time, and audits it', async () => {
      const course = await addCourse(ctx, { code: ' C101 ', title: ' Algebra ', owner: 'ADA', language: 'french' });
      expect(course).toEqual({
        id: expect.any(Number),
        code: 'C101',
        title: 'Algebra',
        language: 'fr',
        owner: { id: expect.any(Number), username: 'ada' },
        createdAt: NOW.toISOString(),
        enrolled: { total: 0, teachers: 0, students: 0 },
        teachers: [],
        sessions: [],
      });
      expect(await audit('course.add')).toEqual([
        { user_id: null, details: JSON.stringify({ course: 'C101', title: 'Algebra', language: 'fr', owner: 'ada' }) },
      ]);
    });

    it('defaults to no owner and English', async () => {
      const course = await addCourse(ctx, { code: 'C1', title: 'One' });
      expect(course.owner).toBeNull();
      expect(course.language).toBe('en');
    });

    it('refuses a code taken in another case (exit 4) and writes nothing', async () => {
      await addCourse(ctx, { code: 'C101', title: 'Algebra' });
      await expect(addCourse(ctx, { code: 'c101', title: 'Other' })).rejects.toThrow(ConflictError);
      expect((await listCourses(ctx)).map((c) => c.title)).toEqual(['Algebra']);
    });

    it('reports every invalid value at once (exit 5)', async () => {
      const error = await addCourse(ctx, { code: 'bad code!', title: ' ', language: 'klingon' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).problems.map((p) => p.field)).toEqual(['code', 'title', 'language']);
      expect(await listCourses(ctx)).toEqual([]);
    });

    it('refuses a code longer than 40 characters', async () => {
      await expect(addCourse(ctx, { code: 'C'.repeat(41), title: 'Long' })).rejects.toThrow(/longer than 40/);
    });

    it('refuses an unknown owner (exit 3) and a deleted or anonymized one (exit 4)', async () => {
      await expect(addCourse(ctx, { code: 'C1', title: 'x', owner: 'nobody' })).rejects.toThrow(NotFoundError);
      await ctx.execute(`UPDATE "user" SET deleted_at = ? WHERE username = 'bob'`, NOW.toISOString());
      await ctx.execute(`UPDATE "user" SET anonymized_at = ? WHERE username = 'cyd'`, NOW.toISOString());
      await expect(addCourse(ctx, { code: 'C1', title: 'x', owner: 'bob' })).rejects.toThrow(/bob is deleted/);
      await expect(addCourse(ctx, { code: 'C1', title: 'x', owner: 'cyd' })).rejects.toThrow(ConflictError);
      await expect(addCourse(ctx, { code: 'C1', title: 'x', owner: 'fallback' })).rejects.toThrow(/system fallback account/);
      expect(await listCourses(ctx)).toEqual([]);
    });
  });

  describe('listCourses and getCourse', () => {
    beforeEach(async () => {
      await addCourse(ctx, { code: 'MATH1', title: 'Algèbre linéaire', owner: 'ada' });
      await addCourse(ctx, { code: 'PHYS1', title: 'Mechanics', owner: 'bob' });
      await addCourse(ctx, { code: 'ART', title: 'Drawing' });
      await enrol('MATH1', 'bob', 'teacher');
      await enrol('MATH1', 'cyd', 'student');
      await enrol('MATH1', 'ada', 'student');
    });

    it('lists courses by code with their enrolment counts', async () => {
      const courses = await listCourses(ctx);
      expect(courses.map((c) => [c.code, c.owner?.username ?? null, c.enrolled])).toEqual([
        ['ART', null, { total: 0, teachers: 0, students: 0 }],
        ['MATH1', 'ada', { total: 3, teachers: 1, students: 2 }],
        ['PHYS1', 'bob', { total: 0, teachers: 0, students: 0 }],
      ]);
    });

    it('filters by owner and by a search on code or title, ignoring case and accents', async () => {
      expect((await listCourses(ctx, { owner: 'bob@example.org' })).map((c) => c.code)).toEqual(['PHYS1']);
      expect((await listCourses(ctx, { search: 'ALGEBRE' })).map((c) => c.code)).toEqual(['MATH1']);
      expect((await listCourses(ctx, { search: 'phys' })).map((c) => c.code)).toEqual(['PHYS1']);
      expect(await listCourses(ctx, { search: 'zzz' })).toEqual([]);
      await expect(listCourses(ctx, { owner: 'nobody' })).rejects.toThrow(NotFoundError);
    });

    it('shows a course with its teachers and sessions, found in any case', async () => {
      await addSession(ctx, { name: 'Spring', start: '2026-03-01', end: '2026-06-30', courses: ['math1'] });
      const course = await getCourse(ctx, 'math1');
      expect(course.teachers).toEqual([{ id: expect.any(Number), username: 'bob', firstname: 'bob', lastname: 'T', enrolledAt: NOW.toISOString() }]);
      expect(course.sessions).toEqual([{ name: 'Spring', startsOn: '2026-03-01T00:00:00.000Z', endsOn: '2026-06-30T00:00:00.000Z' }]);
      await expect(getCourse(ctx, 'NOPE')).rejects.toThrow(NotFoundError);
    });
  });

  describe('editCourse', () => {
    beforeEach(async () => {
      await addCourse(ctx, { code: 'C101', title: 'Algebra', owner: 'ada' });
    });

    it('changes code, title, language and owner, and lists each change', async () => {
      const result = await editCourse(ctx, 'c101', { code: 'MATH101', title: 'Algebra I', language: 'es', owner: 'bob' });
      expect(result.changes).toEqual([
        { field: 'code', before: 'C101', after: 'MATH101' },
        { field: 'title', before: 'Algebra', after: 'Algebra I' },
        { field: 'language', before: 'en', after: 'es' },
        { field: 'owner', before: 'ada', after: 'bob' },
      ]);
      expect(result.course).toMatchObject({ code: 'MATH101', title: 'Algebra I', language: 'es', owner: { username: 'bob' } });
      await expect(getCourse(ctx, 'C101')).rejects.toThrow(NotFoundError);
      expect(await audit('course.edit')).toHaveLength(1);
    });

    it('removes the owner with null', async () => {
      const result = await editCourse(ctx, 'C101', { owner: null });
      expect(result.changes).toEqual([{ field: 'owner', before: 'ada', after: null }]);
      expect(result.course.owner).toBeNull();
    });

    it('writes nothing when nothing changes (safe to run twice)', async () => {
      const result = await editCourse(ctx, 'C101', { title: 'Algebra', owner: 'ada' });
      expect(result.changes).toEqual([]);
      expect(await audit('course.edit')).toEqual([]);
    });

    it('may change only the case of its code', async () => {
      const result = await editCourse(ctx, 'C101', { code: 'c101' });
      expect(result.course.code).toBe('c101');
    });

    it('refuses a code another course has, a bad title, an unknown course', async () => {
      await addCourse(ctx, { code: 'C102', title: 'Other' });
      await expect(editCourse(ctx, 'C101', { code: 'c102' })).rejects.toThrow(ConflictError);
      await expect(editCourse(ctx, 'C101', { title: '' })).rejects.toThrow(ValidationError);
      await expect(editCourse(ctx, 'C999', { title: 'x' })).rejects.toThrow(NotFoundError);
      expect((await getCourse(ctx, 'C101')).title).toBe('Algebra');
    });
  });

  describe('deleteCourse', () => {
    beforeEach(async () => {
      await addCourse(ctx, { code: 'C101', title: 'Algebra' });
      await addSession(ctx, { name: 'Spring', start: '2026-03-01', end: '2026-06-30', courses: ['C101'] });
    });

    it('deletes an empty course and takes it out of its sessions', async () => {
      const result = await deleteCourse(ctx, 'c101');
      expect(result).toMatchObject({ course: { code: 'C101' }, unenrolled: 0 });
      expect(await listCourses(ctx)).toEqual([]);
      expect((await getSession(ctx, 'Spring')).courses).toEqual([]);
      expect(await audit('course.delete')).toHaveLength(1);
    });

    it('refuses while users are enrolled (exit 4), unless forced; each user gets an audit row', async () => {
      await enrol('C101', 'ada', 'teacher');
      await enrol('C101', 'bob', 'student');
      await expect(deleteCourse(ctx, 'C101')).rejects.toThrow(ConflictError);
      expect(await listCourses(ctx)).toHaveLength(1);
      const result = await deleteCourse(ctx, 'C101', { force: true });
      expect(result.unenrolled).toBe(2);
      expect(await ctx.row('SELECT count(*) AS n FROM course_user')).toEqual({ n: 0 });
      const rows = (await audit('course.unenroll')).map((r) => JSON.parse(r.details) as Record<string, string>);
      expect(rows).toEqual([
        { course: 'C101', reason: 'course deleted', role: 'teacher' },
        { course: 'C101', reason: 'course deleted', role: 'student' },
      ]);
    });
  });

  describe('sessions', () => {
    beforeEach(async () => {
      await addCourse(ctx, { code: 'C101', title: 'Algebra' });
      await addCourse(ctx, { code: 'C102', title: 'Physics' });
    });

    it('adds a session with its coach and courses (each once), and audits it', async () => {
      const session = await addSession(ctx, { name: ' Spring 2026 ', start: '2026-03-01', end: '2026-06-30', coach: 'ada', courses: ['c102', 'C101', 'C102'] });
      expect(session).toEqual({
        id: expect.any(Number),
        name: 'Spring 2026',
        startsOn: '2026-03-01T00:00:00.000Z',
        endsOn: '2026-06-30T00:00:00.000Z',
        coach: { id: expect.any(Number), username: 'ada' },
        createdAt: NOW.toISOString(),
        courses: [
          { code: 'C101', title: 'Algebra' },
          { code: 'C102', title: 'Physics' },
        ],
        enrolled: { total: 0 },
      });
      expect(await audit('session.add')).toHaveLength(1);
    });

    it('refuses a duplicate name in any case, an end before the start, a bad date, an unknown course', async () => {
      await addSession(ctx, { name: 'Spring', start: '2026-03-01', end: '2026-06-30' });
      await expect(addSession(ctx, { name: 'SPRING', start: '2026-03-01', end: '2026-06-30' })).rejects.toThrow(ConflictError);
      await expect(addSession(ctx, { name: 'Fall', start: '2026-09-01', end: '2026-08-01' })).rejects.toThrow(/end: 2026-08-01 is before the start 2026-09-01/);
      await expect(addSession(ctx, { name: 'Fall', start: '2026-02-30', end: '2026-08-01' })).rejects.toThrow(ValidationError);
      await expect(addSession(ctx, { name: 'Fall', start: '2026-09-01', end: '2026-12-01', courses: ['C101', 'NOPE'] })).rejects.toThrow(NotFoundError);
      expect((await listSessions(ctx)).map((s) => s.name)).toEqual(['Spring']);
    });

    it('lists sessions by start date, filtered by name or course', async () => {
      await addSession(ctx, { name: 'Fall', start: '2026-09-01', end: '2026-12-20', courses: ['C102'] });
      await addSession(ctx, { name: 'Spring', start: '2026-03-01', end: '2026-06-30', courses: ['C101'] });
      expect((await listSessions(ctx)).map((s) => s.name)).toEqual(['Spring', 'Fall']);
      expect((await listSessions(ctx, { course: 'c102' })).map((s) => s.name)).toEqual(['Fall']);
      expect((await listSessions(ctx, { search: 'SPR' })).map((s) => s.name)).toEqual(['Spring']);
      await expect(listSessions(ctx, { course: 'NOPE' })).rejects.toThrow(NotFoundError);
    });

    it('edits name, dates and coach, checking the period against the stored dates', async () => {
      await addSession(ctx, { name: 'Spring', start: '2026-03-01', end: '2026-06-30', coach: 'ada' });
      await expect(editSession(ctx, 'spring', { end: '2026-02-01' })).rejects.toThrow(ValidationError);
      const result = await editSession(ctx, 'spring', { name: 'Spring A', end: '2026-07-15', coach: null });
      expect(result.changes).toEqual([
        { field: 'name', before: 'Spring', after: 'Spring A' },
        { field: 'ends_on', before: '2026-06-30T00:00:00.000Z', after: '2026-07-15T00:00:00.000Z' },
        { field: 'coach', before: 'ada', after: null },
      ]);
      expect((await editSession(ctx, 'Spring A', { start: '2026-03-01' })).changes).toEqual([]);
    });

    it('adds and removes courses, reporting those already in or out', async () => {
      await addSession(ctx, { name: 'Spring', start: '2026-03-01', end: '2026-06-30', courses: ['C101'] });
      const added = await addSessionCourses(ctx, 'Spring', ['C101', 'c102']);
      expect([added.changed, added.unchanged]).toEqual([['C102'], ['C101']]);
      const removed = await removeSessionCourses(ctx, 'Spring', ['C101', 'C101']);
      expect([removed.changed, removed.unchanged]).toEqual([['C101'], []]);
      const again = await removeSessionCourses(ctx, 'Spring', ['C101']);
      expect([again.changed, again.unchanged]).toEqual([[], ['C101']]);
      await expect(addSessionCourses(ctx, 'Spring', ['NOPE'])).rejects.toThrow(NotFoundError);
      expect((await getSession(ctx, 'Spring')).courses.map((c) => c.code)).toEqual(['C102']);
      expect(await audit('session.add-course')).toHaveLength(1);
      expect(await audit('session.remove-course')).toHaveLength(1);
    });

    it('deletes a session, refusing while users are enrolled unless forced; the courses stay', async () => {
      await addSession(ctx, { name: 'Spring', start: '2026-03-01', end: '2026-06-30', courses: ['C101'] });
      // Quoted: session_user is a keyword on PostgreSQL (unquoted, it is the current role).
      await ctx.execute(
        `INSERT INTO "session_user" (session_id, user_id, enrolled_at) SELECT s.id, u.id, ? FROM training_session s, "user" u WHERE u.username = 'ada'`,
        NOW.toISOString(),
      );
      await expect(deleteSession(ctx, 'Spring')).rejects.toThrow(ConflictError);
      const result = await deleteSession(ctx, 'SPRING', { force: true });
      expect(result.unenrolled).toBe(1);
      expect(await listSessions(ctx)).toEqual([]);
      expect(await listCourses(ctx)).toHaveLength(2);
      expect(await audit('session.unenroll')).toHaveLength(1);
    });
  });

  it('parses course roles', () => {
    expect(parseCourseRole(' Teacher ')).toBe('teacher');
    expect(() => parseCourseRole('coach')).toThrow(ValidationError);
  });
});

describe('what a purge hands over, for many named users (found in review)', () => {
  it("counts the sessions coached and the courses owned by 40,000 users without passing SQLite's parameter limit", async () => {
    const { tempContext } = await import('./helpers');
    const { coursesOwnedBy, sessionsCoachedBy } = await import('../../src/db/course-repository');
    const ctx = await tempContext();
    try {
      const coach = await addUser(ctx, {
        username: 'coach',
        email: 'coach@example.org',
        firstname: 'C',
        lastname: 'O',
        roles: ['teacher'],
        passwordHash: HASH,
        fields: [],
      });
      await addSession(ctx, { name: 'Autumn', start: '2026-09-01', end: '2026-12-20', coach: 'coach' });
      await addCourse(ctx, { code: 'C1', title: 'C', owner: 'coach' });
      const ids = [...Array.from({ length: 39_999 }, (_, i) => 100_000 + i), coach.user.id];
      expect(await sessionsCoachedBy(ctx.db.kysely, { ids }, 20)).toEqual({ sessions: [{ name: 'Autumn', coach: 'coach' }], total: 1 });
      expect((await coursesOwnedBy(ctx.db.kysely, { ids }, 20)).total).toBe(1);
    } finally {
      await ctx.cleanup();
    }
  });
});
