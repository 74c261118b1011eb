import fs from 'node:fs';
import { Sandbox } from './helpers';
import { seedUsers } from './seed';

interface Person {
  username: string;
  firstname: string;
  lastname: string;
  roles: string[];
  extra?: string[];
}

// Registered one day apart, in this order, from 2026-01-01.
const PEOPLE: Person[] = [
  {
    username: 'elodie',
    firstname: 'Élodie',
    lastname: 'Dupont',
    roles: ['student'],
    extra: ['--official-code', 'STU-001', '--language', 'fr', '--field', 'cohort=2026'],
  },
  {
    username: 'jdupont',
    firstname: 'Jean',
    lastname: 'Dupond',
    roles: ['teacher'],
    extra: ['--official-code', 'TEA-002', '--language', 'fr', '--picture', 'https://example.org/j.png'],
  },
  { username: 'zoe', firstname: 'Zoë', lastname: 'Ångström', roles: ['student', 'admin'], extra: ['--field', 'cohort=2025'] },
  { username: 'bob', firstname: 'Bob', lastname: 'Marley', roles: ['student'], extra: ['--inactive', '--expires', '2026-01-15'] },
  { username: 'li', firstname: 'Li', lastname: 'Wu', roles: ['session_admin'], extra: ['--expires', '2026-06-30'] },
  { username: 'eve', firstname: '=HYPERLINK("http://evil")', lastname: 'de Vries, "Jr"', roles: ['invitee'] },
];

describe('roster list and search', () => {
  const sandbox = new Sandbox();
  const NOW = { ROSTER_TEST_NOW: '2026-03-01T00:00:00Z' };
  const list = (args: string[]) => sandbox.run(['list', ...args], { env: NOW });
  const usernames = (command: string[]) => {
    const result = sandbox.run([...command, '--format', 'ids'], { env: NOW });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const byId = new Map(sandbox.query<{ id: number; username: string }>('SELECT id, username FROM "user"').map((u) => [String(u.id), u.username]));
    return result.stdout
      .split('\n')
      .filter(Boolean)
      .map((ref) => byId.get(ref.replace(/^id:/, '')));
  };

  beforeAll(() => {
    sandbox.run(['field', 'add', 'cohort', '--type', 'number']);
    PEOPLE.forEach((p, i) => {
      const args = [
        'add',
        '--username',
        p.username,
        '--email',
        `${p.username}@example.org`,
        '--firstname',
        p.firstname,
        '--lastname',
        p.lastname,
        '--generate-password',
        ...(p.extra ?? []),
      ];
      for (const role of p.roles) args.push('--role', role);
      const result = sandbox.run(args, { env: { ROSTER_TEST_NOW: new Date(Date.UTC(2026, 0, 1 + i, 8)).toISOString() } });
      if (result.code !== 0) throw new Error(result.stderr);
    });
    // No login command yet: record logins directly.
    const login = 'UPDATE "user" SET last_login_at = ? WHERE username = ?';
    sandbox.transaction([
      { sql: login, params: ['2025-06-01T10:00:00.000Z', 'jdupont'] },
      { sql: login, params: ['2026-02-20T10:00:00.000Z', 'zoe'] },
      { sql: login, params: ['2026-02-25T10:00:00.000Z', 'li'] },
    ]);
  });
  afterAll(() => sandbox.cleanup());

  describe('formats', () => {
    it('a table for people: the administration panel columns, sorted by last name (accents and case folded)', () => {
      const result = list([]);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      const lines = result.stdout.split('\n');
      expect(lines[1]).toMatch(/│ Name\s+│ Username\s+│ Email\s+│ Roles\s+│ Active\s+│ Registered │ Last login │ Pic │/);
      const rows = lines.filter((l) => /^│ (?!Name)/.test(l));
      expect(rows.map((l) => l.split('│')[2]!.trim())).toEqual(['zoe', 'eve', 'jdupont', 'elodie', 'bob', 'li']);
      const jean = rows
        .find((l) => l.includes('jdupont'))!
        .split('│')
        .map((c) => c.trim());
      expect(jean).toEqual(['', 'Dupond, Jean', 'jdupont', 'jdupont@example.org', 'teacher', 'yes', '2026-01-02', '2025-06-01', 'yes', '']);
      const bob = rows
        .find((l) => l.includes('bob'))!
        .split('│')
        .map((c) => c.trim());
      expect(bob.slice(4, 9)).toEqual(['student', 'no', '2026-01-04', 'never', '']);
      expect(rows.find((l) => l.includes('zoe'))).toContain('student, admin');
    });

    it('an empty selection: no table, a note on stderr, exit 0', () => {
      expect(list(['--role', 'hr_manager'])).toEqual({ code: 0, stdout: '', stderr: 'no users match\n' });
      expect(list(['--role', 'hr_manager', '--json'])).toEqual({ code: 0, stdout: '[]\n', stderr: '' });
      expect(list(['--role', 'hr_manager', '--format', 'csv']).stdout).toMatch(/^UserId;LastName;FirstName;Email;UserName;.*;Sessions\r\n$/);
      expect(list(['--role', 'hr_manager', '--format', 'ids'])).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(list(['--role', 'hr_manager', '--format', 'count'])).toEqual({ code: 0, stdout: '0\n', stderr: '' });
    });

    it('--json: an array of users in the contract shape', () => {
      const users = sandbox.json<Record<string, unknown>[]>(['list', '--role', 'student']);
      expect(users.map((u) => u.username)).toEqual(['zoe', 'elodie', 'bob']);
      expect(users[1]).toEqual({
        id: expect.any(Number),
        username: 'elodie',
        email: 'elodie@example.org',
        firstname: 'Élodie',
        lastname: 'Dupont',
        roles: ['student'],
        active: true,
        language: 'fr',
        officialCode: 'STU-001',
        phone: null,
        picture: null,
        authSource: 'platform',
        expiresAt: null,
        registeredAt: '2026-01-01T08:00:00.000Z',
        lastLoginAt: null,
        deletedAt: null,
        anonymizedAt: null,
        system: false,
        extra: { cohort: 2026 },
      });
      expect(JSON.stringify(users)).not.toMatch(/password|\$2b\$/);
      expect(list(['--format', 'json']).stdout).toBe(list(['--json']).stdout);
    });

    it('--format csv: a header, quoted where needed, formulas neutralised, roles joined by |', () => {
      const fields = 'id,username,email,firstname,lastname,roles,active,language,officialCode,phone,picture,registeredAt,lastLoginAt,expires,deletedAt';
      const result = list(['--format', 'csv', '--delimiter', ',', '--fields', fields, '--sort', 'registered']);
      expect(result.code).toBe(0);
      const lines = result.stdout.trimEnd().split('\r\n');
      expect(lines[0]).toBe(
        'UserId,UserName,Email,FirstName,LastName,Roles,Active,language,OfficialCode,PhoneNumber,Picture,RegistrationDate,LastLogin,ExpiryDate,DeletedAt',
      );
      expect(lines).toHaveLength(7);
      expect(lines[1]).toMatch(/^\d+,elodie,elodie@example.org,Élodie,Dupont,student,1,fr,STU-001,,,2026-01-01T08:00:00.000Z,,,$/);
      expect(lines[3]).toMatch(/,zoe,zoe@example.org,Zoë,Ångström,student\|admin,1,en,/);
      expect(lines[4]).toMatch(/,bob,.*,student,0,en,.*,2026-01-15T23:59:59.999Z,$/);
      expect(lines[6]).toMatch(/^\d+,eve,eve@example.org,"'=HYPERLINK\(""http:\/\/evil""\)","de Vries, ""Jr""",invitee,1,/);
    });

    it('--format ids and count', () => {
      const refs = list(['--format', 'ids', '--sort', 'id']).stdout.trim().split('\n');
      expect(refs.every((r) => /^id:\d+$/.test(r))).toBe(true);
      const ids = refs.map((r) => Number(r.slice(3)));
      expect(ids).toEqual(sandbox.query<{ id: number }>('SELECT id FROM "user" WHERE is_system = 0 ORDER BY id').map((r) => r.id));
      expect(list(['--format', 'count'])).toEqual({ code: 0, stdout: '6\n', stderr: '' });
      expect(list(['--format', 'count', '--json']).stdout).toBe('{"count":6}\n');
      // The count is that of what the same paging would list.
      expect(list(['--format', 'count', '--limit', '2']).stdout).toBe('2\n');
      expect(list(['--format', 'count', '--offset', '5']).stdout).toBe('1\n');
      expect(list(['--format', 'count', '--offset', '100']).stdout).toBe('0\n');
      for (const format of ['csv', 'ids', 'table']) {
        expect(list(['--format', format, '--json'])).toMatchObject({
          code: 2,
          stdout: '',
          stderr: `roster: error: --json and --format ${format} ask for two different outputs\n  hint: use one of them (--format count --json gives {"count": n})\n`,
        });
      }
      expect(JSON.parse(list(['--format', 'json', '--json']).stdout)).toHaveLength(6);
      // Refused before the database is opened: none is created for a usage error.
      const elsewhere = `${sandbox.dir}/not-made.db`;
      for (const args of [
        ['--format', 'csv', '--json'],
        ['--active', '--inactive'],
        ['--course', 'X', '--no-course'],
      ])
        expect(list([...args, '--db', elsewhere]).code).toBe(2);
      expect(sandbox.run(['export', '--json', '--format', 'xml', '--db', elsewhere]).code).toBe(2);
      expect(fs.existsSync(elsewhere)).toBe(false);
      expect(list(['--format', 'count', '--system']).stdout).toBe('7\n');
    });
  });

  describe('filters', () => {
    // What each filter selects is tested in-process (test/unit/list-search.test.ts); here, that the
    // command line reaches it: repeated, boolean and valued options together.
    it('several filters at once (AND), as options on the command line', () => {
      expect(usernames(['list', '--role', 'student', '--role', 'teacher', '--active', '--never-logged-in', '--registered-before', '57d'])).toEqual(['elodie']);
      expect(usernames(['list', '--system', '--inactive'])).toEqual(['bob', 'fallback']);
    });

    it('count the same selection', () => {
      expect(list(['--role', 'student', '--active', '--format', 'count']).stdout).toBe('2\n');
      expect(list(['--inactive-since', '55d', '--format', 'count']).stdout).toBe('3\n');
    });

    it.each<[string[], number, string]>([
      [
        ['--role', 'wizard'],
        5,
        'roster: error: role: unknown role "wizard"\n  hint: known roles: student, teacher, session_admin, hr_manager, invitee, admin\n',
      ],
      [['--active', '--inactive'], 2, 'roster: error: --active and --inactive exclude each other\n'],
      [
        ['--registered-since', '2026-02-31'],
        5,
        'roster: error: --registered-since: "2026-02-31" is neither a date nor a duration; use YYYY-MM-DD, an ISO 8601 date-time, or a duration such as 30d, 12h, 6w\n',
      ],
      [
        ['--inactive-since', 'long'],
        5,
        'roster: error: --inactive-since: "long" is not a duration; dormancy is counted in days, weeks or years, e.g. 180d, 26w, 1y\n',
      ],
      [
        ['--language', 'klingon'],
        5,
        'roster: error: --language: "klingon" is not a language; use an ISO 639-1 code (fr, es, pt-BR) or a Chamilo language name (french)\n',
      ],
      [['--field', 'shoe=42'], 3, 'roster: error: no extra field "shoe"\n  hint: define it first: roster field add shoe --type text\n'],
      [['--field', 'cohort=soon'], 5, 'roster: error: cohort: "soon" is not a number\n'],
      [['--course', 'MATH101'], 3, 'roster: error: no course "MATH101"\n  hint: see roster course list\n'],
    ])('refuses %p with one line and the right code', (args, code, stderr) => {
      expect(list(args)).toEqual({ code, stdout: '', stderr });
    });
  });

  describe('sorting and paging', () => {
    it('--sort, --desc, --limit and --offset on the command line', () => {
      expect(usernames(['list', '--sort', 'last-login', '--desc', '--limit', '3'])).toEqual(['li', 'zoe', 'jdupont']);
      expect(usernames(['list', '--sort', 'registered', '--limit', '2', '--offset', '2'])).toEqual(['zoe', 'bob']);
    });
  });

  describe('search', () => {
    it('a keyword with the options of search and of list', () => {
      expect(usernames(['search', 'ÉLO'])).toEqual(['elodie']);
      expect(usernames(['search', 'dupon', '--firstname', 'jean'])).toEqual(['jdupont']);
      expect(usernames(['search', '--official-code', 'st', '--language', 'fr'])).toEqual(['elodie']);
      expect(usernames(['search', 'e', '--sort', 'registered', '--desc', '--limit', '2'])).toEqual(['eve', 'li']);
    });

    it('prints a table, JSON, CSV or a count like list', () => {
      expect(sandbox.run(['search', 'dupon', '--format', 'count']).stdout).toBe('2\n');
      expect(sandbox.json<{ username: string }[]>(['search', 'dupon']).map((u) => u.username)).toEqual(['jdupont', 'elodie']);
      expect(sandbox.run(['search', 'dupon', '--format', 'csv']).stdout.split('\n')).toHaveLength(4);
      const table = sandbox.run(['search', 'wu']);
      expect(table.stdout).toContain('│ Wu, Li');
      expect(sandbox.run(['search', 'zzzz'])).toEqual({ code: 0, stdout: '', stderr: 'no users match\n' });
    });

    it('needs something to search for (exit 2)', () => {
      const expected = {
        code: 2,
        stdout: '',
        stderr:
          'roster: error: search needs a keyword or one of --firstname, --lastname, --username, --email, --official-code\n  hint: to see everyone, use roster list\n',
      };
      expect(sandbox.run(['search'])).toEqual(expected);
      expect(sandbox.run(['search', '  ', '--role', 'student'])).toEqual(expected);
    });
  });
});

describe('roster list as a table, past one page', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());

  it('draws one aligned table for 1,005 users, shortening a late long name, and says so on stderr', () => {
    const users = Array.from({ length: 1005 }, (_, i) => ({
      username: `u${String(i).padStart(4, '0')}`,
      lastname: i === 1003 ? 'Wolfeschlegelsteinhausenbergerdorff' : 'Short',
    }));
    seedUsers(sandbox, users);
    const result = sandbox.run(['list', '--sort', 'username']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1005 + 4);
    expect(lines.filter((l) => l.startsWith('│ Name'))).toHaveLength(1);
    expect(new Set(lines.map((l) => [...l].length)).size).toBe(1);
    expect(lines[1003 + 3]).toMatch(/^│ Wolfeschle\S*… +│ u1003 /);
    expect(result.stderr).toBe('some values were shortened to fit the table; --format csv or --json shows them whole\n');
    // The whole value is in the other formats.
    expect(sandbox.run(['list', '--format', 'csv']).stdout).toContain('Wolfeschlegelsteinhausenbergerdorff');
  });
});
