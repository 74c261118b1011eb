import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Sandbox } from './helpers';
import { seedUsers } from './seed';
import { itOnSqlite } from '../support/engine';

/** Issue 10, "what a sysadmin tripped over": each test failed on the code before its fix. */
describe('issue 10: imports and exports', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());
  beforeAll(() => {
    seedUsers(sandbox, [{ username: 'boss', roles: ['admin'] }]);
  });

  it.each([
    ['an ELF program', Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01', 'latin1'), Buffer.alloc(64, 1)]), 'is a program (ELF)'],
    ['an SQLite database', Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(64, 0xff)]), 'is an SQLite database'],
    ['a gzip file', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe, 0x00, 0x00]), 'is gzip-compressed'],
  ])('diagnoses %s as binary before any encoding (exit 5), not as "not valid UTF-8"', (_label, bytes, message) => {
    const file = sandbox.file('binary.csv', bytes);
    const result = sandbox.run(['import', file]);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toContain('UTF-8');
  });

  it('re-importing a report gives a report with one ImportError column', () => {
    sandbox.file('first.csv', 'LastName;FirstName;Email;UserName;Password\nL;F;not-an-email;rep1;long secret 1\n');
    expect(sandbox.run(['import', 'first.csv', '--report', 'rejected.csv']).code).toBe(6);
    expect(sandbox.run(['import', 'rejected.csv', '--report', 'rejected-again.csv']).code).toBe(6);
    const [header] = fs.readFileSync(`${sandbox.dir}/rejected-again.csv`, 'utf8').split('\r\n');
    expect(header).toBe('LastName;FirstName;Email;UserName;Password;ImportError');
  });

  it('exports an admin-only user as Status 1, as Chamilo writes its platform admins', () => {
    const result = sandbox.run(['export', '-', '--columns', 'UserName,Status']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('boss;1');
  });

  it('a failing --atomic import refuses before hashing a single password, and reports no generated password', () => {
    const rows = ['LastName;FirstName;Email;UserName;Password'];
    for (let i = 0; i < 60; i++) rows.push(`L${i};F${i};atom${i}@example.org;atom${i};${i === 30 ? '' : `long secret ${i}`}`);
    rows.push('Bad;Row;not-an-email;atombad;long secret x');
    sandbox.file('atomic.csv', `${rows.join('\n')}\n`);
    const started = Date.now();
    // Cost 14: hashing 60 passwords would take minutes on these machines.
    const result = sandbox.run(['import', 'atomic.csv', '--atomic', '--json'], { env: { ROSTER_BCRYPT_COST: '14' } });
    expect(result.code).toBe(5);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(JSON.parse(result.stdout)).toMatchObject({ created: 0, failed: 1, generatedPasswords: 0 });
    expect(sandbox.query('SELECT count(*) AS n FROM "user" WHERE username LIKE \'atom%\'')).toEqual([{ n: 0 }]);
  });
});

describe('issue 10: values that surprise', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());
  beforeAll(() => {
    seedUsers(sandbox, [{ username: 'boss', roles: ['admin'] }, { username: 'bob' }]);
  });
  const add = (username: string, extra: string[]) =>
    sandbox.run(
      [
        'add',
        '--username',
        username,
        '--email',
        `${username}@example.org`,
        '--firstname',
        'A',
        '--lastname',
        'B',
        '--role',
        'student',
        '--password-stdin',
        ...extra,
      ],
      {
        input: 'correct horse battery\n',
      },
    );

  it('add --expires in the past warns that the account is created expired', () => {
    const result = add('lateone', ['--expires', '2020-11-01']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('roster: warning: the expiration date 2020-11-01 has passed');
  });

  it('edit --expires in the past warns, and is refused for the last active admin (exit 4), so that cron does not fail every run', () => {
    const bob = sandbox.run(['edit', 'bob', '--expires', '2020-11-01']);
    expect(bob.code).toBe(0);
    expect(bob.stderr).toContain('has passed');
    const boss = sandbox.run(['edit', 'boss', '--expires', '2020-11-01']);
    expect(boss.code).toBe(4);
    expect(boss.stderr).toContain('last active admin');
    expect(sandbox.query('SELECT expires_at FROM "user" WHERE username = \'boss\'')).toEqual([{ expires_at: null }]);
  });

  it.each(['qq', 'xx-YY'])('a language code of the right shape that is no language (%s) is refused (exit 5)', (code) => {
    const result = add(`lang${code.replace('-', '')}`, ['--language', code]);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('is not a language');
  });
});

describe('issue 10: references and pipelines', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());

  it('student numbers as usernames: list --format ids | enroll - works for every user, with no ambiguity', () => {
    seedUsers(sandbox, [{ username: 'boss', roles: ['admin'] }]);
    expect(sandbox.run(['field', 'add', 'cohort', '--type', 'number']).code).toBe(0);
    expect(sandbox.run(['course', 'add', 'C', '--title', 'Course']).code).toBe(0);
    // Ids 3 to 17; usernames "15", "16", … are other users' ids.
    for (let n = 15; n < 30; n++) sandbox.addUser(String(n), ['--field', 'cohort=2025']);
    const ids = sandbox.run(['list', '--field', 'cohort=2025', '--format', 'ids']);
    expect(ids.stdout.trim().split('\n')).toHaveLength(15);
    const enrolled = sandbox.run(['enroll', '-', '--course', 'C', '--yes', '--json'], { input: ids.stdout });
    expect(enrolled.code).toBe(0);
    expect((JSON.parse(enrolled.stdout) as { changed: number }).changed).toBe(15);
    // A bare number is the username when one exists: "15" is the user named 15, not id 15.
    expect(sandbox.json<{ username: string }>(['show', '15']).username).toBe('15');
  });

  it('list leaves anonymized accounts out, so list … --format ids | deactivate - never fails on them', () => {
    sandbox.addUser('gone');
    expect(sandbox.run(['anonymize', 'gone', '--yes']).code).toBe(0);
    const ids = sandbox.run(['list', '--role', 'student', '--format', 'ids']);
    const result = sandbox.run(['deactivate', '-', '--yes', '--dry-run', '--json'], { input: ids.stdout });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ failed: [], changed: 15 });
  });
});

describe('issue 10: the audit log', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());
  beforeAll(() => {
    seedUsers(sandbox, [{ username: 'boss', roles: ['admin'] }]);
    sandbox.addUser('ada');
    expect(sandbox.run(['edit', 'ada', '--phone', '+44 1', '--actor', 'dean']).code).toBe(0);
  });

  it('shows the username of the account an entry is about', () => {
    const result = sandbox.run(['audit', '--user', 'ada']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/user\.edit user ada \(id:\d+\)/);
  });

  it('refuses an action name roster never writes (exit 2) instead of listing nothing', () => {
    const result = sandbox.run(['audit', '--action', 'nope']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('"nope" is no action roster records');
    expect(sandbox.run(['audit', '--action', 'user']).code).toBe(0);
  });

  it('--format csv writes one entry a row, with the username and the details as JSON', () => {
    const result = sandbox.run(['audit', '--action', 'user.edit', '--format', 'csv']);
    expect(result.code).toBe(0);
    const [header, row] = result.stdout.split('\r\n');
    expect(header).toBe('id;at;actor;action;userId;username;details');
    expect(row).toMatch(/^\d+;[^;]+;dean;user\.edit;\d+;ada;"\{""changes"":\[\{""field"":""phone""/);
  });
});

describe('issue 10: the role in a course is not the platform role', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());
  beforeAll(() => {
    seedUsers(sandbox, [{ username: 'boss', roles: ['admin'] }, { username: 'stu' }, { username: 'tutor' }]);
    expect(sandbox.run(['course', 'add', 'MATH101', '--title', 'Maths']).code).toBe(0);
    expect(sandbox.run(['enroll', 'stu', '--course', 'MATH101']).code).toBe(0);
    // A student on the platform who teaches MATH101.
    expect(sandbox.run(['enroll', 'tutor', '--course', 'MATH101', '--as', 'teacher']).code).toBe(0);
  });

  it('unenroll --course MATH101 --as student removes the students of the course, not the student who teaches it', () => {
    const dry = sandbox.json<{ users: { username: string }[] }>(['unenroll', '--course', 'MATH101', '--as', 'student', '--dry-run']);
    expect(dry.users.map((u) => u.username)).toEqual(['stu']);
    // The platform role selects both: that is what --as is for.
    const byRole = sandbox.json<{ users: { username: string }[] }>(['unenroll', '--course', 'MATH101', '--role', 'student', '--dry-run']);
    expect(byRole.users.map((u) => u.username).sort()).toEqual(['stu', 'tutor']);
  });

  it('list --course MATH101 --as teacher lists who teaches it; --as without --course is a usage error', () => {
    expect(sandbox.json<{ username: string }[]>(['list', '--course', 'MATH101', '--as', 'teacher']).map((u) => u.username)).toEqual(['tutor']);
    expect(sandbox.run(['list', '--as', 'teacher']).code).toBe(2);
  });
});

describe('issue 10: a purged coach hands the sessions on', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());
  beforeAll(() => {
    seedUsers(sandbox, [
      { username: 'boss', roles: ['admin'] },
      { username: 'coach', roles: ['teacher'] },
      { username: 'heir', roles: ['teacher'] },
    ]);
    expect(sandbox.run(['session', 'add', 'Spring 2027', '--start', '2027-03-01', '--end', '2027-06-30', '--coach', 'coach']).code).toBe(0);
    expect(sandbox.run(['delete', 'coach', '--yes']).code).toBe(0);
  });

  it('purge warns about coached sessions, hands them to --reassign-to, and audits them', () => {
    const sessionId = sandbox.query<{ id: number }>("SELECT id FROM training_session WHERE name = 'Spring 2027'")[0]!.id;
    const result = sandbox.run(['purge', 'coach', '--reassign-to', 'heir', '--yes']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('coach coaches a session: "Spring 2027"');
    expect(result.stdout).toContain('handed the coaching of 1 session(s) to heir');
    const heir = sandbox.query<{ id: number }>('SELECT id FROM "user" WHERE username = \'heir\'')[0]!.id;
    expect(sandbox.query('SELECT coach_id FROM training_session WHERE id = ?', sessionId)).toEqual([{ coach_id: heir }]);
    const [row] = sandbox.query<{ details: string }>("SELECT details FROM audit_log WHERE action = 'user.purge'");
    expect(JSON.parse(row!.details)).toMatchObject({ sessionsHandedOver: [sessionId], handedTo: heir });
  });
});

describe('issue 10: --on-existing update keeps what users changed themselves', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());
  const file = 'LastName;FirstName;Email;UserName;Password;Status\nLee;Ann;ann@example.org;ann;file secret 1;5\n';
  beforeAll(() => {
    seedUsers(sandbox, [{ username: 'boss', roles: ['admin'] }]);
    sandbox.file('people.csv', file);
    expect(sandbox.run(['import', 'people.csv']).code).toBe(0);
  });

  it('a rerun with update does not reset passwords (only --update-passwords does), and names the rows it skipped', async () => {
    const bcrypt = (await import('bcryptjs')).default;
    const hash = () => sandbox.query<{ password_hash: string }>('SELECT password_hash FROM "user" WHERE username = \'ann\'')[0]!.password_hash;
    const before = hash();
    const rerun = sandbox.run(['import', 'people.csv', '--on-existing', 'update', '--json']);
    expect(rerun.code).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ updated: 0, skipped: 1, skippedRows: [{ row: 2, username: 'ann' }] });
    expect(hash()).toBe(before);
    const verbose = sandbox.run(['import', 'people.csv', '--verbose']);
    expect(verbose.stderr).toContain('roster: row 2: skipped: user ann exists (--on-existing skip)');
    sandbox.file('new-password.csv', file.replace('file secret 1', 'file secret 2'));
    expect(sandbox.run(['import', 'new-password.csv', '--on-existing', 'update', '--update-passwords']).code).toBe(0);
    expect(bcrypt.compareSync('file secret 2', hash().replace(/^\$2b\$/, '$2a$'))).toBe(true);
  });

  it('--replace-roles replaces the roles; without it the file only adds', () => {
    sandbox.file('teacher.csv', 'LastName;FirstName;Email;UserName;Status\nLee;Ann;ann@example.org;ann;1\n');
    expect(sandbox.run(['import', 'teacher.csv', '--on-existing', 'update']).code).toBe(0);
    expect(sandbox.json<{ roles: string[] }>(['show', 'ann']).roles).toEqual(['student', 'teacher']);
    expect(sandbox.run(['import', 'teacher.csv', '--on-existing', 'update', '--replace-roles']).code).toBe(0);
    expect(sandbox.json<{ roles: string[] }>(['show', 'ann']).roles).toEqual(['teacher']);
    expect(sandbox.run(['import', 'teacher.csv', '--replace-roles']).code).toBe(2);
  });
});

describe('issue 10: help offers only the options that work', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());

  it.each([
    ['expire', ['--deleted', '--inactive ']],
    ['activate', ['--active ', '--deleted']],
    ['deactivate', ['--inactive ', '--deleted']],
    ['restore', ['--deleted ']],
    ['purge', ['--deleted ']],
  ])('roster %s --help does not offer %p', (command, options) => {
    const help = sandbox.run([command, '--help']);
    expect(help.code).toBe(0);
    for (const option of options) expect(help.stdout).not.toContain(`  ${option}`);
    expect(sandbox.run([command, options[0]!.trim(), '--yes']).code).toBe(2);
  });
});

describe('issue 10: what the output says', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());

  it('add --inactive says the account is inactive, not that "inactive" is a role', () => {
    const result = sandbox.run(
      [
        'add',
        '--username',
        'quiet',
        '--email',
        'quiet@example.org',
        '--firstname',
        'Q',
        '--lastname',
        'T',
        '--role',
        'student',
        '--inactive',
        '--password-stdin',
      ],
      {
        input: 'correct horse battery\n',
      },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('roles: student (inactive)');
  });

  it('the unknown-column hint does not suggest mapping a column onto LastName', () => {
    sandbox.file('birth.csv', 'LastName;FirstName;Email;UserName;Password;birthdate\nL;F;b@example.org;bx;long secret 1;2001-01-01\n');
    const result = sandbox.run(['import', 'birth.csv']);
    expect(result.code).toBe(5);
    expect(result.stderr).not.toContain('=LastName');
    expect(result.stderr).toContain('--map "birthdate=<target>"');
    expect(result.stderr).toContain('roster field add birthdate');
  });
});

describe('issue 10: the table', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());

  it('shows "expired" in the Active column for an active account past its expiration date', () => {
    seedUsers(sandbox, [{ username: 'lapsed', expiresAt: '2020-01-01T23:59:59.999Z' }, { username: 'fine' }]);
    const table = sandbox.run(['list']).stdout.split('\n');
    expect(table.find((l) => l.includes('lapsed'))).toMatch(/│ expired │/);
    expect(table.find((l) => l.includes(' fine '))).toMatch(/│ yes +│/);
  });
});

describe('issue 10: export then import keeps the deleted and anonymized state', () => {
  const source = new Sandbox();
  const target = new Sandbox();
  afterAll(() => {
    source.cleanup();
    target.cleanup();
  });
  beforeAll(() => {
    seedUsers(source, [{ username: 'boss', roles: ['admin'] }, { username: 'gone' }, { username: 'erased' }, { username: 'live' }]);
    expect(source.run(['delete', 'gone', '--yes']).code).toBe(0);
    expect(source.run(['anonymize', 'erased', '--yes']).code).toBe(0);
    seedUsers(target, [{ username: 'boss', roles: ['admin'] }]);
  });
  const state = (sandbox: Sandbox) =>
    sandbox
      .query<{ username: string; deleted: number; anonymized: number; active: number; hashless: number }>(
        'SELECT username, deleted_at IS NOT NULL AS deleted, anonymized_at IS NOT NULL AS anonymized, active, password_hash IS NULL AS hashless FROM "user" WHERE is_system = 0 AND username != ? ORDER BY username',
        'boss',
      )
      .map((u) => ({ username: u.username.replace(/^anonymous-\d+$/, 'anonymous'), deleted: u.deleted, anonymized: u.anonymized, active: u.active }));

  // import: not yet on PostgreSQL.
  it.each(['csv', 'xml', 'json'])('in %s: Chamilo Active -2 for deleted, an AnonymizedAt column (JSON fields)', (format) => {
    const file = `${source.dir}/all.${format}`;
    const exported = source.run(['export', file, '--deleted']);
    expect(exported.code).toBe(0);
    const live = source.run(['export', `${source.dir}/live.${format}`]);
    expect(live.code).toBe(0);
    if (format === 'csv') expect(fs.readFileSync(file, 'utf8')).toMatch(/;gone;platform;5;student;;;en;-2;/);
    const fresh = new Sandbox();
    try {
      seedUsers(fresh, [{ username: 'boss', roles: ['admin'] }]);
      expect(fresh.run(['import', file]).code).toBe(0);
      expect(fresh.run(['import', `${source.dir}/live.${format}`]).code).toBe(0);
      expect(state(fresh)).toEqual(state(source));
      // Nothing came back as a live account with a fresh password.
      expect(fresh.query('SELECT count(*) AS n FROM "user" WHERE username LIKE \'anonymous-%\' AND password_hash IS NOT NULL')).toEqual([{ n: 0 }]);
    } finally {
      fresh.cleanup();
    }
  });
});

describe('issue 10: md5 and sha1 hashes of an old Chamilo', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());
  const digest = (algorithm: string, text: string) => createHash(algorithm).update(text).digest('hex');
  beforeAll(() => {
    seedUsers(sandbox, [{ username: 'boss', roles: ['admin'] }]);
    sandbox.file(
      'chamilo-111.csv',
      'LastName;FirstName;Email;UserName;PasswordHash\n' +
        `Md;Five;md5@example.org;md5user;md5:${digest('md5', 'old secret one')}\n` +
        `Sha;One;sha1@example.org;sha1user;${digest('sha1', 'old secret two')}\n` +
        'Bad;Hash;bad@example.org;badhash;abc123\n',
    );
  });

  it('imports them marked legacy, lists them, verifies them and upgrades the hash to bcrypt at the first login (audited)', () => {
    const imported = sandbox.run(['import', 'chamilo-111.csv', '--json']);
    expect(imported.code).toBe(6);
    expect(JSON.parse(imported.stdout)).toMatchObject({ created: 2, failed: 1 });
    expect(sandbox.query('SELECT password_hash FROM "user" WHERE username = \'sha1user\'')).toEqual([
      { password_hash: `sha1:${digest('sha1', 'old secret two')}` },
    ]);
    const legacy = () =>
      sandbox
        .json<{ username: string }[]>(['list', '--legacy-hash'])
        .map((u) => u.username)
        .sort();
    expect(legacy()).toEqual(['md5user', 'sha1user']);
    expect(sandbox.run(['auth', 'md5user'], { input: 'wrong one\n' }).code).toBe(5);
    expect(legacy()).toEqual(['md5user', 'sha1user']);
    expect(sandbox.run(['auth', 'md5user'], { input: 'old secret one\n' }).code).toBe(0);
    expect(sandbox.query<{ password_hash: string }>('SELECT password_hash FROM "user" WHERE username = \'md5user\'')[0]!.password_hash).toMatch(/^\$2b\$/);
    expect(legacy()).toEqual(['sha1user']);
    expect(sandbox.run(['auth', 'md5user'], { input: 'old secret one\n' }).code).toBe(0);
    expect(sandbox.query("SELECT count(*) AS n FROM audit_log WHERE action = 'user.password-upgrade'")).toEqual([{ n: 1 }]);
    expect(sandbox.run(['auth', 'sha1user'], { input: 'old secret two\n' }).code).toBe(0);
    expect(legacy()).toEqual([]);
  });
});

describe('issue 10: one CSV, and the fields a list shows', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());
  beforeAll(() => {
    expect(sandbox.run(['field', 'add', 'cohort']).code).toBe(0);
    sandbox.addUser('ada', ['--field', 'cohort=2026']);
    sandbox.addUser('bob', [], ['teacher']);
  });

  it('list --format csv writes what export writes: Chamilo names, ";", the extra fields, in the list order', () => {
    const listed = sandbox.run(['list', '--format', 'csv', '--sort', 'id']);
    const exported = sandbox.run(['export', '-']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toBe(exported.stdout);
    expect(listed.stdout.split('\r\n')[0]).toMatch(/^UserId;LastName;FirstName;Email;UserName;.*;cohort;Courses;Sessions$/);
    const reversed = sandbox.run(['list', '--format', 'csv', '--sort', 'username', '--desc']).stdout.split('\r\n');
    expect(reversed[1]).toContain(';bob;');
    expect(reversed[2]).toContain(';ada;');
  });

  it('list --format csv takes --delimiter; --delimiter without csv is a usage error', () => {
    const result = sandbox.run(['list', '--format', 'csv', '--delimiter', ',', '--fields', 'username,email', '--sort', 'id']);
    expect(result).toMatchObject({ code: 0, stdout: 'UserName,Email\r\nada,ada@example.org\r\nbob,bob@example.org\r\n' });
    expect(sandbox.run(['list', '--delimiter', ',']).code).toBe(2);
  });

  it('--fields picks the columns of the table, of JSON and of CSV alike (extra fields too)', () => {
    const table = sandbox.run(['list', '--fields', 'username,cohort', '--sort', 'id']).stdout;
    expect(table).toMatch(/│ Username │ cohort │/);
    expect(table).toMatch(/│ ada +│ 2026 +│/);
    expect(table).not.toContain('Email');
    const json = sandbox.json<Record<string, unknown>[]>(['list', '--fields', 'username,lastLogin,cohort', '--sort', 'id']);
    expect(json[0]).toEqual({ username: 'ada', lastLoginAt: null, extra: { cohort: '2026' } });
    const csv = sandbox.run(['search', 'ada', '--format', 'csv', '--fields', 'UserName,Status,cohort']);
    expect(csv.stdout).toBe('UserName;Status;cohort\r\nada;5;2026\r\n');
  });

  it('--fields with an unknown name, or with --format ids or count, is a usage error that names what works', () => {
    const unknown = sandbox.run(['list', '--fields', 'username,shoe']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown field "shoe"');
    expect(unknown.stderr).toContain('cohort');
    expect(sandbox.run(['list', '--fields', 'username', '--format', 'ids']).code).toBe(2);
    expect(sandbox.run(['list', '--fields', 'courses']).stderr).toContain('--format csv');
  });

  it('the table fits $COLUMNS, shortening the widest columns with …, and says so', () => {
    sandbox.addUser('wolfeschlegelsteinhausenbergerdorff.the.elder');
    const result = sandbox.run(['list'], { env: { COLUMNS: '100' } });
    const lines = result.stdout.trimEnd().split('\n');
    expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(100);
    expect(result.stdout).toContain('…');
    expect(result.stdout).toMatch(/│ Registered │/);
    expect(result.stderr).toContain('shortened');
    const wide = sandbox.run(['list'], { env: { COLUMNS: '400' } });
    expect(wide.stdout).toContain('wolfeschlegelsteinhausenbergerdorff.the.elder@example.org');
  });
});

describe('issue 10: edit many users at once', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());
  const NOW = { ROSTER_TEST_NOW: '2026-12-01T12:00:00.000Z' };
  beforeAll(() => {
    expect(sandbox.run(['field', 'add', 'cohort']).code).toBe(0);
    for (let i = 1; i <= 6; i++) sandbox.addUser(`c25s${i}`, ['--field', 'cohort=2025']);
    sandbox.addUser('c26s1', ['--field', 'cohort=2026']);
    sandbox.addUser('boss', [], ['admin']);
  });
  const expiries = () =>
    sandbox.query<{ username: string; expires_at: string | null }>('SELECT username, expires_at FROM "user" WHERE is_system = 0 ORDER BY username');

  it('sets an expiry for the users a filter selects, in one process; a dry run first changes nothing', () => {
    const dry = sandbox.run(['edit', '--where-field', 'cohort=2025', '--expires', '2027-08-31', '--dry-run'], { env: NOW });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('dry run: would change 6 user(s) (expires 2027-08-31): c25s1, c25s2');
    expect(expiries().every((u) => u.expires_at === null)).toBe(true);
    const unconfirmed = sandbox.run(['edit', '--where-field', 'cohort=2025', '--expires', '2027-08-31'], { env: NOW });
    expect(unconfirmed.code).toBe(7);
    const done = sandbox.run(['edit', '--where-field', 'cohort=2025', '--expires', '2027-08-31', '--yes'], { env: NOW });
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('changed 6 user(s) (expires 2027-08-31)');
    expect(
      expiries()
        .filter((u) => u.expires_at?.startsWith('2027-08-31'))
        .map((u) => u.username),
    ).toEqual(['c25s1', 'c25s2', 'c25s3', 'c25s4', 'c25s5', 'c25s6']);
    expect(sandbox.query("SELECT count(*) AS n FROM audit_log WHERE action = 'user.edit'")).toEqual([{ n: 6 }]);
    // Twice: nothing more to change.
    const again = sandbox.run(['edit', '--where-field', 'cohort=2025', '--expires', '2027-08-31', '--yes'], { env: NOW });
    expect(again.stdout).toContain('unchanged 6 user(s) (already so)');
    expect(sandbox.query("SELECT count(*) AS n FROM audit_log WHERE action = 'user.edit'")).toEqual([{ n: 6 }]);
  });

  it('takes references and - from a pipe, for language, roles, fields, auth source and state', () => {
    const ids = sandbox.run(['list', '--where-field', 'cohort=2025', '--format', 'ids']);
    expect(ids.code).toBe(2);
    const refs = sandbox.run(['list', '--field', 'cohort=2025', '--format', 'ids']).stdout;
    const result = sandbox.run(
      ['edit', '-', '--language', 'fr', '--add-role', 'teacher', '--field', 'cohort=2026', '--auth-source', 'ldap', '--deactivate', '--yes', '--json'],
      { input: refs },
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ changed: 6, failed: [] });
    const rows = sandbox.query<{ n: number }>(
      "SELECT count(*) AS n FROM \"user\" u JOIN user_role r ON r.user_id = u.id AND r.role = 'teacher' WHERE u.language = 'fr' AND u.auth_source = 'ldap' AND u.active = 0",
    );
    expect(rows).toEqual([{ n: 6 }]);
    expect(sandbox.run(['list', '--field', 'cohort=2026', '--format', 'count']).stdout).toBe('7\n');
    // Activation follows the rules of roster activate, and is audited as such.
    expect(sandbox.run(['edit', 'c25s1', 'c25s2', '--activate', '--yes']).code).toBe(0);
    expect(sandbox.query("SELECT count(*) AS n FROM audit_log WHERE action = 'user.activate'")).toEqual([{ n: 2 }]);
  });

  it('refuses, per user, what the single edit refuses; the others are done (exit 6), or none with --atomic', () => {
    const refused = sandbox.run(['edit', 'boss', 'c26s1', '--remove-role', 'admin', '--add-role', 'student', '--yes']);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain('roster: error: boss: boss is the last active admin');
    expect(sandbox.query('SELECT active FROM "user" WHERE username = \'c26s1\'')).toEqual([{ active: 1 }]);
    const atomic = sandbox.run(['edit', 'c26s1', 'boss', '--deactivate', '--atomic', '--yes']);
    expect(atomic.code).toBe(4);
    expect(sandbox.query('SELECT active FROM "user" WHERE username = \'c26s1\'')).toEqual([{ active: 1 }]);
    const stillActive = sandbox.run(['edit', 'c25s1', 'boss', '--expires', '2020-01-01', '--atomic', '--yes']);
    expect(stillActive.code).toBe(4);
    expect(sandbox.query('SELECT expires_at FROM "user" WHERE username = \'c25s1\'')).toEqual([{ expires_at: '2027-08-31T23:59:59.999Z' }]);
  });

  it("refuses the options that set one person's own value for several users (exit 2)", () => {
    const result = sandbox.run(['edit', 'c25s1', 'c25s2', '--email', 'same@example.org']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--email sets a value of one user, not of several');
    expect(sandbox.run(['edit', '--role', 'student', '--username', 'x']).code).toBe(2);
    expect(sandbox.run(['edit', '--role', 'student']).stderr).toContain('nothing to change');
  });
});

describe('issue 10: look-alike usernames and emails, with the one folding', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());
  beforeAll(() => {
    sandbox.addUser('josé');
    sandbox.addUser('søren');
  });
  it('import warns about look-alikes in the database and between rows of the file', () => {
    sandbox.file(
      'alike.csv',
      'LastName;FirstName;Email;UserName;Password\nL;F;j1@example.org;JOSÉ.b;long secret 1\nL;F;j2@example.org;jose.b;long secret 2\nL;F;sr@example.org;sören;long secret 3\n',
    );
    const result = sandbox.run(['import', 'alike.csv']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('row 3: UserName: username "jose.b" looks like "JOSÉ.b" on row 2 of this file');
    expect(result.stderr).toContain('row 4: UserName: username "sören" looks like "søren"');
    expect(sandbox.query("SELECT count(*) AS n FROM \"user\" WHERE username IN ('JOSÉ.b', 'jose.b', 'sören')")).toEqual([{ n: 3 }]);
  });

  itOnSqlite('a database made before the folded keys gets them from migration 0007', () => {
    const old = new Sandbox();
    try {
      old.addUser('þóra');
      // Back to the schema of 0006: the columns and the record of 0007 removed.
      old.writeSqlite((db) => {
        // (0008's search index reads the columns: it goes first; the upgrade builds it again.)
        // (so does 0011's mail_notice table, which the upgrade makes again.)
        db.exec('DROP TABLE mail_notice');
        db.exec('DROP TRIGGER user_search_insert; DROP TRIGGER user_search_delete; DROP TRIGGER user_search_update; DROP TABLE user_search');
        db.exec(
          'DROP INDEX user_username_fold_key; DROP INDEX user_email_fold_key; ALTER TABLE user DROP COLUMN username_fold_key; ALTER TABLE user DROP COLUMN email_fold_key',
        );
        db.prepare("DELETE FROM kysely_migration WHERE name = '0007_look_alike_keys'").run();
        db.pragma('user_version = 6');
        db.prepare("DELETE FROM kysely_migration WHERE name > '0007'").run();
      });
      const result = old.run(
        ['add', '--username', 'thora', '--email', 't@example.org', '--firstname', 'T', '--lastname', 'L', '--role', 'student', '--password-stdin'],
        { input: 'correct horse battery\n' },
      );
      expect(result.code).toBe(0);
      expect(result.stderr).toContain('username "thora" looks like "þóra"');
      expect(old.query('SELECT username_fold_key, email_fold_key FROM "user" WHERE username = \'þóra\'')).toEqual([
        { username_fold_key: 'thora', email_fold_key: 'thora@example.org' },
      ]);
    } finally {
      old.cleanup();
    }
  });
});

describe('issue 10: a confirmation counts what would change, with or without a terminal', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());
  beforeAll(() => {
    for (const name of ['k1', 'k2', 'k3']) sandbox.addUser(name, name === 'k1' ? [] : ['--inactive']);
  });

  it('a cron rerun that would change nothing needs no --yes (exit 0), nor one that changes a single user', () => {
    expect(sandbox.run(['deactivate', 'k2', 'k3'])).toMatchObject({ code: 0, stdout: expect.stringContaining('unchanged 2 user(s)') });
    const one = sandbox.run(['deactivate', 'k1', 'k2']);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('deactivated 1 user(s): k1');
    // Two that would change: a confirmation, which a script gives with --yes.
    const two = sandbox.run(['activate', 'k1', 'k2']);
    expect(two.code).toBe(7);
    expect(two.stderr).toContain('Activate 2 users: confirmation needed');
  });
});

describe('issue 10: what a newcomer tripped over in this session', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());
  beforeAll(() => {
    expect(sandbox.run(['field', 'add', 'cohort']).code).toBe(0);
    sandbox.addUser('nia', ['--field', 'cohort=2025', '--expires', '2027-03-01']);
    sandbox.addUser('ole', ['--expires', '2027-01-01']);
    sandbox.addUser('pat');
  });

  it('list --json imports into another database: extra.cohort is the field cohort, and the hint names it so', () => {
    const listed = sandbox.file('listed.json', sandbox.run(['list', '--json']).stdout);
    const other = new Sandbox();
    try {
      const missing = other.run(['import', listed]);
      expect(missing.code).toBe(5);
      expect(missing.stderr).toContain('roster field add cohort');
      expect(other.run(['field', 'add', 'cohort']).code).toBe(0);
      expect(other.run(['import', listed]).code).toBe(0);
      expect(other.json<{ extra: Record<string, unknown> }>(['show', 'nia']).extra).toEqual({ cohort: '2025' });
    } finally {
      other.cleanup();
    }
  });

  it('an unknown course given as CODE:role names the course', () => {
    sandbox.file('course.csv', 'LastName;FirstName;Email;UserName;Password;Courses\nL;F;q@example.org;qq;long secret 1;C101:student\n');
    expect(sandbox.run(['import', 'course.csv']).stderr).toContain('no course "C101" (given as C101:student)');
  });

  it('edit with a filter mistaken for a change says so; --field without users points to --where-field', () => {
    expect(sandbox.run(['edit', 'nia', '--role', 'admin']).stderr).toContain(
      'nothing to change: --role selects users, it changes nothing\n  hint: to give a role: --add-role R',
    );
    const noUsers = sandbox.run(['edit', '--field', 'cohort=2025', '--expires', '2027-08-31']);
    expect(noUsers.code).toBe(2);
    expect(noUsers.stderr).toContain('use --where-field cohort=2025');
    expect(sandbox.run(['deactivate']).stderr).toContain('--role student --inactive-since 180d');
  });

  it('--sort expires puts the accounts that never expire last (first with --desc)', () => {
    const order = (args: string[]) => sandbox.json<{ username: string }[]>(['list', '--sort', 'expires', ...args]).map((u) => u.username);
    expect(order([])).toEqual(['ole', 'nia', 'pat']);
    expect(order(['--desc'])).toEqual(['pat', 'nia', 'ole']);
  });

  it('--expires-before takes +30d (within the next 30 days); a bare duration and --expires 90d say how to write it', () => {
    const soon = sandbox.run(['list', '--expires-before', '+60d', '--format', 'ids'], { env: { ROSTER_TEST_NOW: '2026-12-01T00:00:00.000Z' } });
    expect(soon.stdout.trim().split('\n')).toHaveLength(1);
    expect(sandbox.run(['list', '--expires-before', '60d']).stderr).toContain('within the next 60d is written +60d');
    expect(sandbox.run(['edit', 'pat', '--expires', '90d']).stderr).toContain('is written +90d');
  });

  it('--fields lastLogin says never, as the default table does', () => {
    expect(sandbox.run(['list', '--fields', 'username,lastLogin']).stdout).toMatch(/│ pat +│ never +│/);
  });
});

describe('issue 10: usernames and emails are searched with the one folding too (found in review)', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());

  it("search --username and --email, and the keyword, find søren and o'brien@ typed either way", () => {
    sandbox.run(
      ['add', '--username', 'søren', '--email', "o'brien@example.org", '--firstname', 'S', '--lastname', 'K', '--role', 'student', '--password-stdin'],
      { input: 'correct horse battery\n' },
    );
    const found = (args: string[]) => sandbox.run(['search', ...args, '--format', 'count']).stdout.trim();
    expect(found(['--username', 'søren'])).toBe('1');
    expect(found(['--username', 'soren'])).toBe('1');
    expect(found(['--email', "o'brien"])).toBe('1');
    expect(found(['--email', 'obrien'])).toBe('1');
    expect(found(['soren'])).toBe('1');
    expect(found(['so'])).toBe('1');
  });
});
