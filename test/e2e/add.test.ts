import fs from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { Sandbox, type RunResult } from './helpers';
import { ENGINE } from '../support/engine';

const USER_KEYS = [
  'id',
  'username',
  'email',
  'firstname',
  'lastname',
  'roles',
  'active',
  'language',
  'officialCode',
  'phone',
  'picture',
  'expiresAt',
  'registeredAt',
  'lastLoginAt',
  'deletedAt',
  'anonymizedAt',
  'extra',
];
const NOW = '2026-03-01T09:30:00.000Z';

function ada(extra: string[] = []): string[] {
  return ['add', '--firstname', 'Ada', '--lastname', 'Lovelace', '--email', 'ada@example.org', '--username', 'ada', '--role', 'teacher', ...extra];
}

/** Nothing secret on any channel. */
function expectNoSecret(result: RunResult, ...secrets: string[]) {
  for (const secret of secrets) {
    expect(result.stdout).not.toContain(secret);
    expect(result.stderr).not.toContain(secret);
  }
  expect(result.stdout).not.toMatch(/\$2[aby]\$/);
}

describe('roster add', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());
  const users = () => sandbox.query<{ username: string }>('SELECT username FROM "user" WHERE is_system = 0 ORDER BY id').map((u) => u.username);
  const audits = () =>
    sandbox.query<{ action: string; actor: string; user_id: number; details: string; at: string }>(
      "SELECT * FROM audit_log WHERE action LIKE 'user.%' ORDER BY id",
    );

  it('creates a user from options and a password on stdin; prints one line; audits it without the password', () => {
    const result = sandbox.run(
      ada([
        '--role',
        'admin',
        '--password-stdin',
        '--official-code',
        'T-1',
        '--phone',
        '+33 1 02',
        '--language',
        'french',
        '--expires',
        '2027-06-30',
        '--actor',
        'registrar',
      ]),
      {
        input: 'correct horse battery\n',
        env: { ROSTER_TEST_NOW: NOW },
      },
    );
    // The first command on a new database says so, once.
    expect(result).toEqual({
      code: 0,
      stdout: 'added user ada (id:2): Ada Lovelace <ada@example.org>, roles: teacher, admin\n',
      stderr: sandbox.createdNotice,
    });
    const [row] = sandbox.query<Record<string, unknown>>('SELECT * FROM "user" WHERE username = ?', 'ada');
    expect(row).toMatchObject({
      email: 'ada@example.org',
      email_key: 'ada@example.org',
      official_code: 'T-1',
      phone: '+33 1 02',
      language: 'fr',
      active: 1,
      expires_at: '2027-06-30T23:59:59.999Z',
      registered_at: NOW,
      created_by: 'registrar',
    });
    expect(row!.password_hash).toMatch(/^\$2b\$04\$/);
    expect(sandbox.query('SELECT role FROM user_role WHERE user_id = 2 ORDER BY role')).toEqual([{ role: 'admin' }, { role: 'teacher' }]);
    const [entry] = audits();
    expect(entry).toMatchObject({ action: 'user.add', actor: 'registrar', user_id: 2, at: NOW });
    expect(entry!.details).not.toContain(row!.password_hash as string);
    expect(entry!.details).not.toContain('correct horse');
    expect(JSON.parse(entry!.details).changes).toContainEqual({ field: 'password', before: null, after: null, secret: true });
  });

  it('with --json prints the created user in the contract shape, never a hash', () => {
    const result = sandbox.run(
      [
        'add',
        '--firstname',
        'Grace',
        '--lastname',
        'Hopper',
        '--email',
        'grace@example.org',
        '--username',
        'grace',
        '--role',
        'student',
        '--password-stdin',
        '--json',
        '--inactive',
      ],
      {
        input: 'another long one\n',
        env: { ROSTER_TEST_NOW: NOW },
      },
    );
    expect(result.code).toBe(0);
    const user = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(user)).toEqual(expect.arrayContaining(USER_KEYS));
    expect(user).toMatchObject({
      username: 'grace',
      roles: ['student'],
      active: false,
      language: 'en',
      officialCode: null,
      registeredAt: NOW,
      lastLoginAt: null,
      extra: {},
    });
    expect(JSON.stringify(user)).not.toMatch(/password|hash/i);
    expectNoSecret(result, 'another long one');
  });

  it('--generate-password prints the password once, on stdout, and it is the one stored', () => {
    const result = sandbox.run([
      'add',
      '--firstname',
      'Alan',
      '--lastname',
      'Turing',
      '--email',
      'alan@example.org',
      '--username',
      'alan',
      '--role',
      'student',
      '--generate-password',
    ]);
    expect(result.code).toBe(0);
    const match = /^added user alan \(id:\d+\): Alan Turing <alan@example.org>, roles: student\ngenerated password for alan: ([A-Za-z0-9]{16})\n$/.exec(
      result.stdout,
    );
    expect(match).not.toBeNull();
    expect(result.stderr).toBe('');
    const json = sandbox.json<{ generatedPassword: string }>([
      'add',
      '--firstname',
      'Kat',
      '--lastname',
      'Johnson',
      '--email',
      'kat@example.org',
      '--username',
      'kat',
      '--role',
      'student',
      '--generate-password',
    ]);
    expect(json.generatedPassword).toMatch(/^[A-Za-z0-9]{16}$/);
    const hashes = sandbox.query<{ password_hash: string }>("SELECT password_hash FROM \"user\" WHERE username IN ('alan', 'kat')");
    expect(hashes).toHaveLength(2);
    expect(bcrypt.compareSync(match![1]!, hashes[0]!.password_hash.replace('$2b$', '$2a$'))).toBe(true);
  });

  it('--password works but warns that the process list shows it; a weak one is warned about too', () => {
    const result = sandbox.run([
      'add',
      '--firstname',
      'Weak',
      '--lastname',
      'Pass',
      '--email',
      'weak@example.org',
      '--username',
      'weak',
      '--role',
      'student',
      '--password',
      'short',
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      'roster: warning: --password puts the password in the process list, where other local users can read it; prefer --password-stdin\nroster: warning: the password is weak (fewer than 8 characters)\n',
    );
    expectNoSecret(result, 'short ');
  });

  it('refuses a username or email held by another user in another case (exit 4), naming that user, writing nothing', () => {
    const before = users();
    const audited = audits().length;
    const byName = sandbox.run([
      'add',
      '--firstname',
      'X',
      '--lastname',
      'Y',
      '--email',
      'other@example.org',
      '--username',
      'ADA',
      '--role',
      'student',
      '--generate-password',
    ]);
    expect(byName).toEqual({ code: 4, stdout: '', stderr: 'roster: error: username "ada" is taken by user ada (id:2)\n' });
    const byEmail = sandbox.run([
      'add',
      '--firstname',
      'X',
      '--lastname',
      'Y',
      '--email',
      'Ada@Example.ORG',
      '--username',
      'other',
      '--role',
      'student',
      '--generate-password',
    ]);
    expect(byEmail).toEqual({ code: 4, stdout: '', stderr: 'roster: error: email "ada@example.org" is taken by user ada (id:2)\n' });
    expect(users()).toEqual(before);
    expect(audits()).toHaveLength(audited);
  });

  it('is safe to run twice: the second run is a conflict and changes nothing', () => {
    const args = [
      'add',
      '--firstname',
      'Twice',
      '--lastname',
      'T',
      '--email',
      'twice@example.org',
      '--username',
      'twice',
      '--role',
      'student',
      '--password-stdin',
    ];
    expect(sandbox.run(args, { input: 'long enough pw\n' }).code).toBe(0);
    const again = sandbox.run(args, { input: 'long enough pw\n' });
    expect(again.code).toBe(4);
    expect(sandbox.query('SELECT count(*) AS n FROM "user" WHERE username = \'twice\'')).toEqual([{ n: 1 }]);
  });

  it.each<[string, string[], string]>([
    ['a malformed email', ['--email', 'ada.example.org'], 'roster: error: email: "ada.example.org" is not a valid email address\n'],
    ['an email without a domain dot', ['--email', 'ada@localhost'], 'roster: error: email: "ada@localhost" is not a valid email address\n'],
    ['a username with a space', ['--username', 'ada lovelace'], 'roster: error: username: "ada lovelace" may contain only letters, digits and . _ - @\n'],
    ['an over-long username', ['--username', 'u'.repeat(101)], 'roster: error: username: is longer than 100 characters\n'],
    [
      'an unknown role',
      ['--role', 'wizard'],
      'roster: error: role: unknown role "wizard" (known roles: student, teacher, session_admin, hr_manager, invitee, admin)\n',
    ],
    [
      'an impossible date',
      ['--expires', '2026-02-31'],
      'roster: error: expires: "2026-02-31" is not a date; use YYYY-MM-DD, an ISO 8601 date-time, +90d (that long from now) or never\n',
    ],
    [
      'a date in another format',
      ['--expires', '31/12/2026'],
      'roster: error: expires: "31/12/2026" is not a date; use YYYY-MM-DD, an ISO 8601 date-time, +90d (that long from now) or never\n',
    ],
    [
      'an unknown language',
      ['--language', 'klingon'],
      'roster: error: language: "klingon" is not a language; use an ISO 639-1 code (fr, es, pt-BR) or a Chamilo language name (french)\n',
    ],
    ['a blank first name', ['--firstname', '  '], 'roster: error: firstname: is required\n'],
    ['a control character in a name', ['--lastname', 'Love\u0007lace'], 'roster: error: lastname: contains U+0007 (BEL), a control character; remove it\n'],
  ])('refuses %s with exit 5 and one line naming the field, writing nothing', (_label, override, stderr) => {
    const args = [
      'add',
      '--firstname',
      'New',
      '--lastname',
      'Person',
      '--email',
      'new@example.org',
      '--username',
      'newperson',
      '--role',
      'student',
      '--generate-password',
    ];
    for (let i = 0; i < override.length; i += 2) {
      const at = args.indexOf(override[i]!);
      if (at >= 0) args[at + 1] = override[i + 1]!;
      else args.push(override[i]!, override[i + 1]!);
    }
    const before = sandbox.query('SELECT count(*) AS n FROM "user"');
    expect(sandbox.run(args)).toEqual({ code: 5, stdout: '', stderr });
    expect(sandbox.query('SELECT count(*) AS n FROM "user"')).toEqual(before);
  });

  it('reports every invalid value in one go', () => {
    const result = sandbox.run([
      'add',
      '--firstname',
      'A',
      '--lastname',
      'B',
      '--email',
      'bad',
      '--username',
      'b a d',
      '--role',
      'wizard',
      '--expires',
      'someday',
      '--generate-password',
    ]);
    expect(result.code).toBe(5);
    expect(result.stderr.split('\n')).toHaveLength(2);
    for (const field of ['email:', 'username:', 'role:', 'expires:']) expect(result.stderr).toContain(field);
  });

  it('without a terminal, names every missing value at once (exit 2), and never prompts', () => {
    const result = sandbox.run(['add', '--email', 'x@example.org']);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'roster: error: missing required values: --firstname, --lastname, --username, a password (--password-stdin or --generate-password), --role\n  hint: give them as options (see roster add --help), or run roster add in a terminal to be asked\n',
    });
    expect(sandbox.run(['add', '--firstname', 'A', '--lastname', 'B', '--email', 'x@example.org', '--username', 'x', '--generate-password']).stderr).toMatch(
      /^roster: error: missing required values: --role\n/,
    );
  });

  it('takes the password one way only, and never an empty one', () => {
    const base = ['add', '--firstname', 'P', '--lastname', 'W', '--email', 'pw@example.org', '--username', 'pw', '--role', 'student'];
    expect(sandbox.run([...base, '--generate-password', '--password-stdin'], { input: 'x\n' })).toMatchObject({
      code: 2,
      stderr: 'roster: error: give the password one way only: --password-stdin, --generate-password or --password\n',
    });
    expect(sandbox.run([...base, '--password-stdin'], { input: '' })).toMatchObject({
      code: 5,
      stderr: 'roster: error: password: standard input held no password (the first line is read)\n',
    });
    expect(sandbox.run([...base, '--password-stdin'], { input: '\nsecond line\n' }).code).toBe(5);
    expect(sandbox.run([...base, '--password', '']).code).toBe(5);
    expect(sandbox.query('SELECT count(*) AS n FROM "user" WHERE username = \'pw\'')).toEqual([{ n: 0 }]);
    // Only the first line is the password; a Windows line end is not part of it.
    expect(sandbox.run([...base, '--password-stdin'], { input: 'first line pw\r\nignored\n' }).code).toBe(0);
    const [{ password_hash: hash }] = sandbox.query<{ password_hash: string }>('SELECT password_hash FROM "user" WHERE username = \'pw\'') as [
      { password_hash: string },
    ];
    expect(bcrypt.compareSync('first line pw', hash.replace('$2b$', '$2a$'))).toBe(true);
  });

  it('sets extra fields of the right type; an undefined field is not found (exit 3), a wrong value invalid (exit 5)', () => {
    expect(sandbox.run(['field', 'add', 'cohort', '--type', 'number']).code).toBe(0);
    expect(sandbox.run(['field', 'add', 'campus', '--type', 'choice', '--choices', 'north,south']).code).toBe(0);
    const base = ['add', '--firstname', 'F', '--lastname', 'X', '--email', 'fx@example.org', '--username', 'fx', '--role', 'student', '--generate-password'];
    expect(sandbox.run([...base, '--field', 'shoe=42'])).toMatchObject({
      code: 3,
      stderr: 'roster: error: no extra field "shoe"\n  hint: define it first: roster field add shoe --type text\n',
    });
    expect(sandbox.run([...base, '--field', 'cohort=soon'])).toMatchObject({ code: 5, stderr: 'roster: error: cohort: "soon" is not a number\n' });
    expect(sandbox.run([...base, '--field', 'campus=east'])).toMatchObject({ code: 5, stderr: 'roster: error: campus: "east" is not one of: north, south\n' });
    expect(sandbox.run([...base, '--field', 'cohort'])).toMatchObject({ code: 2, stderr: 'roster: error: --field expects name=value, not "cohort"\n' });
    const user = sandbox.json<{ extra: unknown }>([...base, '--field', 'cohort=2026', '--field', 'Campus=NORTH']);
    expect(user.extra).toEqual({ campus: 'north', cohort: 2026 });
  });

  it('keeps a picture URL, stores a local picture as an absolute path, and refuses a missing file (exit 3)', () => {
    const base = (u: string) => [
      'add',
      '--firstname',
      'P',
      '--lastname',
      'X',
      '--email',
      `${u}@example.org`,
      '--username',
      u,
      '--role',
      'student',
      '--generate-password',
    ];
    sandbox.file('face.png', 'png');
    expect(sandbox.json<{ picture: string }>([...base('pic1'), '--picture', 'face.png']).picture).toBe(path.join(sandbox.dir, 'face.png'));
    expect(sandbox.json<{ picture: string }>([...base('pic2'), '--picture', 'https://example.org/a.png']).picture).toBe('https://example.org/a.png');
    const missing = sandbox.run([...base('pic3'), '--picture', 'nowhere.png']);
    expect(missing).toMatchObject({
      code: 3,
      stderr: `roster: error: picture: no file ${path.join(sandbox.dir, 'nowhere.png')}\n  hint: give an existing image path or an http(s) URL\n`,
    });
    // The SQLite file was made by the first command (which failed after opening it).
    if (ENGINE === 'sqlite') expect(fs.existsSync(sandbox.db)).toBe(true);
  });
});
