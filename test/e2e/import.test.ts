import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, FIXTURES, Sandbox } from './helpers';

/** Courses and sessions are inserted straight into the file: `roster course add` is another issue. */
function createCourses(sandbox: Sandbox, codes: string[], sessions: string[] = []): void {
  const at = new Date().toISOString();
  sandbox.transaction([
    ...codes.map((code) => ({
      sql: 'INSERT INTO course (code, code_key, title, language, owner_id, created_at) VALUES (?, ?, ?, ?, NULL, ?)',
      params: [code, code.toLowerCase(), `Course ${code}`, 'en', at],
    })),
    ...sessions.map((name) => ({
      sql: 'INSERT INTO training_session (name, name_key, starts_on, ends_on, created_at) VALUES (?, ?, ?, ?, ?)',
      params: [name, name.toLowerCase(), '2026-09-01', '2026-12-20', at],
    })),
  ]);
}

const fixture = (name: string) => path.join(FIXTURES, name);

interface Summary {
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  errors: { row: number; field: string; message: string }[];
  warnings: { row: number; field: string; message: string }[];
  weakPasswords: number;
  generatedPasswords: number;
}

function users(sandbox: Sandbox): string[] {
  return sandbox.query<{ username: string }>('SELECT username FROM "user" WHERE is_system = 0 ORDER BY username').map((u) => u.username);
}

describe('roster import: a file of several chunks, on either engine', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());
  const HASH = '$2b$04$abcdefghijklmnopqrstuuJ0hQfS0kFf4yN5p6bJc7Hd8wQmE1x2y';
  const ROWS = 2600;
  /** More rows than a look-up group (500), a chunk (2,000) and a multi-row user insert (2,000). */
  const file = (lastname: (i: number) => string) => {
    const lines = ['LastName;FirstName;Email;UserName;PasswordHash;Status;Courses;cohort'];
    for (let i = 0; i < ROWS; i++) lines.push(`${lastname(i)};F${i};u${i}@example.org;u${i};${HASH};${i % 2 ? 1 : 5};${i % 3 ? '' : 'C1'};${i}`);
    return sandbox.file('many.csv', `${lines.join('\n')}\n`);
  };

  it('gives every new user its own role, value, enrolment and audit row, and a rerun updates each', () => {
    createCourses(sandbox, ['C1']);
    expect(sandbox.run(['field', 'add', 'cohort', '--type', 'number']).code).toBe(0);
    const created = sandbox.run(['import', file((i) => `L${i}`), '--json']);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ created: ROWS, failed: 0 });
    const mismatched = sandbox.query<{ n: number }>(
      `SELECT count(*) AS n FROM "user" u
         JOIN user_role r ON r.user_id = u.id
         JOIN user_extra_value v ON v.user_id = u.id
         JOIN audit_log a ON a.user_id = u.id AND a.action = 'user.import'
       WHERE u.is_system = 0
         AND (v.value <> substr(u.username, 2) OR u.firstname <> 'F' || v.value OR r.role <> CASE WHEN CAST(v.value AS INTEGER) % 2 = 1 THEN 'teacher' ELSE 'student' END)`,
    );
    expect(mismatched).toEqual([{ n: 0 }]);
    expect(sandbox.query('SELECT count(*) AS n FROM user_role r JOIN user_extra_value v ON v.user_id = r.user_id')).toEqual([{ n: ROWS }]);
    expect(sandbox.query('SELECT count(*) AS n FROM audit_log WHERE action = ?', 'user.import')).toEqual([{ n: ROWS }]);
    expect(sandbox.query('SELECT count(*) AS n FROM course_user')).toEqual([{ n: Math.ceil(ROWS / 3) }]);
    const rowOfU7 = sandbox.query<{ details: string }>('SELECT details FROM audit_log a JOIN "user" u ON u.id = a.user_id WHERE u.username = \'u7\'');
    expect(JSON.parse(rowOfU7[0]!.details)).toMatchObject({ row: 9, roles: ['teacher'] });

    const updated = sandbox.run(['import', file((i) => `New${i}`), '--on-existing', 'update', '--json']);
    expect(updated.code).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({ created: 0, updated: ROWS, failed: 0 });
    expect(sandbox.query('SELECT count(*) AS n FROM "user" WHERE lastname = \'New\' || substr(username, 2)')).toEqual([{ n: ROWS }]);
    const again = sandbox.run(['import', file((i) => `New${i}`), '--on-existing', 'update', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: 0, updated: 0, skipped: ROWS });
  });
});

describe('roster import: two rows naming one account', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());

  it('updates it from the first row and refuses the second (one by username, one by email)', () => {
    expect(
      sandbox.run([
        'add',
        '--firstname',
        'Ada',
        '--lastname',
        'L',
        '--email',
        'ada@example.org',
        '--username',
        'ada',
        '--role',
        'student',
        '--password',
        'long secret 1',
      ]).code,
    ).toBe(0);
    const file = sandbox.file('two.csv', 'LastName;FirstName;Email;UserName\nFirst;Ada;;ada\nSecond;Ada;ADA@example.org;someone\n');
    const result = sandbox.run(['import', file, '--on-existing', 'update']);
    expect(result.code).toBe(6);
    expect(result.stderr).toContain('roster: row 3: Email: user ada (id:2) is also updated by row 2 of this file');
    expect(sandbox.query('SELECT username, lastname FROM "user" WHERE email_key = \'ada@example.org\'')).toEqual([{ username: 'ada', lastname: 'First' }]);
  });
});

describe('roster import: the last active admin', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());

  it('is not deactivated, expired or stripped of its role by an update, and stays an active admin', () => {
    expect(
      sandbox.run([
        'add',
        '--firstname',
        'B',
        '--lastname',
        'Oss',
        '--email',
        'boss@example.org',
        '--username',
        'boss',
        '--role',
        'admin',
        '--password',
        'long secret 1',
      ]).code,
    ).toBe(0);
    const cases = [
      { columns: 'Active', value: '0', field: 'Active', says: 'deactivate it' },
      { columns: 'ExpiresAt', value: '2020-01-01', field: 'ExpiresAt', says: 'give it an expiration date in the past' },
      { columns: 'Roles', value: 'student', field: 'Roles', says: 'take its admin role', extra: ['--replace-roles'] },
    ];
    for (const c of cases) {
      const file = sandbox.file('boss.csv', `LastName;FirstName;Email;UserName;${c.columns}\nOss;B;boss@example.org;boss;${c.value}\n`);
      const result = sandbox.run(['import', file, '--on-existing', 'update', ...(c.extra ?? [])]);
      expect(result.code).toBe(6);
      expect(result.stderr).toContain(`roster: row 2: ${c.field}: boss is the last active admin; the platform must keep one, so roster will not ${c.says}`);
    }
    expect(sandbox.query('SELECT u.active, u.expires_at, r.role FROM "user" u JOIN user_role r ON r.user_id = u.id WHERE u.username = \'boss\'')).toEqual([
      { active: 1, expires_at: null, role: 'admin' },
    ]);
    // With another active admin, the same file deactivates it.
    expect(
      sandbox.run([
        'add',
        '--firstname',
        'N',
        '--lastname',
        'Ew',
        '--email',
        'new@example.org',
        '--username',
        'newboss',
        '--role',
        'admin',
        '--password',
        'long secret 2',
      ]).code,
    ).toBe(0);
    const file = sandbox.file('boss.csv', 'LastName;FirstName;Email;UserName;Active\nOss;B;boss@example.org;boss;0\n');
    expect(sandbox.run(['import', file, '--on-existing', 'update']).code).toBe(0);
    expect(sandbox.query('SELECT active FROM "user" WHERE username = \'boss\'')).toEqual([{ active: 0 }]);
  });
});

describe('roster import: Chamilo files', () => {
  let sandbox: Sandbox;
  beforeEach(() => {
    sandbox = new Sandbox();
    createCourses(sandbox, ['COURSE1', 'COURSE2', 'COURSE3'], ['Autumn 2026']);
  });
  afterEach(() => sandbox.cleanup());

  it.each(['chamilo-example-1.11.csv', 'chamilo-example-2.x.csv', 'chamilo-example-1.11.xml'])("imports Chamilo's own %s unchanged", (name) => {
    const result = sandbox.run(['import', fixture(name), '--credentials', 'new.csv']);
    expect(result.stderr).not.toContain('error');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/2 created, 0 updated, 0 skipped, 0 failed/);
    const marty = sandbox.json<{ roles: string[]; courses: { code: string; role: string }[]; officialCode: string; phone: string }>(['show', 'marty']);
    expect(marty).toMatchObject({ roles: ['student'], officialCode: '12345678', phone: '001-123-456-789' });
    expect(marty.courses.map((c) => `${c.code}:${c.role}`)).toEqual(['COURSE1:student', 'COURSE2:student', 'COURSE3:student']);
    const teacher = sandbox.json<{ roles: string[]; courses: { code: string; role: string }[] }>(['show', 'drbrown@example.net']);
    expect(teacher.roles).toEqual(['teacher']);
    expect(teacher.courses).toEqual([expect.objectContaining({ code: 'COURSE2', role: 'teacher' })]);
    // "secret" is weak: a warning, not a rejection.
    expect(result.stderr).toMatch(/warning: \d passwords? (is|are) weak/);
    // Importing the same file again finishes nothing new.
    expect(sandbox.run(['import', fixture(name)]).stdout).toMatch(/0 created, 0 updated, 2 skipped, 0 failed/);
  });

  it('reads a BOM, CRLF, accents, Status codes and words, language names, Chamilo dates and extra fields', () => {
    expect(sandbox.run(['field', 'add', 'cohort', '--type', 'number']).code).toBe(0);
    const result = sandbox.run(['import', fixture('chamilo-users.csv'), '--json', '--credentials', 'new.csv']);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as Summary;
    expect(summary).toMatchObject({ created: 5, updated: 0, skipped: 0, failed: 0, errors: [], weakPasswords: 1, generatedPasswords: 1 });
    expect(summary.warnings).toEqual([{ row: 4, field: 'Password', message: 'the password is weak (fewer than 8 characters)' }]);
    const all = sandbox.json<
      {
        username: string;
        firstname: string;
        lastname: string;
        roles: string[];
        language: string;
        expiresAt: string | null;
        phone: string | null;
        extra: Record<string, unknown>;
      }[]
    >(['list', '--sort', 'username']);
    expect(all.map((u) => [u.username, u.firstname, u.lastname, u.roles.join('|'), u.language])).toEqual([
      ['alefevre', 'Anne; Marie', 'Lefèvre', 'invitee', 'fr'],
      ['edupont', 'Élodie', 'Dupont', 'student', 'fr'],
      ['jmuller', 'Jürgen', 'Müller', 'teacher', 'de'],
      ['jnunez', 'José', 'Núñez', 'teacher', 'es'],
      ['sobrien', 'Siobhán', "O'Brien", 'hr_manager', 'en'],
    ]);
    expect(all[1]).toMatchObject({ expiresAt: '2027-06-30T00:00:00.000Z', phone: '+33 1 23 45 67 89', extra: { cohort: 2026 } });
    expect(all[2]!.expiresAt).toBeNull();
    const edupont = sandbox.json<{ courses: { code: string }[]; sessions: { name: string }[] }>(['show', 'edupont']);
    expect(edupont.courses.map((c) => c.code)).toEqual(['COURSE1', 'COURSE2']);
    const alefevre = sandbox.json<{ sessions: { name: string }[] }>(['show', 'alefevre']);
    expect(alefevre.sessions.map((s) => s.name)).toEqual(['Autumn 2026']);
  });

  it('reads the latin1 copy with --encoding, and refuses it without, naming the line', () => {
    expect(sandbox.run(['field', 'add', 'cohort', '--type', 'number']).code).toBe(0);
    const refused = sandbox.run(['import', fixture('chamilo-users-latin1.csv')]);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('line 2, column 8: the byte 0xC9 is not valid UTF-8');
    expect(refused.stderr).toContain('--encoding latin1');
    expect(users(sandbox)).toEqual([]);
    const read = sandbox.run(['import', fixture('chamilo-users-latin1.csv'), '--encoding', 'latin1']);
    expect(read.code).toBe(0);
    expect(sandbox.json<{ firstname: string }>(['show', 'jnunez']).firstname).toBe('José');
    // A UTF-8 file read as latin1 would be garbled: refused.
    const noBom = sandbox.file('utf8.csv', fs.readFileSync(fixture('chamilo-users.csv')).subarray(3));
    const garbled = sandbox.run(['import', noBom, '--encoding', 'windows-1252']);
    expect(garbled.code).toBe(5);
    expect(garbled.stderr).toContain('the file is UTF-8');
    expect(sandbox.run(['import', fixture('chamilo-users.csv'), '--encoding', 'klingon']).code).toBe(2);
  });

  it('honours the ISO-8859-1 declaration of a Chamilo XML file, entities, CDATA and empty elements', () => {
    const result = sandbox.run(['import', fixture('chamilo-users.xml'), '--credentials', 'new.csv']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('3 created');
    expect(sandbox.json<{ firstname: string; officialCode: string; language: string }>(['show', 'edupont'])).toMatchObject({
      firstname: 'Élodie',
      officialCode: 'R&D-1001',
      language: 'fr',
    });
    expect(sandbox.json<{ firstname: string; lastname: string; roles: string[] }>(['show', 'jnunez'])).toMatchObject({
      lastname: 'Núñez <Jr>',
      roles: ['hr_manager'],
    });
    expect(sandbox.json<{ firstname: string }>(['show', 'jmuller']).firstname).toBe('Jürgen');
  });

  it('reads standard input with -', () => {
    const csv = fs.readFileSync(fixture('chamilo-example-2.x.csv'));
    const result = sandbox.run(['import', '-', '--json'], { input: csv.toString('utf8') });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ created: 2 });
    const xml = sandbox.run(['import', '-', '--on-existing', 'update', '--json'], { input: fs.readFileSync(fixture('chamilo-example-1.11.xml'), 'latin1') });
    expect(xml.code).toBe(0);
  });
});

describe('roster import: options', () => {
  let sandbox: Sandbox;
  beforeEach(() => {
    sandbox = new Sandbox();
    createCourses(sandbox, ['COURSE1', 'COURSE2', 'COURSE3']);
  });
  afterEach(() => sandbox.cleanup());

  it('stops on unknown columns without a terminal, listing them; maps or ignores them on request', () => {
    const file = sandbox.file('fr.csv', 'Nom;Prénom;Courriel;Identifiant;Couleur\nCurie;Marie;marie@example.org;mcurie;bleu\n');
    const refused = sandbox.run(['import', file]);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('unknown columns: Nom, Prénom, Courriel, Identifiant, Couleur');
    expect(refused.stderr).toContain('--map');
    const maps = ['--map', 'Nom=lastname', '--map', 'Prénom=FirstName', '--map', 'courriel=Email', '--map', 'Identifiant=UserName'];
    const stillUnknown = sandbox.run(['import', file, ...maps]);
    expect(stillUnknown.code).toBe(5);
    expect(stillUnknown.stderr).toContain('unknown column: Couleur');
    const done = sandbox.run(['import', file, ...maps, '--ignore-unknown-columns']);
    expect(done.code).toBe(0);
    expect(sandbox.json<{ lastname: string }>(['show', 'mcurie']).lastname).toBe('Curie');
    expect(sandbox.run(['import', file, '--map', 'Nom=shoe-size']).code).toBe(2);
  });

  it('imported names take their place in the list order (accents and case folded), also after an update', () => {
    const file = sandbox.file(
      'names.csv',
      'LastName;FirstName;Email;UserName\nzola;Émile;emile@example.org;ezola\nÅngström;Anders;anders@example.org;angstrom\nBaker;Josephine;jo@example.org;jbaker\n',
    );
    expect(sandbox.run(['import', file]).code).toBe(0);
    const order = () => sandbox.json<{ username: string }[]>(['list']).map((u) => u.username);
    expect(order()).toEqual(['angstrom', 'jbaker', 'ezola']);
    const renamed = sandbox.file('renamed.csv', 'LastName;FirstName;Email;UserName\nÀbel;Émile;emile@example.org;ezola\n');
    expect(sandbox.run(['import', renamed, '--on-existing', 'update']).code).toBe(0);
    expect(order()).toEqual(['ezola', 'angstrom', 'jbaker']);
  });

  it('warns when an update finds a user by email and renames it, in the dry run too', () => {
    sandbox.addUser('emmert');
    const file = sandbox.file('rename.csv', 'LastName;FirstName;Email;UserName\nBrown;Emmett;emmert@example.org;emmett\n');
    const warning = `roster: warning: row 2: UserName: user emmert (found by its email emmert@example.org) gets the username emmett of the file\n`;
    expect(sandbox.run(['import', file, '--on-existing', 'update', '--dry-run'])).toMatchObject({ code: 0, stderr: warning });
    expect(sandbox.run(['import', file, '--on-existing', 'update'])).toMatchObject({ code: 0, stderr: warning });
    expect(sandbox.json<{ username: string }>(['show', 'emmert@example.org']).username).toBe('emmett');
  });

  it('skipping a row whose email is an account of another username says so: the file and the database disagree (newcomer report)', () => {
    sandbox.addUser('grace');
    const file = sandbox.file('other-name.csv', 'LastName;FirstName;Email;UserName\nHopper;Grace;GRACE@example.org;ghopper\n');
    const result = sandbox.run(['import', file]);
    expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining('0 created, 0 updated, 1 skipped') });
    expect(result.stderr).toContain(
      'roster: warning: row 2: UserName: the email GRACE@example.org is that of user grace, not ghopper; skipped (--on-existing update gives it the username of the file)',
    );
    // The same row under its account's username is skipped without a word.
    sandbox.file('same-name.csv', 'LastName;FirstName;Email;UserName\nHopper;Grace;grace@example.org;grace\n');
    expect(sandbox.run(['import', 'same-name.csv']).stderr).toBe('');
  });

  it('requires the four identity columns', () => {
    const result = sandbox.run(['import', fixture('bad/missing-column.csv')]);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('required column missing: Email');
  });

  // Newcomer report: an XML file named .csv was refused as "not valid UTF-8 (byte 172)", with a hint to
  // try --encoding latin1: a question of format, not of encoding.
  it('names the format a .csv file really has when it holds XML or JSON (exit 5), and reads it with --format', () => {
    const xml = sandbox.file('contacts.csv', fs.readFileSync(fixture('chamilo-users.xml')));
    const refused = sandbox.run(['import', xml]);
    expect(refused).toMatchObject({ code: 5, stdout: '' });
    expect(refused.stderr).toBe(
      `roster: error: ${xml} holds XML (it begins with "<"), not CSV as its name says\n  hint: give --format xml to read it as XML, or rename it\n`,
    );
    const json = sandbox.file('users.csv', '[{"UserName": "jo", "Email": "jo@example.org", "FirstName": "Jo", "LastName": "March"}]\n');
    expect(sandbox.run(['import', json])).toMatchObject({
      code: 5,
      stderr: expect.stringContaining('holds JSON (it begins with "["), not CSV as its name says'),
    });
    expect(sandbox.run(['import', xml, '--format', 'xml', '--dry-run'])).toMatchObject({ code: 0 });
    expect(users(sandbox)).toEqual([]);
  });

  it('skips (default), updates or fails on existing users, in any case', () => {
    sandbox.addUser('ada', [], ['teacher']);
    const file = fixture('bad/existing-user-other-case.csv');
    const skipped = sandbox.run(['import', file, '--json']);
    expect(skipped.code).toBe(0);
    expect(JSON.parse(skipped.stdout)).toMatchObject({ created: 1, skipped: 1, failed: 0 });
    const failed = sandbox.run(['import', file, '--on-existing', 'fail', '--json']);
    expect(failed.code).toBe(6);
    const summary = JSON.parse(failed.stdout) as Summary;
    expect(summary.errors).toEqual([
      { row: 2, field: 'UserName', message: expect.stringContaining('user ada (id:') },
      { row: 3, field: 'UserName', message: expect.stringContaining('user nina (id:') },
    ]);
    const updated = sandbox.run(['import', file, '--on-existing', 'update', '--json']);
    expect(updated.code).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({ updated: 1, skipped: 1 });
    expect(sandbox.json<{ username: string; email: string; lastname: string; roles: string[] }>(['show', 'ada'])).toMatchObject({
      username: 'ADA',
      email: 'ADA.other@example.org',
      lastname: 'Lovelace',
      roles: ['teacher'],
    });
    const atomicConflict = sandbox.run(['import', file, '--on-existing', 'fail', '--atomic']);
    expect(atomicConflict.code).toBe(4);
  });

  // Newcomer report: with the default --on-existing skip, a row of an existing user with a bad email
  // or an unknown Status was counted as skipped, exit 0: the file's mistake went unseen.
  it('checks the rows of existing users too when it skips them: a bad value fails its row (exit 6)', () => {
    sandbox.addUser('ada', [], ['teacher']);
    const file = sandbox.file(
      'existing-bad.csv',
      'LastName;FirstName;Email;UserName;Status\nLovelace;Ada;ada@;ada;1\nHopper;Grace;grace@example.org;grace;9\nTuring;Alan;alan@example.org;alan;5\n',
    );
    sandbox.addUser('grace');
    const result = sandbox.run(['import', file, '--json']);
    expect(result.code).toBe(6);
    expect(JSON.parse(result.stdout)).toMatchObject({
      created: 1,
      skipped: 0,
      failed: 2,
      errors: [
        { row: 2, field: 'Email', message: expect.stringContaining('not a valid email address') },
        { row: 3, field: 'Status', message: expect.any(String) },
      ],
    });
    expect(sandbox.json<{ email: string }>(['show', 'ada']).email).toBe('ada@example.org');
    // A good row of an existing user is still skipped.
    const again = sandbox.run([
      'import',
      sandbox.file('existing-good.csv', 'LastName;FirstName;Email;UserName;Status\nTuring;Alan;alan@example.org;alan;5\n'),
      '--json',
    ]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ skipped: 1, failed: 0 });
  });

  it('reports bad rows (row, column, reason), imports the rest and exits 6; --report writes them to fix', () => {
    const report = path.join(sandbox.dir, 'rejected.csv');
    const result = sandbox.run(['import', fixture('bad/invalid-emails.csv'), '--report', report]);
    expect(result.code).toBe(6);
    expect(result.stderr).toContain('roster: row 2: Email: "jane@example" is not a valid email address');
    expect(result.stderr).toContain('roster: row 3: Email: "rita at example.org" is not a valid email address');
    expect(result.stdout).toContain('1 created, 0 updated, 0 skipped, 2 failed');
    expect(fs.statSync(report).mode & 0o777).toBe(0o600);
    const rejected = fs.readFileSync(report, 'utf8');
    expect(rejected.split('\r\n')[0]).toBe('LastName;FirstName;Email;UserName;ImportError');
    // Fixed and imported again: the reason column is ignored.
    fs.writeFileSync(report, rejected.replace('jane@example;', 'jane@example.org;').replace('rita at example.org', 'rita@example.org'));
    const again = sandbox.run(['import', report]);
    expect(again.code).toBe(0);
    expect(users(sandbox)).toEqual(['epoe', 'jdoe', 'rroe']);
  });

  it('rejects duplicates inside the file, and unknown statuses and roles', () => {
    const statuses = sandbox.run(['import', fixture('bad/unknown-status.csv'), '--json']);
    expect(statuses.code).toBe(6);
    const errors = (JSON.parse(statuses.stdout) as Summary).errors;
    expect(errors.map((e) => [e.row, e.field])).toEqual([
      [2, 'Status'],
      [3, 'Roles'],
      [5, 'Status'],
    ]);
    expect(errors[1]!.message).toBe('unknown role "wizard"');
    const duplicates = sandbox.run(['import', fixture('bad/duplicate-usernames.csv'), '--json']);
    expect(duplicates.code).toBe(6);
    expect((JSON.parse(duplicates.stdout) as Summary).errors).toEqual([
      { row: 3, field: 'UserName', message: '"JDoe" is also on row 2 of this file' },
      { row: 5, field: 'Email', message: '"rita@EXAMPLE.org" is also on row 4 of this file' },
    ]);
  });

  it('--atomic writes nothing when a row fails (exit 5); --dry-run writes nothing at all', () => {
    const atomic = sandbox.run(['import', fixture('bad/invalid-emails.csv'), '--atomic']);
    expect(atomic.code).toBe(5);
    expect(atomic.stderr).toContain('nothing was imported (--atomic): 2 rows failed');
    expect(users(sandbox)).toEqual([]);
    const dry = sandbox.run(['import', fixture('chamilo-example-1.11.csv'), '--dry-run', '--credentials', 'c.csv']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would create 2, update 0, skip 0; 0 failed');
    expect(users(sandbox)).toEqual([]);
    expect(fs.existsSync(path.join(sandbox.dir, 'c.csv'))).toBe(false);
    expect(sandbox.query('SELECT * FROM audit_log')).toEqual([]);
  });

  it('puts generated passwords in the 0600 credentials file only, never in the output', () => {
    const result = sandbox.run(['import', fixture('chamilo-example-1.11.csv'), '--credentials', 'creds.csv', '--json']);
    expect(result.code).toBe(0);
    const credentials = path.join(sandbox.dir, 'creds.csv');
    expect(fs.statSync(credentials).mode & 0o777).toBe(0o600);
    const [header, line] = fs.readFileSync(credentials, 'utf8').trim().split('\n');
    expect(header).toBe('username;password');
    const password = line!.split(';')[1]!;
    expect(line).toMatch(/^emmert;[A-Za-z0-9]{16}$/);
    expect(result.stdout + result.stderr).not.toContain(password);
    expect(JSON.stringify(sandbox.query('SELECT * FROM audit_log'))).not.toContain(password);
    // The password works.
    const login = sandbox.query<{ password_hash: string }>('SELECT password_hash FROM "user" WHERE username = \'emmert\'')[0]!;
    expect(login.password_hash).toMatch(/^\$2b\$04\$/);
    const without = sandbox.run(['import', fixture('chamilo-example-2.x.csv'), '--on-existing', 'update']);
    expect(without.stderr).not.toContain('generated');
  });

  it('takes up a credentials file that a killed run left cut short as it created it (empty, or part of the header)', () => {
    for (const [name, start] of [
      ['cut-empty.csv', ''],
      ['cut-header.csv', 'username;pa'],
    ] as const) {
      const credentials = path.join(sandbox.dir, name);
      fs.writeFileSync(credentials, start, { mode: 0o600 });
      const csv = sandbox.file(`${name}.in.csv`, `LastName;FirstName;Email;UserName;Password\nCut;Carl;${name}@example.org;${name.replace('.csv', '')};\n`);
      const result = sandbox.run(['import', csv, '--credentials', credentials]);
      expect({ name, code: result.code, stderr: result.stderr }).toEqual({ name, code: 0, stderr: '' });
      expect(fs.readFileSync(credentials, 'utf8')).toMatch(new RegExp(`^username;password\n${name.replace('.csv', '')};[A-Za-z0-9]{16}\n$`));
    }
    // Anything else is still not roster's.
    const other = path.join(sandbox.dir, 'cut-other.csv');
    fs.writeFileSync(other, 'users;names\n', { mode: 0o600 });
    const csv = sandbox.file('cut-other.in.csv', 'LastName;FirstName;Email;UserName;Password\nCut;Cora;cora@example.org;cora;\n');
    expect(sandbox.run(['import', csv, '--credentials', other]).code).toBe(4);
  });

  it('keeps the lines of finished imports in a reused credentials file, also of users renamed or purged since (newcomer report)', () => {
    const lines = () => fs.readFileSync(path.join(sandbox.dir, 'creds.csv'), 'utf8').trim().split('\n').slice(1);
    const row = (name: string) => `LastName;FirstName;Email;UserName\nL;F;${name}@example.org;${name}\n`;
    for (const name of ['n1', 'n2']) {
      sandbox.file(`${name}.csv`, row(name));
      expect(sandbox.run(['import', `${name}.csv`, '--credentials', 'creds.csv'])).toMatchObject({ code: 0 });
    }
    const [n1, n2] = lines();
    expect(sandbox.run(['edit', 'n1', '--username', 'n1x']).code).toBe(0);
    expect(sandbox.run(['delete', 'n2', '--yes']).code).toBe(0);
    expect(sandbox.run(['purge', 'n2', '--yes']).code).toBe(0);
    sandbox.file('n3.csv', row('n3'));
    const third = sandbox.run(['import', 'n3.csv', '--credentials', 'creds.csv', '--json']);
    expect(third.code).toBe(0);
    expect(third.stderr).not.toContain('removed');
    expect(JSON.parse(third.stdout)).toMatchObject({ generatedPasswords: 1, staleCredentials: 0 });
    expect(lines()).toEqual([n1, n2, expect.stringMatching(/^n3;/)]);
  });

  it('settles the pending passwords a killed run left: those of users it committed join the file, the others are dropped', () => {
    sandbox.file('kept.csv', 'LastName;FirstName;Email;UserName;Password\nL;F;kept@example.org;kept;long secret 1\n');
    expect(sandbox.run(['import', 'kept.csv']).code).toBe(0);
    sandbox.file('creds.csv', 'username;password\nold;from an earlier term\n');
    // As a run killed after its commit (kept) and one killed before it (ghost) leave it.
    const pending = sandbox.file('.creds.csv.pending', 'username;password\nkept;long secret 1\nghost;never committed\n');
    sandbox.file('next.csv', 'LastName;FirstName;Email;UserName\nL;F;next@example.org;next\n');
    const result = sandbox.run(['import', 'next.csv', '--credentials', 'creds.csv', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ generatedPasswords: 1, staleCredentials: 1, recoveredCredentials: 1 });
    expect(result.stderr).toContain('an interrupted run had not yet written 1 password of users it created to creds.csv; added now');
    expect(result.stderr).toContain('an interrupted run left 1 password of users it never created; dropped');
    expect(result.stderr).not.toContain('never committed');
    expect(fs.readFileSync(path.join(sandbox.dir, 'creds.csv'), 'utf8')).toMatch(
      /^username;password\nold;from an earlier term\nkept;long secret 1\nnext;\S{16}\n$/,
    );
    expect(fs.existsSync(pending)).toBe(false);

    // A pending file that is a link is not followed, and nothing is imported.
    fs.symlinkSync('/etc/passwd', pending);
    sandbox.file('after.csv', 'LastName;FirstName;Email;UserName\nL;F;after@example.org;after\n');
    const linked = sandbox.run(['import', 'after.csv', '--credentials', 'creds.csv']);
    expect(linked.code).toBe(4);
    expect(linked.stderr).toContain('.creds.csv.pending is a symbolic link');
    expect(sandbox.query('SELECT username FROM "user" WHERE username = ?', 'after')).toEqual([]);
  });

  it('refuses hostile and broken files with exit 5, expanding and reading nothing, importing nothing', () => {
    const cases: [string, string][] = [
      [fixture('bad/billion-laughs.xml'), 'DOCTYPE'],
      [fixture('bad/external-entity.xml'), 'DOCTYPE'],
      [fixture('bad/undeclared-entity.xml'), '"&lol9;" is not an XML entity'],
      [fixture('bad/truncated.xml'), 'line 9: the file ends inside <Contact> number 2 (truncated?)'],
      [fixture('bad/malformed-quotes.csv'), 'line 3: a quoted field is never closed'],
      [
        sandbox.file('garbage.csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0x10])),
        'is a PNG image, not a CSV, XML or JSON file',
      ],
      [sandbox.file('nul.csv', Buffer.concat([Buffer.from('LastName;FirstName;Email;UserName\n'), Buffer.alloc(4096)])), 'binary data'],
      [
        sandbox.file('long.csv', `LastName;FirstName;Email;UserName\nDoe;Jane;jane@example.org;${'x'.repeat(3 * 1024 * 1024)}\n`),
        'line 2: the record is longer than 1 MB',
      ],
      [sandbox.file('long-header.csv', 'x'.repeat(3 * 1024 * 1024)), 'line 1 is longer than'],
      [sandbox.file('readme.txt', 'Hello,\nthis is not a list of users.\n'), 'unknown column: Hello'],
      [sandbox.file('readme.md', 'Hello,\nthis is not a list of users.\n'), 'unknown column: Hello'],
      [sandbox.file('page.xml', '<html><body>hi</body></html>'), 'the root element is <html>'],
      [sandbox.file('users.json', '[{"username": "a"},'), 'the file ends before the closing "]"'],
    ];
    for (const [file, message] of cases) {
      const result = sandbox.run(['import', file]);
      expect({ file: path.basename(file), code: result.code }).toEqual({ file: path.basename(file), code: 5 });
      expect(result.stderr).toContain(message);
      expect(result.stderr).not.toContain('internal error');
    }
    expect(users(sandbox)).toEqual([]);
    expect(sandbox.run(['import', 'no-such-file.csv']).code).toBe(3);
  });

  it('a 1 GB file of zero bytes ends at once with exit 5', () => {
    const file = path.join(sandbox.dir, 'huge.csv');
    const fd = fs.openSync(file, 'w');
    fs.ftruncateSync(fd, 1024 * 1024 * 1024);
    fs.closeSync(fd);
    const started = Date.now();
    const result = sandbox.run(['import', file]);
    expect(result.code).toBe(5);
    expect(Date.now() - started).toBeLessThan(5000);
    fs.rmSync(file);
  });
});

describe('roster import: interrupted', () => {
  let sandbox: Sandbox;
  beforeEach(() => {
    sandbox = new Sandbox();
    createCourses(sandbox, ['COURSE1']);
  });
  afterEach(() => sandbox.cleanup());

  const ROWS = 1500;
  function bigFile(): string {
    const lines = ['LastName;FirstName;Email;UserName;Password;Status;Courses'];
    for (let i = 0; i < ROWS; i++) lines.push(`Last${i};First${i};user${i}@example.org;user${i};password-${i};5;COURSE1`);
    return sandbox.file('big.csv', `${lines.join('\n')}\n`);
  }

  function count(): number {
    try {
      return sandbox.query<{ n: number }>('SELECT count(*) AS n FROM "user" WHERE is_system = 0')[0]!.n;
    } catch {
      return 0;
    }
  }

  /** Starts an import and signals it once some users are committed. */
  async function interrupt(file: string, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
    const child = spawn(process.execPath, [BIN, 'import', file, '--credentials', 'creds.csv'], {
      cwd: sandbox.dir,
      env: { PATH: process.env.PATH, HOME: sandbox.dir, ROSTER_DB: sandbox.db, ROSTER_BCRYPT_COST: '6', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, sig) => resolve({ code, signal: sig })),
    );
    const deadline = Date.now() + 20000;
    while (count() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill(signal);
    return { ...(await exited), stderr };
  }

  function checkWhole(): number {
    const n = count();
    // Every committed user is whole: a role, an enrolment, an audit row and a password.
    expect(sandbox.query('SELECT count(*) AS n FROM user_role')).toEqual([{ n }]);
    expect(sandbox.query('SELECT count(*) AS n FROM course_user')).toEqual([{ n }]);
    expect(sandbox.query("SELECT count(*) AS n FROM audit_log WHERE action = 'user.import'")).toEqual([{ n }]);
    expect(sandbox.query('SELECT count(*) AS n FROM "user" WHERE is_system = 0 AND password_hash IS NULL')).toEqual([{ n: 0 }]);
    return n;
  }

  it('killed halfway (SIGKILL), leaves only whole users; the same command finishes the job', async () => {
    const file = bigFile();
    const killed = await interrupt(file, 'SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    const committed = checkWhole();
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThan(ROWS);
    const resumed = sandbox.run(['import', file, '--json']);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ created: ROWS - committed, skipped: committed, failed: 0 });
    expect(checkWhole()).toBe(ROWS);
  }, 60000);

  it('stopped with Ctrl-C, says what to do and exits 130', async () => {
    const file = bigFile();
    const stopped = await interrupt(file, 'SIGINT');
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain('run the same command again');
    const committed = checkWhole();
    expect(committed).toBeLessThan(ROWS);
    // Users created before the stop have their generated passwords on disk (none here: all given).
    const resumed = sandbox.run(['import', file]);
    expect(resumed.code).toBe(0);
    expect(checkWhole()).toBe(ROWS);
  }, 60000);
});
