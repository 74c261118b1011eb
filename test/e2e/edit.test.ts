import fs from 'node:fs';
import bcrypt from 'bcryptjs';
import { Sandbox } from './helpers';

describe('roster edit', () => {
  const sandbox = new Sandbox();
  let ada: number;
  beforeAll(() => {
    ada = sandbox.addUser('ada', ['--official-code', 'A-1'], ['teacher']);
    // grace is an admin too, so that ada may lose the role (the last active admin keeps it).
    sandbox.addUser('grace', [], ['admin']);
    sandbox.run(['field', 'add', 'cohort', '--type', 'number']);
  });
  afterAll(() => sandbox.cleanup());
  const edits = () => sandbox.query<{ details: string; actor: string }>("SELECT details, actor FROM audit_log WHERE action = 'user.edit' ORDER BY id");
  const hashOf = (username: string) =>
    sandbox.query<{ password_hash: string }>('SELECT password_hash FROM "user" WHERE username = ?', username)[0]!.password_hash;

  it('prints each changed field as before → after and audits the change', () => {
    const result = sandbox.run([
      'edit',
      'ADA',
      '--firstname',
      'Augusta',
      '--email',
      'ada.lovelace@example.org',
      '--official-code',
      '',
      '--expires',
      '2027-06-30',
      '--add-role',
      'admin',
      '--field',
      'cohort=2026',
      '--actor',
      'dean',
    ]);
    expect(result).toEqual({
      code: 0,
      stdout: [
        `changed user ada (id:${ada}):`,
        '  firstname: Ada → Augusta',
        '  email: ada@example.org → ada.lovelace@example.org',
        '  official-code: A-1 → (none)',
        '  expires-at: (none) → 2027-06-30T23:59:59.999Z',
        '  roles: teacher → teacher, admin',
        '  extra.cohort: (none) → 2026',
        '',
      ].join('\n'),
      stderr: '',
    });
    expect(sandbox.query('SELECT firstname, email, email_key, official_code, expires_at FROM "user" WHERE id = ?', ada)).toEqual([
      {
        firstname: 'Augusta',
        email: 'ada.lovelace@example.org',
        email_key: 'ada.lovelace@example.org',
        official_code: null,
        expires_at: '2027-06-30T23:59:59.999Z',
      },
    ]);
    const [entry] = edits();
    expect(entry!.actor).toBe('dean');
    expect(JSON.parse(entry!.details).changes).toHaveLength(6);
  });

  it('says "nothing changed" (exit 0) and writes nothing when nothing did', () => {
    const before = edits().length;
    const result = sandbox.run(['edit', 'ada.lovelace@example.org', '--firstname', 'Augusta', '--add-role', 'teacher', '--field', 'cohort=2026.0']);
    expect(result).toEqual({ code: 0, stdout: `nothing changed for user ada (id:${ada})\n`, stderr: '' });
    expect(sandbox.run(['edit', 'ada'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'roster: error: nothing to change: give at least one option\n  hint: see roster edit --help\n',
    });
    // A usage error comes before the database: none is created for it.
    const elsewhere = `${sandbox.dir}/never-created/roster.db`;
    for (const args of [
      ['edit', 'ada'],
      ['edit', 'ada', '--password-stdin'],
      ['course', 'edit', 'C1'],
      ['session', 'edit', 'S1'],
    ]) {
      expect(sandbox.run([...args, '--db', elsewhere]).code).toBe(2);
    }
    expect(fs.existsSync(elsewhere)).toBe(false);
    expect(edits()).toHaveLength(before);
  });

  it('with --json gives the contract shape: changed, users, and the changes', () => {
    const body = sandbox.json<{ changed: number; users: { id: number; lastname: string }[]; changes: unknown[] }>(['edit', `id:${ada}`, '--lastname', 'King']);
    expect(body).toEqual({
      changed: 1,
      users: [expect.objectContaining({ id: ada, lastname: 'King' })],
      changes: [{ field: 'lastname', before: 'Tester', after: 'King' }],
    });
    expect(sandbox.json(['edit', `id:${ada}`, '--lastname', 'King'])).toMatchObject({ changed: 0, changes: [] });
  });

  it('never leaves a user without a role (exit 5), and changes nothing else of that command', () => {
    const result = sandbox.run(['edit', 'ada', '--firstname', 'Changed', '--remove-role', 'teacher', '--remove-role', 'admin']);
    expect(result).toEqual({
      code: 5,
      stdout: '',
      stderr: 'roster: error: roles: a user must keep at least one role\n  hint: add another role in the same command, e.g. --add-role student\n',
    });
    expect(sandbox.run(['edit', 'ada', '--roles', ',']).code).toBe(5);
    expect(sandbox.query('SELECT firstname FROM "user" WHERE id = ?', ada)).toEqual([{ firstname: 'Augusta' }]);
    expect(sandbox.query('SELECT role FROM user_role WHERE user_id = ? ORDER BY role', ada)).toEqual([{ role: 'admin' }, { role: 'teacher' }]);
  });

  it('replaces roles with --roles a,b and swaps with remove + add', () => {
    expect(sandbox.run(['edit', 'ada', '--roles', 'student,hr_manager']).stdout).toContain('  roles: teacher, admin → student, hr_manager\n');
    expect(sandbox.run(['edit', 'ada', '--remove-role', 'student', '--remove-role', 'hr_manager', '--add-role', 'teacher']).stdout).toContain(
      '  roles: student, hr_manager → teacher\n',
    );
    expect(sandbox.run(['edit', 'ada', '--add-role', 'wizard'])).toMatchObject({ code: 5, stderr: expect.stringContaining('add-role: unknown role "wizard"') });
  });

  it('refuses the username or email of another user in any case (exit 4)', () => {
    expect(sandbox.run(['edit', 'ada', '--username', 'GRACE'])).toMatchObject({
      code: 4,
      stderr: expect.stringMatching(/^roster: error: username "grace" is taken by user grace \(id:\d+\)\n$/),
    });
    expect(sandbox.run(['edit', 'ada', '--email', 'GRACE@example.org'])).toMatchObject({
      code: 4,
      stderr: expect.stringContaining('email "grace@example.org" is taken by user grace'),
    });
    expect(sandbox.run(['edit', 'ada', '--username', 'ADA']).stdout).toContain('  username: ada → ADA\n');
    expect(sandbox.run(['edit', 'Ada', '--username', 'ada']).code).toBe(0);
  });

  it('refuses bad values (exit 5) and unknown users (exit 3)', () => {
    expect(sandbox.run(['edit', 'ada', '--email', 'nope', '--expires', '2026-02-31'])).toEqual({
      code: 5,
      stdout: '',
      stderr:
        'roster: error: email: "nope" is not a valid email address; expires: "2026-02-31" is not a date; use YYYY-MM-DD, an ISO 8601 date-time, +90d (that long from now) or never\n',
    });
    expect(sandbox.run(['edit', 'nobody', '--firstname', 'X'])).toEqual({
      code: 3,
      stdout: '',
      stderr: 'roster: error: no user "nobody"\n  hint: a user is a username, an email address or id:<number>\n',
    });
    expect(sandbox.run(['edit', 'id:9999', '--firstname', 'X']).code).toBe(3);
    expect(sandbox.run(['edit', 'ada', '--unset-field', 'shoe']).code).toBe(3);
    expect(sandbox.run(['edit', 'fallback', '--firstname', 'X'])).toMatchObject({
      code: 4,
      stderr: expect.stringContaining('is the system fallback account and cannot be edited'),
    });
  });

  it('--expires never and --unset-field remove values', () => {
    const result = sandbox.run(['edit', 'ada', '--expires', 'never', '--unset-field', 'cohort']);
    expect(result.stdout).toBe(`changed user ada (id:${ada}):\n  expires-at: 2027-06-30T23:59:59.999Z → (none)\n  extra.cohort: 2026 → (none)\n`);
  });

  it('resets a password from stdin or generated: shown as "changed", never its value or hash', () => {
    const oldHash = hashOf('ada');
    const fromStdin = sandbox.run(['edit', 'ada', '--reset-password', '--password-stdin'], { input: 'brand new secret\n' });
    expect(fromStdin).toEqual({ code: 0, stdout: `changed user ada (id:${ada}):\n  password: changed\n`, stderr: '' });
    const newHash = hashOf('ada');
    expect(newHash).not.toBe(oldHash);
    expect(bcrypt.compareSync('brand new secret', newHash.replace('$2b$', '$2a$'))).toBe(true);

    const generated = sandbox.run(['edit', 'ada', '--reset-password', '--generate-password']);
    const match = new RegExp(`^changed user ada \\(id:${ada}\\):\\n  password: changed\\ngenerated password for ada: ([A-Za-z0-9]{16})\\n$`).exec(
      generated.stdout,
    );
    expect(match).not.toBeNull();
    expect(bcrypt.compareSync(match![1]!, hashOf('ada').replace('$2b$', '$2a$'))).toBe(true);

    const audit = sandbox
      .query<{ details: string }>('SELECT details FROM audit_log')
      .map((r) => r.details)
      .join('\n');
    for (const secret of ['brand new secret', match![1]!, oldHash, newHash, hashOf('ada')]) expect(audit).not.toContain(secret);
    expect(audit).not.toMatch(/\$2[aby]\$/);
  });

  // Newcomer report: add warns of a weak password, edit --reset-password did not.
  it('warns of a weak new password, as add does, and sets it', () => {
    const weak = sandbox.run(['edit', 'ada', '--reset-password', '--password-stdin'], { input: 'short\n' });
    expect(weak).toEqual({
      code: 0,
      stdout: `changed user ada (id:${ada}):\n  password: changed\n`,
      stderr: 'roster: warning: the password is weak (fewer than 8 characters)\n',
    });
    expect(bcrypt.compareSync('short', hashOf('ada').replace('$2b$', '$2a$'))).toBe(true);
  });

  it('without a terminal, --reset-password needs a source (exit 2); password options need --reset-password', () => {
    expect(sandbox.run(['edit', 'ada', '--reset-password'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'roster: error: --reset-password needs a terminal to ask, or --password-stdin, --generate-password or --password\n',
    });
    expect(sandbox.run(['edit', 'ada', '--generate-password'])).toMatchObject({
      code: 2,
      stderr: 'roster: error: password options go with --reset-password\n',
    });
    expect(sandbox.run(['edit', 'ada', '--bogus'])).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown option '--bogus'") });
  });

  it('finds the user again under its new name, and search follows the rename', () => {
    sandbox.run(['edit', 'grace', '--lastname', 'Hopper', '--username', 'ghopper']);
    expect(sandbox.json<{ username: string }[]>(['search', 'hopper']).map((u) => u.username)).toEqual(['ghopper']);
    expect(sandbox.json<unknown[]>(['search', 'tester', '--username', 'grace'])).toEqual([]);
    expect(sandbox.run(['show', 'grace']).code).toBe(3);
  });
});
