import os from 'node:os';
import { Sandbox } from './helpers';

describe('roster show', () => {
  const sandbox = new Sandbox();
  let ada: number;
  beforeAll(() => {
    sandbox.run(['field', 'add', 'cohort', '--type', 'number']);
    sandbox.run(['field', 'add', 'alumni', '--type', 'boolean']);
    ada = sandbox.addUser('ada', ['--official-code', 'A-1', '--expires', '2026-02-01', '--field', 'cohort=2026', '--field', 'alumni=no'], ['teacher', 'admin']);
    // Courses and sessions have no commands yet: enrol directly.
    sandbox.transaction([
      {
        sql: "INSERT INTO course (code, code_key, title, owner_id, created_at) VALUES ('MATH101', 'math101', 'Algebra', ?, '2026-01-01T00:00:00.000Z')",
        params: [ada],
      },
      {
        sql: "INSERT INTO course_user (course_id, user_id, role, enrolled_at) SELECT id, ?, 'teacher', '2026-01-02T00:00:00.000Z' FROM course WHERE code_key = 'math101'",
        params: [ada],
      },
      {
        sql: "INSERT INTO training_session (name, name_key, starts_on, ends_on, created_at) VALUES ('Spring 2026', 'spring 2026', '2026-03-01T00:00:00.000Z', '2026-06-30T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
        params: [],
      },
      {
        sql: "INSERT INTO \"session_user\" (session_id, user_id, enrolled_at) SELECT id, ?, '2026-01-03T00:00:00.000Z' FROM training_session WHERE name_key = 'spring 2026'",
        params: [ada],
      },
    ]);
  });
  afterAll(() => sandbox.cleanup());

  it('shows every detail, roles, extra fields, courses, sessions and owned courses', () => {
    const result = sandbox.run(['show', 'ADA@example.org'], { env: { ROSTER_TEST_NOW: '2026-03-01T00:00:00Z' } });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const out = result.stdout;
    expect(out).toMatch(/^Name {10}Ada Tester\nUsername {6}ada\nId {12}\d+\nEmail {9}ada@example.org\nRoles {9}teacher, admin\n/);
    expect(out).toContain('Status        active, but expired (the next expiry run deactivates it)\n');
    expect(out).toContain('Official code A-1\n');
    expect(out).toContain('Phone         -\n');
    expect(out).toContain('Last login    never\n');
    expect(out).toContain('Expires       2026-02-01T23:59:59.999Z\n');
    expect(out).toContain('Extra fields\n  alumni: false\n  cohort: 2026\n');
    expect(out).toContain('Courses (1)\n  MATH101  Algebra  as teacher\n');
    expect(out).toContain('Sessions (1)\n  Spring 2026  2026-03-01 → 2026-06-30\n');
    expect(out).toContain('Owned courses (1)\n  MATH101  Algebra\n');
    expect(out).not.toMatch(/\$2b\$|password/i);
  });

  it('--json: the user plus courses, sessions and ownedCourses', () => {
    const details = sandbox.json<Record<string, unknown>>(['show', `id:${ada}`]);
    expect(details).toMatchObject({
      id: ada,
      username: 'ada',
      roles: ['teacher', 'admin'],
      extra: { alumni: false, cohort: 2026 },
      courses: [{ code: 'MATH101', title: 'Algebra', role: 'teacher', enrolledAt: '2026-01-02T00:00:00.000Z' }],
      sessions: [{ name: 'Spring 2026', startsOn: '2026-03-01T00:00:00.000Z', endsOn: '2026-06-30T00:00:00.000Z', enrolledAt: '2026-01-03T00:00:00.000Z' }],
      ownedCourses: [{ code: 'MATH101', title: 'Algebra' }],
    });
    expect(JSON.stringify(details)).not.toMatch(/password|\$2b\$/i);
  });

  it('finds users by username, email or id:<n>, ignoring case; exit 3 otherwise', () => {
    expect(sandbox.run(['show', 'Ada']).code).toBe(0);
    const missing = sandbox.run(['show', 'nobody@example.org']);
    expect(missing).toEqual({
      code: 3,
      stdout: '',
      stderr: 'roster: error: no user "nobody@example.org"\n  hint: a user is a username, an email address or id:<number>\n',
    });
    // id: with no number is a malformed reference, not an unknown user.
    expect(sandbox.run(['show', 'id:abc'])).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'roster: error: "id:abc" is not a user reference: id: takes a number\n  hint: a user is a username, an email address or id:<number>, e.g. id:42\n',
    });
    expect(sandbox.run(['deactivate', 'ID:4x']).code).toBe(2);
  });

  it('shows the system fallback account as such', () => {
    const result = sandbox.run(['show', 'fallback']);
    expect(result.stdout).toContain('Status        system account\n');
    expect(result.stdout).toContain('This is the system fallback account');
  });
});

describe('roster role list', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());

  it('lists the six roles and how many live users hold each', () => {
    sandbox.addUser('ada', [], ['teacher', 'admin']);
    sandbox.addUser('bob', [], ['student']);
    sandbox.addUser('cy', [], ['student', 'teacher']);
    expect(sandbox.run(['role', 'list'])).toEqual({
      code: 0,
      stdout: 'student        2\nteacher        2\nsession_admin  0\nhr_manager     0\ninvitee        0\nadmin          1\n',
      stderr: '',
    });
    sandbox.execute(`UPDATE "user" SET deleted_at = '2026-01-01T00:00:00Z' WHERE username = 'cy'`);
    expect(sandbox.json(['role', 'list'])).toEqual([
      { role: 'student', users: 1 },
      { role: 'teacher', users: 1 },
      { role: 'session_admin', users: 0 },
      { role: 'hr_manager', users: 0 },
      { role: 'invitee', users: 0 },
      { role: 'admin', users: 1 },
    ]);
  });
});

describe('roster field', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());

  it('add, list and remove definitions', () => {
    expect(sandbox.run(['field', 'list'])).toEqual({
      code: 0,
      stdout: '',
      stderr: `${sandbox.createdNotice}no extra fields defined; add one with roster field add <name> --type <type>\n`,
    });
    expect(sandbox.json(['field', 'list'])).toEqual([]);
    expect(sandbox.run(['field', 'add', 'cohort', '--type', 'number', '--label', 'Cohort year'])).toEqual({
      code: 0,
      stdout: 'added extra field cohort (number)\n',
      stderr: '',
    });
    expect(sandbox.run(['field', 'add', 'campus', '--type', 'choice', '--choices', 'north, south', '--choices', 'east']).stdout).toBe(
      'added extra field campus (choice: north, south, east)\n',
    );
    expect(sandbox.json(['field', 'add', 'motto'])).toMatchObject({ name: 'motto', type: 'text', label: 'motto', choices: null });
    sandbox.addUser('ada', ['--field', 'cohort=2026']);
    expect(sandbox.run(['field', 'list']).stdout).toBe(
      'campus  choice (north, south, east)  "campus"  0 user(s)\ncohort  number  "Cohort year"  1 user(s)\nmotto  text  "motto"  0 user(s)\n',
    );
    expect(sandbox.run(['field', 'remove', 'motto'])).toEqual({ code: 0, stdout: 'removed extra field motto and 0 value(s)\n', stderr: '' });
    expect(sandbox.run(['field', 'remove', 'cohort'])).toEqual({
      code: 4,
      stdout: '',
      stderr: 'roster: error: extra field "cohort" holds values for 1 user(s)\n  hint: pass --force to remove it with its values\n',
    });
    expect(sandbox.json(['field', 'remove', 'cohort', '--force'])).toEqual({ field: 'cohort', valuesRemoved: 1 });
    expect(sandbox.json<{ extra: unknown }>(['show', 'ada']).extra).toEqual({});
    expect(sandbox.query<{ action: string }>("SELECT action FROM audit_log WHERE action LIKE 'field.%' ORDER BY id").map((r) => r.action)).toEqual([
      'field.add',
      'field.add',
      'field.add',
      'field.remove',
      'field.remove',
    ]);
  });

  it.each<[string[], number, string]>([
    [['field', 'add', 'campus', '--type', 'choice', '--choices', 'a'], 4, 'roster: error: extra field "campus" already exists\n'],
    [['field', 'add', 'Bad-Name'], 5, 'roster: error: name: "Bad-Name" must start with a letter and hold only a-z, 0-9 and _ (at most 64)\n'],
    [['field', 'add', 'level', '--type', 'choice'], 5, 'roster: error: choices: a choice field needs --choices a,b,c\n'],
    [['field', 'add', 'level', '--choices', 'a,b'], 5, 'roster: error: choices: only a choice field takes choices, not a text field\n'],
    [['field', 'remove', 'nothing'], 3, 'roster: error: no extra field "nothing"\n  hint: roster field list shows the defined fields\n'],
  ])('refuses %p', (args, code, stderr) => {
    expect(sandbox.run(args)).toEqual({ code, stdout: '', stderr });
  });
});

describe('roster audit', () => {
  const sandbox = new Sandbox();
  let ada: number;
  const login = os.userInfo().username;
  beforeAll(() => {
    ada = sandbox.json<{ id: number }>(
      ['add', '--username', 'ada', '--email', 'ada@example.org', '--firstname', 'Ada', '--lastname', 'Tester', '--role', 'student', '--generate-password'],
      {
        env: { ROSTER_TEST_NOW: '2026-03-01T12:00:00Z' },
      },
    ).id;
    sandbox.run(['edit', 'ada', '--lastname', 'Lovelace', '--actor', 'dean'], { env: { ROSTER_TEST_NOW: '2026-03-10T12:00:00Z' } });
    sandbox.run(['edit', 'ada', '--reset-password', '--generate-password'], { env: { ROSTER_TEST_NOW: '2026-03-11T12:00:00Z', SUDO_USER: 'root-by-alice' } });
    sandbox.run(['field', 'add', 'cohort'], { env: { ROSTER_TEST_NOW: '2026-03-12T12:00:00Z' } });
  });
  afterAll(() => sandbox.cleanup());

  it('shows when, who, what and which fields, never a password', () => {
    const result = sandbox.run(['audit', '--since', '2026-03-10']);
    expect(result).toEqual({
      code: 0,
      stdout: [
        `2026-03-10T12:00:00.000Z  dean  user.edit user ada (id:${ada})`,
        '    lastname: Tester → Lovelace',
        `2026-03-11T12:00:00.000Z  root-by-alice  user.edit user ada (id:${ada})`,
        '    password: changed',
        `2026-03-12T12:00:00.000Z  ${login}  field.add`,
        '    field=cohort',
        '    type=text',
        '',
      ].join('\n'),
      stderr: '',
    });
    const all = sandbox.run(['audit']).stdout;
    expect(all.startsWith(`2026-03-01T12:00:00.000Z  ${login}  user.add user ada (id:${ada})\n    username: (none) → ada\n`)).toBe(true);
    expect(all).toContain('    password: changed\n');
    expect(all).not.toMatch(/\$2[aby]\$/);
  });

  it('filters by user, action family, date or duration, and count', () => {
    const actions = (args: string[], env?: Record<string, string>) => sandbox.json<{ action: string }[]>(['audit', ...args], { env }).map((e) => e.action);
    expect(actions(['--user', 'ADA@example.org'])).toEqual(['user.add', 'user.edit', 'user.edit']);
    expect(actions(['--action', 'field'])).toEqual(['field.add']);
    expect(actions(['--action', 'user.edit', '--limit', '1'])).toEqual(['user.edit']);
    expect(actions(['--since', '36h'], { ROSTER_TEST_NOW: '2026-03-12T13:00:00Z' })).toEqual(['user.edit', 'field.add']);
    // --by: what one person did, whatever the case typed; combined with the other filters.
    expect(actions(['--by', 'DEAN'])).toEqual(['user.edit']);
    expect(actions(['--by', 'root-by-alice', '--user', 'ada'])).toEqual(['user.edit']);
    expect(actions(['--by', 'dean', '--action', 'field'])).toEqual([]);
    expect(actions(['--by', 'nobody-at-all'])).toEqual([]);
    const [latest] = sandbox.json<{ details: { changes: unknown[] } }[]>(['audit', '--action', 'user.edit', '--limit', '1']);
    expect(latest!.details.changes).toEqual([{ field: 'password', before: null, after: null, secret: true }]);
    expect(sandbox.run(['audit', '--action', 'course'])).toEqual({ code: 0, stdout: '', stderr: 'no audit entries match\n' });
    expect(sandbox.json(['audit', '--action', 'course'])).toEqual([]);
  });

  it('refuses an unknown user (exit 3) and a bad date (exit 5)', () => {
    expect(sandbox.run(['audit', '--user', 'nobody'])).toMatchObject({
      code: 3,
      stderr: 'roster: error: no user "nobody"\n  hint: a user is a username, an email address or id:<number>\n',
    });
    expect(sandbox.run(['audit', '--since', 'last week'])).toMatchObject({
      code: 5,
      stderr:
        'roster: error: --since: "last week" is neither a date nor a duration; use YYYY-MM-DD, an ISO 8601 date-time, or a duration such as 30d, 12h, 6w\n',
    });
    expect(sandbox.run(['audit', '--limit', 'x']).code).toBe(2);
  });
});
