import { Sandbox } from './helpers';

const NOW = '2026-03-01T09:00:00.000Z';
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('roster course', () => {
  const sandbox = new Sandbox();
  const run = (args: string[], input?: string) => sandbox.run(args, { input, env: { ROSTER_TEST_NOW: NOW } });
  const json = <T>(args: string[]) => sandbox.json<T>(args, { env: { ROSTER_TEST_NOW: NOW } });
  /** Writes to the database as another program would (states no command of this issue sets). */
  const write = (sql: string, ...params: unknown[]) => {
    sandbox.execute(sql, ...params);
  };
  const courses = () => sandbox.query<{ code: string; title: string }>('SELECT code, title FROM course ORDER BY code');

  beforeAll(() => {
    sandbox.addUser('ada', [], ['teacher']);
    sandbox.addUser('bob', [], ['teacher']);
    sandbox.addUser('cyd');
    sandbox.addUser('gone');
    write(`UPDATE "user" SET deleted_at = ? WHERE username = 'gone'`, NOW);
  });
  afterAll(() => sandbox.cleanup());

  describe('add', () => {
    it('creates a course and prints it; --json gives the course', () => {
      const text = run(['course', 'add', 'C101', '--title', 'Introduction to algebra', '--owner', 'ada']);
      expect(text).toMatchObject({ code: 0, stderr: '' });
      expect(text.stdout).toMatch(/^added course C101 "Introduction to algebra" \(id:\d+, en, owner ada\)\n$/);
      const created = json(['course', 'add', 'PHYS2', '--title', 'Physique 2', '--language', 'french']);
      expect(created).toEqual({
        id: expect.any(Number),
        code: 'PHYS2',
        title: 'Physique 2',
        language: 'fr',
        owner: null,
        createdAt: NOW,
        enrolled: { total: 0, teachers: 0, students: 0 },
        teachers: [],
        sessions: [],
      });
    });

    // The rules of the values are tested in-process (test/unit/commands.test.ts); a missing option is commander's.
    it('refuses a missing title (exit 2)', () => {
      expect(run(['course', 'add', 'C9'])).toMatchObject({ code: 2, stderr: "roster: error: required option '--title <title>' not specified\n" });
      expect(courses().map((c) => c.code)).not.toContain('C9');
    });
  });

  describe('list and show', () => {
    beforeAll(() => {
      run(['course', 'add', 'ART1', '--title', 'Dessin et peinture', '--owner', 'bob']);
      run(['enroll', 'bob', '--course', 'C101', '--as', 'teacher']);
      run(['enroll', 'cyd', 'ada', '--course', 'C101', '--yes']);
    });

    it('lists the courses with their counts, as a table and as JSON', () => {
      const table = run(['course', 'list']);
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/Code.*Title.*Language.*Owner.*Teachers.*Students/);
      expect(table.stdout).toMatch(/C101\s*│ Introduction to algebra\s*│ en\s*│ ada\s*│ 1\s*│ 2\s*│ 2026-03-01/);
      const list = json<{ code: string; owner: { username: string } | null; enrolled: unknown }[]>(['course', 'list']);
      expect(list.map((c) => [c.code, c.owner?.username ?? null, c.enrolled])).toEqual([
        ['ART1', 'bob', { total: 0, teachers: 0, students: 0 }],
        ['C101', 'ada', { total: 3, teachers: 1, students: 2 }],
        ['PHYS2', null, { total: 0, teachers: 0, students: 0 }],
      ]);
    });

    it('shows one course with its owner, teachers, student count and sessions', () => {
      run(['session', 'add', 'Spring 2026', '--start', '2026-03-01', '--end', '2026-06-30', '--course', 'C101']);
      const text = run(['course', 'show', 'c101']);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/Owner\s+ada/);
      expect(text.stdout).toMatch(/Students\s+2/);
      expect(text.stdout).toMatch(/Teachers \(1\)\n {2}bob {2}Bob Tester/);
      expect(text.stdout).toMatch(/Sessions \(1\)\n {2}Spring 2026 {2}2026-03-01 → 2026-06-30/);
      const details = json<Record<string, unknown>>(['course', 'show', 'C101']);
      expect(details).toMatchObject({
        code: 'C101',
        owner: { id: expect.any(Number), username: 'ada' },
        enrolled: { total: 3, teachers: 1, students: 2 },
        teachers: [{ id: expect.any(Number), username: 'bob', firstname: 'Bob', lastname: 'Tester', enrolledAt: expect.stringMatching(ISO) }],
        sessions: [{ name: 'Spring 2026', startsOn: '2026-03-01T00:00:00.000Z', endsOn: '2026-06-30T00:00:00.000Z' }],
      });
    });

    it('says which course it does not know (exit 3)', () => {
      const result = run(['course', 'show', 'NOPE']);
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('no course "NOPE"');
      expect(result.stderr).toContain('hint: see roster course list');
    });
  });

  describe('edit', () => {
    it('prints each change, and "nothing changed" when nothing did', () => {
      const result = run(['course', 'edit', 'phys2', '--title', 'Physics 2', '--owner', 'bob', '--language', 'en']);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('changed course PHYS2:\n  title: Physique 2 → Physics 2\n  language: fr → en\n  owner: (none) → bob\n');
      const again = run(['course', 'edit', 'PHYS2', '--title', 'Physics 2']);
      expect(again).toMatchObject({ code: 0, stdout: 'nothing changed for course PHYS2\n' });
      // No option at all, or two that contradict each other: usage errors, as for roster edit.
      expect(run(['course', 'edit', 'PHYS2'])).toMatchObject({
        code: 2,
        stderr: 'roster: error: nothing to change: give at least one option\n  hint: see roster course edit --help\n',
      });
      expect(run(['course', 'edit', 'PHYS2', '--owner', 'ada', '--no-owner'])).toMatchObject({
        code: 2,
        stderr: 'roster: error: --owner and --no-owner exclude each other\n',
      });
      expect(run(['list', '--course', 'PHYS2', '--no-course'])).toMatchObject({
        code: 2,
        stderr: 'roster: error: --course and --no-course exclude each other\n',
      });
    });

    it('renames the code and removes the owner; --json gives the changes and the course', () => {
      const body = json<{ changed: number; course: { code: string; owner: unknown }; changes: unknown[] }>([
        'course',
        'edit',
        'PHYS2',
        '--code',
        'PHY2',
        '--no-owner',
      ]);
      expect(body.changed).toBe(1);
      expect(body.course).toMatchObject({ code: 'PHY2', owner: null });
      expect(body.changes).toEqual([
        { field: 'code', before: 'PHYS2', after: 'PHY2' },
        { field: 'owner', before: 'bob', after: null },
      ]);
    });
  });

  describe('delete', () => {
    it('deletes an empty course with --yes', () => {
      const result = run(['course', 'delete', 'PHY2', '--yes']);
      expect(result).toMatchObject({ code: 0, stdout: 'deleted course PHY2\n' });
      expect(courses().map((c) => c.code)).not.toContain('PHY2');
      expect(run(['course', 'delete', 'PHY2', '--yes']).code).toBe(3);
    });

    it('refuses while users are enrolled (exit 4, even with --yes); --force deletes with the enrolments', () => {
      const refused = run(['course', 'delete', 'C101', '--yes']);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toContain('course "C101" has 3 enrolled user(s)');
      expect(refused.stderr).toContain('--force');
      expect(run(['course', 'delete', 'C101', '--force']).code).toBe(7);
      const body = json<{ changed: number; course: { code: string }; unenrolled: number }>(['course', 'delete', 'C101', '--force', '--yes']);
      expect(body).toMatchObject({ changed: 1, course: { code: 'C101' }, unenrolled: 3 });
      expect(sandbox.query('SELECT * FROM course_user')).toEqual([]);
      expect(sandbox.query(`SELECT count(*) AS n FROM audit_log WHERE action = 'course.unenroll'`)).toEqual([{ n: 3 }]);
      expect(json<{ courses: unknown[] }>(['show', 'cyd']).courses).toEqual([]);
    });
  });

  it('has help with examples for every subcommand', () => {
    for (const sub of ['add', 'list', 'show', 'edit', 'delete']) {
      const help = run(['course', sub, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('Examples:\n  $ roster course');
    }
  });
});
