import { Sandbox } from './helpers';
import { foldedKey } from '../../src/shared/folding';

const PASSWORD_INPUT = 'correct horse battery\n';

/** The characters that must never reach a terminal raw: ESC, CSI (C1), BEL, the RTL override. */
const RAW = /[\u001b\u009b\u0007\u202e]/u;
/** A visible escape of ESC. */
const ESCAPED_ESC = /\\x1b|\\u001b|\\u\{1b\}/i;

function countUsers(sandbox: Sandbox, username: string): number {
  return sandbox.query<{ n: number }>('SELECT count(*) AS n FROM "user" WHERE username_key = ?', username.toLowerCase())[0]!.n;
}

describe('issue 9: control and invisible characters are refused in every stored text field', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());

  let serial = 0;
  /** roster add with clean defaults, one option overridden. */
  const add = (override: Record<string, string>) => {
    const username = `u${++serial}x`;
    const values: Record<string, string> = { firstname: 'Clean', lastname: 'Person', email: `${username}@example.org`, username, ...override };
    const args = ['add', '--role', 'student', '--password-stdin'];
    for (const [option, value] of Object.entries(values)) args.push(`--${option}`, value);
    return { username: values.username!, result: sandbox.run(args, { input: PASSWORD_INPUT }) };
  };

  beforeAll(() => {
    expect(sandbox.run(['db', 'migrate']).code).toBe(0);
  });

  it.each([
    ['firstname', 'Mal\u001b[31mlory', /firstname/i],
    ['lastname', 'Pwn\u001b[2Jed', /lastname/i],
    ['email', 'a\u001b]0;pwn\u0007@example.org', /email/i],
    ['official-code', 'OC-\u001b[1m77', /official[-_ ]?code/i],
    ['phone', '+33 6\u001b[8m12', /phone/i],
  ])('add --%s holding ESC is refused with exit 5, naming the field and U+001B', (option, value, field) => {
    const { username, result } = add({ [option]: value });
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(field);
    expect(result.stderr).toContain('U+001B');
    expect(result.stderr + result.stdout).not.toMatch(RAW);
    expect(countUsers(sandbox, username)).toBe(0);
  });

  it('add refuses the C1 control U+009B (CSI) in a name, naming it', () => {
    const { username, result } = add({ firstname: 'Mal\u009b31mlory' });
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/firstname/i);
    expect(result.stderr).toContain('U+009B');
    expect(result.stderr + result.stdout).not.toMatch(RAW);
    expect(countUsers(sandbox, username)).toBe(0);
  });

  it.each([
    ['U+202E', 'ab\u202Egro.elpmaxe@cd.example.org'],
    ['U+2066', 'ab\u2066cd@example.org'],
  ])('add refuses the bidi control %s in the email, naming it', (code, email) => {
    const { username, result } = add({ email });
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/email/i);
    expect(result.stderr).toContain(code);
    expect(result.stderr + result.stdout).not.toMatch(RAW);
    expect(countUsers(sandbox, username)).toBe(0);
  });

  it('add refuses the zero-width space U+200B in a name, naming it', () => {
    const { username, result } = add({ firstname: 'Ad\u200Bmin' });
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/firstname/i);
    expect(result.stderr).toContain('U+200B');
    expect(countUsers(sandbox, username)).toBe(0);
  });

  it.each([
    ['course add C1 --title', ['course', 'add', 'C1', '--title', 'Algebra\u001b]0;x\u0007'], 5],
    ['session add --name', ['session', 'add', 'Spring\u202e2026', '--start', '2026-03-01', '--end', '2026-06-30'], 5],
    ['field add --label', ['field', 'add', 'hostile', '--label', 'Co\u001b[2Jhort'], 5],
    ['field add --choices', ['field', 'add', 'hostile2', '--type', 'choice', '--choices', 'a,b\u009b1m'], 5],
    ['config set base-url', ['config', 'set', 'base-url', 'https://campus.example.org/\u001b]0;x\u0007'], 5],
    ['--actor', ['role', 'list', '--actor', 'eve\u001b[2J'], 2],
  ])('%s holding a control character is refused, naming the code point, and nothing is stored', (_label, args, code) => {
    const result = sandbox.run(args);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(/U\+(001B|202E|009B)/);
    expect(result.stderr).not.toMatch(RAW);
    expect(sandbox.query("SELECT count(*) AS n FROM course WHERE code_key = 'c1'")).toEqual([{ n: 0 }]);
    expect(sandbox.query("SELECT count(*) AS n FROM extra_field WHERE name LIKE 'hostile%'")).toEqual([{ n: 0 }]);
  });

  describe('import', () => {
    beforeAll(() => {
      expect(sandbox.run(['field', 'add', 'note', '--type', 'text']).code).toBe(0);
    });

    const header = 'LastName;FirstName;Email;UserName;Password;AuthSource;Status;note';
    const importRows = (name: string, rows: string[]) => sandbox.run(['import', sandbox.file(name, `${[header, ...rows].join('\n')}\n`)]);

    it.each([
      ['AuthSource', /auth[-_ ]?source/i, (u: string) => `Bad;Row;${u}@example.org;${u};password1;ld\u001b[2Jap;5;fine`],
      ['Email', /email/i, (u: string) => `Bad;Row;${u}\u001b[2J@example.org;${u};password1;platform;5;fine`],
      ['note (a text extra field)', /note/i, (u: string) => `Bad;Row;${u}@example.org;${u};password1;platform;5;no\u001b[31m\u0007te`],
    ])('a row whose %s holds ESC fails, naming the field and U+001B', (label, field, badRow) => {
      const good = `good${++serial}`;
      const bad = `bad${++serial}`;
      const result = importRows(`esc-${label.split(' ')[0]!.toLowerCase()}.csv`, [
        `Good;Row;${good}@example.org;${good};password1;platform;5;hello`,
        badRow(bad),
      ]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(field);
      expect(result.stderr).toContain('U+001B');
      expect(result.stderr + result.stdout).not.toMatch(RAW);
      expect(countUsers(sandbox, bad)).toBe(0);
    });

    it('every field has a length limit: a 500 KB AuthSource fails its row; a 10,000-character phone is refused', () => {
      const good = `good${++serial}`;
      const big = `big${++serial}`;
      const result = importRows('long-authsource.csv', [
        `Good;Row;${good}@example.org;${good};password1;platform;5;hello`,
        `Big;Row;${big}@example.org;${big};password1;${'L'.repeat(500 * 1024)};5;x`,
      ]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/auth[-_ ]?source/i);
      expect(countUsers(sandbox, big)).toBe(0);
      expect(sandbox.query('SELECT count(*) AS n FROM "user" WHERE length(auth_source) > 1000')).toEqual([{ n: 0 }]);

      const { username, result: phone } = add({ phone: '1'.repeat(10_000) });
      expect(phone.code).toBe(5);
      expect(phone.stderr).toMatch(/phone/i);
      expect(countUsers(sandbox, username)).toBe(0);
    });
  });
});

describe('issue 9: hostile text already in the database is escaped on output (--json is exempt)', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());

  const firstname = 'Mal\u001b[2J\u001b]0;owned\u0007lory';
  const lastname = 'Evil\u202eRtl';
  const email = 'mal\u009b31mlory@example.org';

  beforeAll(() => {
    // Written past every check, as an older version or another tool could have.
    sandbox.transaction([
      {
        sql: `INSERT INTO "user" (username, username_key, email, email_key, firstname, lastname, firstname_key, lastname_key, username_fold_key, email_fold_key,
            password_hash, language, active, registered_at, created_by)
          VALUES ('mallory', 'mallory', ?, ?, ?, ?, ?, ?, 'mallory', ?, NULL, 'en', 1, '2026-01-01T00:00:00.000Z', 'seed')`,
        params: [email, email, firstname, lastname, foldedKey(firstname), foldedKey(lastname), foldedKey(email)],
      },
      { sql: "INSERT INTO user_role (user_id, role) SELECT id, 'student' FROM \"user\" WHERE username_key = 'mallory'", params: [] },
    ]);
  });

  const expectEscaped = (result: { code: number; stdout: string; stderr: string }) => {
    expect(result.stdout).not.toMatch(RAW);
    expect(result.stderr).not.toMatch(RAW);
    expect(result.stdout + result.stderr).toMatch(ESCAPED_ESC);
  };

  it('list shows the name escaped', () => {
    const result = sandbox.run(['list']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('mallory');
    expectEscaped(result);
  });

  it('show shows the name, email and last name escaped', () => {
    const result = sandbox.run(['show', 'mallory']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('mallory');
    expectEscaped(result);
  });

  it('search shows the match escaped', () => {
    const result = sandbox.run(['search', 'mallory']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('mallory');
    expectEscaped(result);
  });

  it('an error that echoes a reference holding ESC escapes it', () => {
    const result = sandbox.run(['show', 'x\u001b]0;owned\u0007y']);
    expect(result.code).toBe(3);
    expectEscaped(result);
  });
});
