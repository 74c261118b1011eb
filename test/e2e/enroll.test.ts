import { Sandbox } from './helpers';

interface BatchJson {
  changed: number;
  unchanged: number;
  failed: { ref: string; message: string }[];
  dryRun: boolean;
  rolledBack: boolean;
  users: { id: number; username: string }[];
}

describe('roster enroll / unenroll and the batch selection', () => {
  const sandbox = new Sandbox();
  const run = (args: string[], input?: string) => sandbox.run(args, { input });
  const batch = (args: string[], input?: string) => {
    const result = sandbox.run([...args, '--json'], { input });
    return { code: result.code, stderr: result.stderr, body: JSON.parse(result.stdout) as BatchJson };
  };
  const write = (sql: string, ...params: unknown[]) => {
    sandbox.execute(sql, ...params);
  };
  const enrolled = (code: string) =>
    sandbox
      .query<{ username: string; role: string }>(
        'SELECT u.username, cu.role FROM course_user cu JOIN "user" u ON u.id = cu.user_id JOIN course c ON c.id = cu.course_id WHERE c.code = ? ORDER BY u.username',
        code,
      )
      .map((r) => `${r.username}:${r.role}`);
  const inSession = (name: string) =>
    sandbox
      .query<{ username: string }>(
        'SELECT u.username FROM "session_user" su JOIN "user" u ON u.id = su.user_id JOIN training_session s ON s.id = su.session_id WHERE s.name = ? ORDER BY u.username',
        name,
      )
      .map((r) => r.username);
  const auditCount = (action: string) => sandbox.query<{ n: number }>('SELECT count(*) AS n FROM audit_log WHERE action = ?', action)[0]!.n;
  const ids: Record<string, number> = {};

  beforeAll(() => {
    sandbox.run(['field', 'add', 'cohort', '--type', 'number']);
    for (const [name, roles, cohort] of [
      ['ada', ['teacher'], '2025'],
      ['bob', ['student'], '2026'],
      ['cyd', ['student'], '2026'],
      ['dan', ['student'], '2026'],
      ['eve', ['student'], '2025'],
      ['fay', ['student'], '2026'],
      ['gus', ['student'], '2024'],
    ] as const) {
      ids[name] = sandbox.addUser(name, ['--field', `cohort=${cohort}`], [...roles]);
    }
    write(`UPDATE "user" SET deleted_at = '2026-01-01T00:00:00.000Z' WHERE username = 'gus'`);
    for (const code of ['C101', 'C102', 'C103', 'C104', 'C105']) run(['course', 'add', code, '--title', `Course ${code}`]);
    run(['session', 'add', 'Spring 2026', '--start', '2026-03-01', '--end', '2026-06-30', '--course', 'C101']);
  });
  afterAll(() => sandbox.cleanup());

  describe('one user', () => {
    it('enrols without confirmation; the JSON has changed, unchanged, failed and the users', () => {
      const { code, body } = batch(['enroll', 'ada', '--course', 'c101', '--as', 'teacher']);
      expect(code).toBe(0);
      expect(body).toMatchObject({ changed: 1, unchanged: 0, failed: [], dryRun: false, rolledBack: false });
      expect(body.users).toEqual([expect.objectContaining({ id: ids.ada, username: 'ada', roles: ['teacher'] })]);
      expect(enrolled('C101')).toEqual(['ada:teacher']);
    });

    it('enrolling twice is not an error: unchanged, exit 0, no new audit row', () => {
      const before = auditCount('course.enroll');
      const text = run(['enroll', 'ada', '--course', 'C101', '--as', 'teacher']);
      expect(text).toMatchObject({ code: 0, stderr: '' });
      expect(text.stdout).toBe('enrolled 0 user(s) in course C101 as teacher\nunchanged 1 user(s) (already so): ada\n');
      expect(auditCount('course.enroll')).toBe(before);
    });

    it('--as changes the role of someone enrolled; without --as the role stays', () => {
      expect(run(['enroll', 'ada', '--course', 'C101']).stdout).toContain('unchanged 1 user(s)');
      expect(enrolled('C101')).toEqual(['ada:teacher']);
      expect(batch(['enroll', 'ada', '--course', 'C101', '--as', 'student']).body.changed).toBe(1);
      expect(enrolled('C101')).toEqual(['ada:student']);
      run(['enroll', 'ada', '--course', 'C101', '--as', 'teacher']);
    });

    it('refuses a deleted user (exit 4) and an anonymized one (exit 4)', () => {
      const deleted = run(['enroll', 'gus', '--course', 'C102']);
      expect(deleted.code).toBe(4);
      expect(deleted.stderr).toContain('roster: error: gus: gus is deleted; restore it first (roster restore gus)');
      write(`UPDATE "user" SET anonymized_at = '2026-01-02T00:00:00.000Z' WHERE username = 'eve'`);
      try {
        const anonymized = run(['enroll', 'eve', '--course', 'C102']);
        expect(anonymized.code).toBe(4);
        expect(anonymized.stderr).toContain('eve is anonymized; it cannot be enrolled');
      } finally {
        write(`UPDATE "user" SET anonymized_at = NULL WHERE username = 'eve'`);
      }
      expect(enrolled('C102')).toEqual([]);
    });

    it('an unknown user is exit 3, an unknown course or session exit 3', () => {
      expect(run(['enroll', 'nobody', '--course', 'C101']).code).toBe(3);
      const course = run(['enroll', 'bob', '--course', 'NOPE']);
      expect(course.code).toBe(3);
      expect(course.stderr).toContain('no course "NOPE"');
      const session = run(['enroll', 'bob', '--session', 'Winter']);
      expect(session.code).toBe(3);
      expect(session.stderr).toContain('no session "Winter"');
    });

    it('usage errors (exit 2): no target, both targets, --as with a session, a bad --as, no users', () => {
      expect(run(['enroll', 'bob']).stderr).toContain('give the course (--course <code>) or the session (--session <name>)');
      expect(run(['enroll', 'bob']).code).toBe(2);
      expect(run(['enroll', 'bob', '--course', 'C101', '--session', 'Spring 2026']).code).toBe(2);
      expect(run(['enroll', 'bob', '--session', 'Spring 2026', '--as', 'teacher']).code).toBe(2);
      expect(run(['enroll', 'bob', '--course', 'C101', '--as', 'owner']).code).toBe(2);
      const nobody = run(['enroll', '--course', 'C101', '--yes']);
      expect(nobody.code).toBe(2);
      expect(nobody.stderr).toContain('no users given');
      expect(run(['enroll', 'bob', '--course', 'C101', '--role', 'student']).code).toBe(2);
      expect(run(['unenroll', 'bob', '--course', 'C101', '--as', 'student']).code).toBe(2);
      expect(enrolled('C101')).toEqual(['ada:teacher']);
    });
  });

  describe('several users', () => {
    it('without a terminal and without --yes: exit 7 and nothing changed', () => {
      const result = run(['enroll', 'bob', 'cyd', '--course', 'C102']);
      expect(result.code).toBe(7);
      expect(result.stderr).toContain('Enroll 2 users in course C102: confirmation needed, but stdin is not a terminal');
      expect(enrolled('C102')).toEqual([]);
      expect(run(['enroll', '--course', 'C102', '--field', 'cohort=2026']).code).toBe(7);
      expect(enrolled('C102')).toEqual([]);
    });

    it('--dry-run says what would change and changes nothing (no confirmation needed)', () => {
      const text = run(['enroll', 'bob', 'cyd', '--course', 'C102', '--dry-run']);
      expect(text).toMatchObject({ code: 0, stdout: 'dry run: would enroll 2 user(s) in course C102: bob, cyd; nothing was changed\n' });
      const { body } = batch(['enroll', '--course', 'C102', '--field', 'cohort=2026', '--dry-run']);
      expect(body).toMatchObject({ changed: 4, dryRun: true });
      expect(body.users.map((u) => u.username)).toEqual(['bob', 'cyd', 'dan', 'fay']);
      expect(enrolled('C102')).toEqual([]);
      expect(sandbox.query(`SELECT * FROM audit_log WHERE action = 'course.enroll' AND details LIKE '%C102%'`)).toEqual([]);
    });

    it('references from stdin, one a line, with comments, blanks, bare ids and a bad one: the good ones done, exit 6', () => {
      const input = `# the new cohort\nbob\n\n  cyd@example.org  \n${ids.dan}   # by id\nnobody\nbob\n`;
      const result = run(['enroll', '-', '--course', 'C102', '--yes'], input);
      expect(result.code).toBe(6);
      expect(result.stdout).toBe('enrolled 3 user(s) in course C102: bob, cyd, dan\n');
      expect(result.stderr).toBe('roster: error: nobody: no such user\n');
      expect(enrolled('C102')).toEqual(['bob:student', 'cyd:student', 'dan:student']);
    });

    it('the same again: all unchanged except the bad one; JSON lists each failure', () => {
      const { code, body } = batch(['enroll', '-', 'fay', '--course', 'C102', '--yes'], 'bob\ncyd\nnobody\ngus\n');
      expect(code).toBe(6);
      expect(body).toMatchObject({
        changed: 1,
        unchanged: 2,
        failed: [
          { ref: 'nobody', message: 'no such user' },
          { ref: 'gus', message: 'gus is deleted; restore it first (roster restore gus)' },
        ],
      });
      expect(body.users.map((u) => u.username)).toEqual(['fay']);
    });

    it('one audit row per user changed', () => {
      const rows = sandbox.query<{ user_id: number; details: string }>(
        `SELECT user_id, details FROM audit_log WHERE action = 'course.enroll' AND details LIKE '%"C102"%' ORDER BY id`,
      );
      expect(rows.map((r) => r.user_id)).toEqual([ids.bob, ids.cyd, ids.dan, ids.fay]);
      expect(JSON.parse(rows[0]!.details)).toEqual({ course: 'C102', role: 'student' });
    });

    it('--atomic: one bad reference and nothing is done', () => {
      const result = run(['enroll', 'bob', 'cyd', 'nobody', '--course', 'C103', '--atomic', '--yes']);
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('--atomic: 1 user(s) failed, so nothing was changed');
      expect(result.stderr).toContain('nobody: no such user');
      expect(enrolled('C103')).toEqual([]);
    });

    it('--atomic: a refused user rolls back the ones already done', () => {
      const { code, body } = batch(['enroll', 'bob', 'cyd', 'gus', 'dan', '--course', 'C103', '--atomic', '--yes']);
      expect(code).toBe(4);
      expect(body).toMatchObject({ changed: 0, unchanged: 0, rolledBack: true, failed: [{ ref: 'gus' }], users: [] });
      expect(enrolled('C103')).toEqual([]);
      expect(sandbox.query(`SELECT * FROM audit_log WHERE action = 'course.enroll' AND details LIKE '%C103%'`)).toEqual([]);
    });

    it('selects with the filters of list: --role, --field, --active… and the selection is checked', () => {
      const { code, body } = batch(['enroll', '--course', 'C104', '--field', 'cohort=2026', '--role', 'student', '--yes']);
      expect(code).toBe(0);
      expect(body.changed).toBe(4);
      expect(enrolled('C104')).toEqual(['bob:student', 'cyd:student', 'dan:student', 'fay:student']);
      // Deleted users stay out of a filter selection unless asked for.
      expect(batch(['enroll', '--course', 'C104', '--role', 'teacher', '--as', 'teacher', '--yes']).body.changed).toBe(1);
      expect(enrolled('C104')).toContain('ada:teacher');
      expect(run(['enroll', '--course', 'C104', '--field', 'nosuchfield=1', '--yes']).code).toBe(3);
      expect(run(['enroll', '--course', 'C104', '--field', 'cohort=soon', '--yes']).code).toBe(5);
    });

    it('references and filters together are a usage error (exit 2)', () => {
      const result = run(['enroll', 'bob', '--course', 'C105', '--field', 'cohort=2026', '--yes']);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('give users or selection filters, not both');
    });

    it('pipes from roster list --format ids', () => {
      const listed = run(['list', '--field', 'cohort=2025', '--format', 'ids']);
      expect(listed.stdout.trim().split('\n')).toHaveLength(2);
      expect(run(['enroll', '-', '--course', 'C105', '--yes'], listed.stdout).code).toBe(0);
      expect(enrolled('C105')).toEqual(['ada:student', 'eve:student']);
    });
  });

  describe('sessions', () => {
    it('enrols in and unenrols from a session', () => {
      expect(run(['enroll', 'bob', 'cyd', '--session', 'spring 2026', '--yes']).stdout).toBe('enrolled 2 user(s) in session "Spring 2026": bob, cyd\n');
      expect(run(['enroll', 'bob', '--session', 'Spring 2026']).stdout).toContain('unchanged 1 user(s)');
      expect(inSession('Spring 2026')).toEqual(['bob', 'cyd']);
      expect(run(['unenroll', 'cyd', '--session', 'Spring 2026']).stdout).toBe('unenrolled 1 user(s) from session "Spring 2026": cyd\n');
      expect(inSession('Spring 2026')).toEqual(['bob']);
      expect(auditCount('session.enroll')).toBe(2);
      expect(auditCount('session.unenroll')).toBe(1);
    });
  });

  describe('unenroll', () => {
    it('removes users from a course; those not enrolled are unchanged; deleted users can be removed', () => {
      write(
        `INSERT INTO course_user (course_id, user_id, role, enrolled_at) SELECT id, ${ids.gus}, 'student', '2025-01-01T00:00:00.000Z' FROM course WHERE code = 'C105'`,
      );
      const { code, body } = batch(['unenroll', 'eve', 'gus', 'bob', '--course', 'c105', '--yes']);
      expect(code).toBe(0);
      expect(body).toMatchObject({ changed: 2, unchanged: 1, failed: [] });
      expect(enrolled('C105')).toEqual(['ada:student']);
      expect(auditCount('course.unenroll')).toBe(2);
    });

    it('by filter, only among the users enrolled there', () => {
      const { body } = batch(['unenroll', '--course', 'C104', '--role', 'student', '--dry-run']);
      expect(body).toMatchObject({ changed: 4, unchanged: 0, dryRun: true });
      expect(run(['unenroll', '--course', 'C104', '--yes']).code).toBe(2);
    });

    it('by filter, with --dry-run first', () => {
      expect(run(['unenroll', '--course', 'C104', '--field', 'cohort=2026', '--dry-run']).stdout).toBe(
        'dry run: would unenroll 4 user(s) from course C104: bob, cyd, dan, fay; nothing was changed\n',
      );
      expect(enrolled('C104')).toHaveLength(5);
      expect(run(['unenroll', '--course', 'C104', '--field', 'cohort=2026']).code).toBe(7);
      expect(run(['unenroll', '--course', 'C104', '--field', 'cohort=2026', '--yes']).code).toBe(0);
      expect(enrolled('C104')).toEqual(['ada:teacher']);
    });
  });

  describe('show, list and search see the enrolments', () => {
    it('show gives courses, sessions and owned courses', () => {
      run(['course', 'edit', 'C101', '--owner', 'bob']);
      const details = sandbox.json<{ courses: unknown[]; sessions: unknown[]; ownedCourses: unknown[] }>(['show', 'bob']);
      // C103 was rolled back (--atomic), C104 unenrolled by filter.
      expect(details.courses).toEqual([{ code: 'C102', title: 'Course C102', role: 'student', enrolledAt: expect.any(String) }]);
      expect(details.sessions).toEqual([
        { name: 'Spring 2026', startsOn: '2026-03-01T00:00:00.000Z', endsOn: '2026-06-30T00:00:00.000Z', enrolledAt: expect.any(String) },
      ]);
      expect(details.ownedCourses).toEqual([{ code: 'C101', title: 'Course C101' }]);
      const text = run(['show', 'bob']).stdout;
      expect(text).toContain('Courses (1)\n  C102  Course C102  as student');
      expect(text).toContain('Sessions (1)\n  Spring 2026  2026-03-01 → 2026-06-30');
      expect(text).toContain('Owned courses (1)\n  C101  Course C101');
    });

    it('list --course, --no-course, --session; search combines with them', () => {
      const usernames = (args: string[]) => sandbox.json<{ username: string }[]>(args).map((u) => u.username);
      expect(usernames(['list', '--course', 'c102', '--sort', 'username'])).toEqual(['bob', 'cyd', 'dan', 'fay']);
      expect(usernames(['list', '--no-course', '--sort', 'username'])).toEqual(['eve']);
      expect(usernames(['list', '--session', 'SPRING 2026'])).toEqual(['bob']);
      expect(usernames(['list', '--course', 'C101', '--deleted'])).toEqual([]);
      expect(usernames(['search', 'c', '--course', 'C102'])).toEqual(['cyd']);
      expect(run(['list', '--course', 'C102', '--format', 'count']).stdout).toBe('4\n');
      const unknown = run(['list', '--course', 'NOPE']);
      expect(unknown.code).toBe(3);
      expect(unknown.stderr).toContain('no course "NOPE"');
      expect(run(['list', '--session', 'Winter']).code).toBe(3);
    });
  });

  it('has help with examples', () => {
    for (const command of ['enroll', 'unenroll']) {
      const help = run([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Examples:\n  $ roster ${command}`);
      expect(help.stdout).toContain('--dry-run');
      expect(help.stdout).toContain('--atomic');
    }
  });
});
