import { planBatch, runBatch } from '../../src/core/batch';
import { addCourse } from '../../src/core/courses';
import { enrollAction, resolveEnrollTarget, restrictToEnrolled, unenrollAction, type EnrollTarget } from '../../src/core/enrollment';
import { NotFoundError, UsageError, ValidationError } from '../../src/shared/errors';
import { addSession } from '../../src/core/sessions';
import { addUser } from '../../src/core/users';
import { CompiledQuery } from 'kysely';
import { openDatabase } from '../../src/db/database';
import { tempContext, type TestContext } from './helpers';

const NOW = new Date('2026-03-01T10:00:00.000Z');
const HASH = `$2b$04$${'a'.repeat(53)}`;
const USERS = ['ada', 'bob', 'cyd', 'dan'];

describe('enrolment (core) on the batch mechanism', () => {
  let ctx: TestContext;

  beforeEach(async () => {
    ctx = await tempContext(NOW.toISOString());
    for (const name of USERS) {
      await addUser(ctx, { username: name, email: `${name}@example.org`, firstname: name, lastname: 'T', roles: ['student'], passwordHash: HASH });
    }
    await addCourse(ctx, { code: 'C101', title: 'Algebra' });
    await addSession(ctx, { name: 'Spring', start: '2026-03-01', end: '2026-06-30' });
  });
  afterEach(() => ctx.cleanup());

  const refs = (...names: string[]) => ({ kind: 'refs' as const, refs: names });
  const course = (role?: string) => resolveEnrollTarget(ctx, { course: 'c101', role });
  const enrolments = () => ctx.rows(`SELECT u.username, cu.role FROM course_user cu JOIN "user" u ON u.id = cu.user_id ORDER BY u.username`);
  const auditRows = async (action: string) =>
    (
      await ctx.rows<{ username: string; details: string }>(
        'SELECT u.username, a.details FROM audit_log a JOIN "user" u ON u.id = a.user_id WHERE a.action = ? ORDER BY a.id',
        action,
      )
    ).map((r) => [r.username, JSON.parse(r.details) as unknown]);
  async function enroll(target: EnrollTarget, ...names: string[]) {
    return runBatch(ctx, await planBatch(ctx, refs(...names)), enrollAction(ctx, target));
  }
  /** Another process, writing through its own connection (portable SQL, `?` placeholders). */
  async function elsewhere(sql: string, ...params: unknown[]): Promise<void> {
    const db = ctx.db;
    const other = await openDatabase(db.engine === 'sqlite' ? db.path : db.connectionUrl);
    try {
      let n = 0;
      const text = db.engine === 'postgres' ? sql.replace(/\?/g, () => `$${++n}`) : sql;
      await other.kysely.executeQuery(CompiledQuery.raw(text, params));
    } finally {
      await other.close();
    }
  }

  describe('resolveEnrollTarget', () => {
    it('needs exactly one of course and session (exit 2)', async () => {
      await expect(resolveEnrollTarget(ctx, {})).rejects.toThrow(UsageError);
      await expect(resolveEnrollTarget(ctx, { course: 'C101', session: 'Spring' })).rejects.toThrow(UsageError);
      await expect(resolveEnrollTarget(ctx, { session: 'Spring', role: 'teacher' })).rejects.toThrow(/courses only/);
    });

    it('finds the course or session in any case; unknown ones are exit 3; roles are checked', async () => {
      expect(await course('Teacher')).toEqual({ kind: 'course', id: expect.any(Number), code: 'C101', role: 'teacher' });
      expect(await resolveEnrollTarget(ctx, { session: 'SPRING' })).toEqual({ kind: 'session', id: expect.any(Number), name: 'Spring' });
      await expect(resolveEnrollTarget(ctx, { course: 'C999' })).rejects.toThrow(NotFoundError);
      await expect(resolveEnrollTarget(ctx, { session: 'Fall' })).rejects.toThrow(NotFoundError);
      await expect(course('owner')).rejects.toThrow(ValidationError);
    });
  });

  describe('enrollAction', () => {
    it('enrols students by default, one audit row each; again: unchanged, nothing written', async () => {
      const first = await enroll(await course(), 'ada', 'BOB@example.org', 'ada');
      expect(first.changed.map((u) => u.username)).toEqual(['ada', 'bob']);
      expect(await enrolments()).toEqual([
        { username: 'ada', role: 'student' },
        { username: 'bob', role: 'student' },
      ]);
      expect(await auditRows('course.enroll')).toEqual([
        ['ada', { course: 'C101', role: 'student' }],
        ['bob', { course: 'C101', role: 'student' }],
      ]);
      const second = await enroll(await course(), 'ada', 'bob');
      expect([second.changed, second.unchanged.map((u) => u.username)]).toEqual([[], ['ada', 'bob']]);
      expect(await auditRows('course.enroll')).toHaveLength(2);
    });

    it('changes the role only when one is asked for', async () => {
      await enroll(await course('teacher'), 'ada');
      expect((await enroll(await course(), 'ada')).unchanged).toHaveLength(1);
      expect(await enrolments()).toEqual([{ username: 'ada', role: 'teacher' }]);
      const result = await enroll(await course('student'), 'ada');
      expect(result.changed).toHaveLength(1);
      expect(await enrolments()).toEqual([{ username: 'ada', role: 'student' }]);
      expect((await auditRows('course.enroll'))[1]).toEqual([
        'ada',
        { course: 'C101', role: 'student', changes: [{ field: 'role', before: 'teacher', after: 'student' }] },
      ]);
    });

    it('refuses deleted, anonymized and system accounts (exit 4) and does the others', async () => {
      await ctx.execute(`UPDATE "user" SET deleted_at = ? WHERE username = 'bob'`, NOW.toISOString());
      await ctx.execute(`UPDATE "user" SET anonymized_at = ? WHERE username = 'cyd'`, NOW.toISOString());
      const result = await enroll(await course(), 'ada', 'bob', 'cyd', 'fallback', 'nobody');
      expect(result.changed.map((u) => u.username)).toEqual(['ada']);
      // In the order given, although nobody failed first (when the names were resolved).
      expect(result.failed).toEqual([
        { ref: 'bob', message: 'bob is deleted; restore it first (roster restore bob)', exitCode: 4 },
        { ref: 'cyd', message: 'cyd is anonymized; it cannot be enrolled', exitCode: 4 },
        { ref: 'fallback', message: 'fallback is the system fallback account; it cannot be enrolled', exitCode: 4 },
        { ref: 'nobody', message: 'no such user', exitCode: 3 },
      ]);
      expect(await enrolments()).toEqual([{ username: 'ada', role: 'student' }]);
    });

    it('enrols in a session', async () => {
      const target = await resolveEnrollTarget(ctx, { session: 'spring' });
      expect((await enroll(target, 'ada', 'bob')).changed).toHaveLength(2);
      expect((await enroll(target, 'ada')).unchanged).toHaveLength(1);
      expect(await auditRows('session.enroll')).toEqual([
        ['ada', { session: 'Spring' }],
        ['bob', { session: 'Spring' }],
      ]);
    });
  });

  describe('unenrollAction', () => {
    it('removes course enrolments, deleted users included; not enrolled: unchanged', async () => {
      await enroll(await course('teacher'), 'ada', 'bob');
      await ctx.execute(`UPDATE "user" SET deleted_at = ? WHERE username = 'bob'`, NOW.toISOString());
      const result = await runBatch(ctx, await planBatch(ctx, refs('ada', 'bob', 'cyd')), unenrollAction(await course()));
      expect(result.changed.map((u) => u.username)).toEqual(['ada', 'bob']);
      expect(result.unchanged.map((u) => u.username)).toEqual(['cyd']);
      expect(await enrolments()).toEqual([]);
      expect(await auditRows('course.unenroll')).toEqual([
        ['ada', { course: 'C101', role: 'teacher' }],
        ['bob', { course: 'C101', role: 'teacher' }],
      ]);
    });

    it('narrows a filter selection to the users enrolled in the target, never widens an empty one', async () => {
      const target = await course();
      await enroll(target, 'ada', 'bob');
      const narrowed = restrictToEnrolled({ kind: 'filter', filter: { roles: ['student'] } }, target);
      expect(narrowed).toEqual({ kind: 'filter', filter: { roles: ['student'], course: 'C101' } });
      expect((await planBatch(ctx, narrowed)).count).toBe(2);
      const session = await resolveEnrollTarget(ctx, { session: 'spring' });
      expect(restrictToEnrolled({ kind: 'filter', filter: { active: true } }, session)).toEqual({
        kind: 'filter',
        filter: { active: true, session: 'Spring' },
      });
      expect(restrictToEnrolled({ kind: 'filter', filter: {} }, target)).toEqual({ kind: 'filter', filter: {} });
      expect(restrictToEnrolled(refs('cyd'), target)).toEqual(refs('cyd'));
    });

    it('removes session enrolments', async () => {
      const target = await resolveEnrollTarget(ctx, { session: 'Spring' });
      await enroll(target, 'ada');
      const result = await runBatch(ctx, await planBatch(ctx, refs('ada', 'bob')), unenrollAction(target));
      expect([result.changed.length, result.unchanged.length]).toEqual([1, 1]);
      // Quoted: session_user is a keyword on PostgreSQL (unquoted, it is the current role).
      expect(await ctx.row('SELECT count(*) AS n FROM "session_user"')).toEqual({ n: 0 });
    });
  });

  describe('the batch around it', () => {
    it('--dry-run reports what would change and writes nothing, audit included', async () => {
      const result = await runBatch(ctx, await planBatch(ctx, refs('ada', 'bob')), enrollAction(ctx, await course()), { dryRun: true });
      expect(result).toMatchObject({ dryRun: true, rolledBack: false });
      expect(result.changed).toHaveLength(2);
      expect(await enrolments()).toEqual([]);
      expect(await auditRows('course.enroll')).toEqual([]);
    });

    it('--atomic undoes everything when one user is refused', async () => {
      await ctx.execute(`UPDATE "user" SET deleted_at = ? WHERE username = 'cyd'`, NOW.toISOString());
      const result = await runBatch(ctx, await planBatch(ctx, refs('ada', 'bob', 'cyd', 'dan')), enrollAction(ctx, await course()), {
        atomic: true,
        chunkSize: 2,
      });
      expect(result).toMatchObject({ rolledBack: true, changed: [], unchanged: [] });
      expect(result.failed.map((f) => f.ref)).toEqual(['cyd']);
      expect(await enrolments()).toEqual([]);
      expect(await auditRows('course.enroll')).toEqual([]);
    });

    it('sees what another process changed between the plan and the run', async () => {
      const plan = await planBatch(ctx, refs('ada', 'bob', 'cyd'));
      await elsewhere(`UPDATE "user" SET deleted_at = ? WHERE username = 'bob'`, NOW.toISOString());
      await elsewhere(`DELETE FROM "user" WHERE username = 'cyd'`);
      const result = await runBatch(ctx, plan, enrollAction(ctx, await course()));
      expect(result.changed.map((u) => u.username)).toEqual(['ada']);
      expect(result.failed).toEqual([
        { ref: 'bob', message: 'bob is deleted; restore it first (roster restore bob)', exitCode: 4 },
        { ref: 'cyd', message: 'no such user (removed meanwhile)', exitCode: 3 },
      ]);
    });

    it('acts on the users a filter selected when planned that still match, in chunks', async () => {
      const plan = await planBatch(ctx, { kind: 'filter', filter: { registeredSince: '2026-01-01T00:00:00.000Z', active: true } });
      expect(plan.count).toBe(4);
      // bob stops matching; a new matching user appears after the plan and is not acted on.
      await elsewhere(`UPDATE "user" SET active = 0 WHERE username = 'bob'`);
      await addUser(ctx, { username: 'eve', email: 'eve@example.org', firstname: 'Eve', lastname: 'T', roles: ['student'], passwordHash: HASH });
      const result = await runBatch(ctx, plan, enrollAction(ctx, await course()), { chunkSize: 2 });
      expect(result.changed.map((u) => u.username)).toEqual(['ada', 'cyd', 'dan']);
      expect(await enrolments()).toHaveLength(3);
    });

    it('refuses a filter without criteria: never everybody by accident', async () => {
      await expect(planBatch(ctx, { kind: 'filter', filter: {} })).rejects.toThrow(UsageError);
      await expect(planBatch(ctx, { kind: 'filter', filter: { system: true } })).rejects.toThrow(UsageError);
      await expect(planBatch(ctx, refs())).rejects.toThrow(UsageError);
    });

    it('checks the courses and sessions a filter names (exit 3)', async () => {
      await expect(planBatch(ctx, { kind: 'filter', filter: { course: 'NOPE' } })).rejects.toThrow(NotFoundError);
      await enroll(await course(), 'ada', 'bob');
      const plan = await planBatch(ctx, { kind: 'filter', filter: { course: 'c101' } });
      expect(plan.count).toBe(2);
    });
  });
});
