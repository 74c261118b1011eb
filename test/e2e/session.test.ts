import { Sandbox } from './helpers';

const NOW = '2026-02-01T09:00:00.000Z';

interface SessionJson {
  id: number;
  name: string;
  startsOn: string;
  endsOn: string;
  coach: { id: number; username: string } | null;
  createdAt: string;
  courses: { code: string; title: string }[];
  enrolled: { total: number };
}

describe('roster session', () => {
  const sandbox = new Sandbox();
  const run = (args: string[]) => sandbox.run(args, { env: { ROSTER_TEST_NOW: NOW } });
  const json = <T>(args: string[]) => sandbox.json<T>(args, { env: { ROSTER_TEST_NOW: NOW } });
  const sessions = () => sandbox.query<{ name: string }>('SELECT name FROM training_session ORDER BY name').map((s) => s.name);

  beforeAll(() => {
    sandbox.addUser('ada', [], ['teacher']);
    sandbox.addUser('bob');
    sandbox.addUser('cyd');
    run(['course', 'add', 'C101', '--title', 'Algebra']);
    run(['course', 'add', 'C102', '--title', 'Physics']);
    run(['course', 'add', 'C103', '--title', 'Chemistry']);
  });
  afterAll(() => sandbox.cleanup());

  describe('add', () => {
    it('creates a session with its period, coach and courses; --json gives it', () => {
      const text = run(['session', 'add', 'Spring 2026', '--start', '2026-03-01', '--end', '2026-06-30', '--course', 'C101', '--course', 'c102']);
      expect(text).toMatchObject({ code: 0, stderr: '' });
      expect(text.stdout).toMatch(/^added session "Spring 2026" \(id:\d+, 2026-03-01 → 2026-06-30, courses C101, C102\)\n$/);
      const created = json<SessionJson>(['session', 'add', 'Bootcamp', '--start', '2026-09-01', '--end', '2026-09-14', '--coach', 'ada']);
      expect(created).toEqual({
        id: expect.any(Number),
        name: 'Bootcamp',
        startsOn: '2026-09-01T00:00:00.000Z',
        endsOn: '2026-09-14T00:00:00.000Z',
        coach: { id: expect.any(Number), username: 'ada' },
        createdAt: NOW,
        courses: [],
        enrolled: { total: 0 },
      });
    });

    it('refuses a duplicate name in any case (exit 4)', () => {
      const result = run(['session', 'add', 'SPRING 2026', '--start', '2026-03-01', '--end', '2026-06-30']);
      expect(result.code).toBe(4);
      expect(result.stderr).toContain('session "Spring 2026" already exists');
    });

    it('refuses an end before the start and a bad date (exit 5), missing dates (exit 2), an unknown course or coach (exit 3)', () => {
      const backwards = run(['session', 'add', 'Fall', '--start', '2026-09-01', '--end', '2026-08-31']);
      expect(backwards.code).toBe(5);
      expect(backwards.stderr).toContain('end: 2026-08-31 is before the start 2026-09-01');
      const badDate = run(['session', 'add', 'Fall', '--start', '2026-13-01', '--end', '2026-12-31']);
      expect(badDate.code).toBe(5);
      expect(badDate.stderr).toContain('start: "2026-13-01" is not a date');
      expect(run(['session', 'add', 'Fall', '--start', '2026-09-01']).code).toBe(2);
      const unknownCourse = run(['session', 'add', 'Fall', '--start', '2026-09-01', '--end', '2026-12-31', '--course', 'C101', '--course', 'NOPE']);
      expect(unknownCourse.code).toBe(3);
      expect(unknownCourse.stderr).toContain('no course "NOPE"');
      expect(run(['session', 'add', 'Fall', '--start', '2026-09-01', '--end', '2026-12-31', '--coach', 'nobody']).code).toBe(3);
      expect(sessions()).toEqual(['Bootcamp', 'Spring 2026']);
    });
  });

  describe('list and show', () => {
    it('lists sessions by start date with their courses and user counts', () => {
      run(['enroll', 'bob', 'cyd', '--session', 'spring 2026', '--yes']);
      const table = run(['session', 'list']);
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/Spring 2026\s*│ 2026-03-01\s*│ 2026-06-30\s*│\s*│ C101, C102\s*│ 2/);
      expect(table.stdout.indexOf('Spring 2026')).toBeLessThan(table.stdout.indexOf('Bootcamp'));
      const list = json<SessionJson[]>(['session', 'list']);
      expect(list.map((s) => [s.name, s.enrolled.total, s.courses.map((c) => c.code)])).toEqual([
        ['Spring 2026', 2, ['C101', 'C102']],
        ['Bootcamp', 0, []],
      ]);
      expect(json<SessionJson[]>(['session', 'list', '--course', 'c102']).map((s) => s.name)).toEqual(['Spring 2026']);
      expect(json<SessionJson[]>(['session', 'list', '--search', 'boot']).map((s) => s.name)).toEqual(['Bootcamp']);
      expect(run(['session', 'list', '--course', 'NOPE']).code).toBe(3);
    });

    it('shows one session, found in any case; an unknown one is exit 3', () => {
      const text = run(['session', 'show', 'spring 2026']);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/Period\s+2026-03-01 → 2026-06-30/);
      expect(text.stdout).toMatch(/Users\s+2/);
      expect(text.stdout).toContain('Courses (2)\n  C101  Algebra\n  C102  Physics\n');
      expect(json<SessionJson>(['session', 'show', 'BOOTCAMP']).coach?.username).toBe('ada');
      const unknown = run(['session', 'show', 'Winter']);
      expect(unknown.code).toBe(3);
      expect(unknown.stderr).toContain('no session "Winter"');
    });
  });

  describe('edit', () => {
    it('changes name, dates and coach and prints each change', () => {
      const result = run(['session', 'edit', 'bootcamp', '--name', 'Bootcamp A', '--end', '2026-09-21', '--no-coach']);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(
        'changed session "Bootcamp A":\n  name: Bootcamp → Bootcamp A\n  ends-on: 2026-09-14T00:00:00.000Z → 2026-09-21T00:00:00.000Z\n  coach: ada → (none)\n',
      );
      expect(run(['session', 'edit', 'Bootcamp A', '--end', '2026-09-21'])).toMatchObject({ code: 0, stdout: 'nothing changed for session "Bootcamp A"\n' });
      expect(run(['session', 'edit', 'Bootcamp A'])).toMatchObject({ code: 2, stderr: expect.stringContaining('nothing to change: give at least one option') });
      expect(run(['session', 'edit', 'Bootcamp A', '--coach', 'ada', '--no-coach'])).toMatchObject({
        code: 2,
        stderr: 'roster: error: --coach and --no-coach exclude each other\n',
      });
      const body = json<{ changed: number; session: SessionJson; changes: unknown[] }>(['session', 'edit', 'Bootcamp A', '--coach', 'ada']);
      expect(body).toMatchObject({ changed: 1, session: { coach: { username: 'ada' } }, changes: [{ field: 'coach', before: null, after: 'ada' }] });
    });

    it('refuses a start after the stored end (exit 5), a name in use (exit 4), an unknown session (exit 3)', () => {
      expect(run(['session', 'edit', 'Bootcamp A', '--start', '2026-10-01']).code).toBe(5);
      expect(run(['session', 'edit', 'Bootcamp A', '--name', 'spring 2026']).code).toBe(4);
      expect(run(['session', 'edit', 'Winter', '--end', '2026-10-01']).code).toBe(3);
    });
  });

  describe('add-course and remove-course', () => {
    it('adds courses, reporting those already there', () => {
      const result = run(['session', 'add-course', 'Spring 2026', 'C103', 'c101']);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('added C103 (session "Spring 2026")\nunchanged: C101 (already in the session)\n');
      const body = json<{ changed: number; added: string[]; unchanged: string[]; session: SessionJson }>(['session', 'add-course', 'Spring 2026', 'C103']);
      expect(body).toMatchObject({ changed: 0, added: [], unchanged: ['C103'] });
      expect(body.session.courses.map((c) => c.code)).toEqual(['C101', 'C102', 'C103']);
    });

    it('removes courses; the course and its enrolments stay', () => {
      run(['enroll', 'bob', '--course', 'C103']);
      const body = json<{ changed: number; removed: string[]; unchanged: string[] }>(['session', 'remove-course', 'spring 2026', 'C103', 'C102']);
      expect(body).toMatchObject({ changed: 2, removed: ['C103', 'C102'], unchanged: [] });
      expect(run(['session', 'remove-course', 'Spring 2026', 'C103']).stdout).toBe('unchanged: C103 (not in the session)\n');
      expect(json<{ code: string }[]>(['course', 'list']).map((c) => c.code)).toContain('C103');
      expect(json<{ courses: { code: string }[] }>(['show', 'bob']).courses.map((c) => c.code)).toEqual(['C103']);
    });

    it('changes nothing when a course is unknown (exit 3); needs at least one code (exit 2)', () => {
      const result = run(['session', 'add-course', 'Spring 2026', 'C102', 'NOPE']);
      expect(result.code).toBe(3);
      expect(json<SessionJson>(['session', 'show', 'Spring 2026']).courses.map((c) => c.code)).toEqual(['C101']);
      expect(run(['session', 'add-course', 'Spring 2026']).code).toBe(2);
      expect(run(['session', 'add-course', 'Winter', 'C101']).code).toBe(3);
    });
  });

  describe('delete', () => {
    it('asks first (exit 7 without a terminal), refuses while users are enrolled (exit 4), --force removes them', () => {
      expect(run(['session', 'delete', 'Bootcamp A']).code).toBe(7);
      expect(sessions()).toContain('Bootcamp A');
      expect(run(['session', 'delete', 'Bootcamp A', '--yes'])).toMatchObject({ code: 0, stdout: 'deleted session "Bootcamp A"\n' });
      const refused = run(['session', 'delete', 'Spring 2026', '--yes']);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toContain('session "Spring 2026" has 2 enrolled user(s)');
      const body = json<{ changed: number; unenrolled: number; session: SessionJson }>(['session', 'delete', 'Spring 2026', '--force', '--yes']);
      expect(body).toMatchObject({ changed: 1, unenrolled: 2, session: { name: 'Spring 2026' } });
      expect(sessions()).toEqual([]);
      expect(sandbox.query('SELECT * FROM "session_user"')).toEqual([]);
      expect(sandbox.query('SELECT code FROM course ORDER BY code')).toEqual([{ code: 'C101' }, { code: 'C102' }, { code: 'C103' }]);
      expect(run(['session', 'delete', 'Spring 2026', '--yes']).code).toBe(3);
    });
  });

  it('has help with examples for every subcommand', () => {
    for (const sub of ['add', 'list', 'show', 'edit', 'delete', 'add-course', 'remove-course']) {
      const help = run(['session', sub, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('Examples:\n  $ roster session');
    }
  });
});
