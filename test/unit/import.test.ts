import { CredentialsFile, RejectReport } from '../../src/formats/import-files';
import fs from 'node:fs';
import path from 'node:path';
import type { RosterDb } from '../../src/db/database';
import type { ServiceContext } from '../../src/core/context';
import { addField } from '../../src/core/fields';
import { importUsers, type ImportRequest, type ImportSummary } from '../../src/core/import';
import { layoutColumns, mapColumns, parseColumnMap } from '../../src/core/import-columns';
import { loadFields } from '../../src/core/fields';
import { verifyPassword } from '../../src/core/passwords';
import { addUser, getUser } from '../../src/core/users';
import { bufferSource } from '../../src/formats/decode';
import { scanUserFile } from '../../src/formats/user-file';
import { openTestDatabase, type TestDatabase } from './helpers';

// A cheap bcrypt for the accounts the tests create.
process.env.ROSTER_BCRYPT_COST = '4';

const NOW = new Date('2026-09-01T08:00:00.000Z');
let test: TestDatabase;
let dir: string;
let db: RosterDb;
let ctx: ServiceContext;

beforeEach(async () => {
  test = await openTestDatabase();
  ({ db, dir } = test);
  ctx = { db, now: () => NOW, actor: 'tester' };
  for (const code of ['COURSE1', 'COURSE2', 'Math-101']) {
    await test.execute(
      'INSERT INTO course (code, code_key, title, language, owner_id, created_at) VALUES (?, ?, ?, ?, NULL, ?)',
      code,
      code.toLowerCase(),
      `Course ${code}`,
      'en',
      NOW.toISOString(),
    );
  }
  await test.execute(
    'INSERT INTO training_session (name, name_key, starts_on, ends_on, created_at) VALUES (?, ?, ?, ?, ?)',
    'Autumn 2026',
    'autumn 2026',
    '2026-09-01',
    '2026-12-20',
    NOW.toISOString(),
  );
});

afterEach(() => test.cleanup());

type Options = Partial<Omit<ImportRequest, 'file' | 'layout'>> & { maps?: string[]; extension?: string };

async function run(text: string, options: Options = {}): Promise<ImportSummary> {
  const extension = options.extension ?? 'csv';
  const file = await scanUserFile(bufferSource(Buffer.from(text), `users.${extension}`, extension));
  const fields = await loadFields(db.kysely);
  const mapping = mapColumns(file.columns, fields, (options.maps ?? []).map(parseColumnMap));
  const layout = layoutColumns(file.columns, mapping.targets, file.name);
  return importUsers(ctx, { onExisting: 'skip', pool: { cost: 4, size: 2 }, ...options, file, layout });
}

function rows<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T[]> {
  return test.rows<T>(sql, ...params);
}

const HEADER = 'LastName;FirstName;Email;UserName;Password;Status;Courses;Sessions';

describe('importUsers', () => {
  it('creates users with roles, enrolments (course codes and session names in any case) and one audit row each', async () => {
    const summary = await run(
      `${HEADER}\nDupont;Élodie;elodie@example.org;edupont;long enough secret;5;course1|MATH-101;autumn 2026\nMüller;Jürgen;jurgen@example.org;jmuller;another secret;teacher;COURSE2;\n`,
    );
    expect(summary).toMatchObject({ created: 2, updated: 0, skipped: 0, failed: 0, errors: [], weakPasswords: 0 });
    const elodie = await getUser(ctx, 'edupont');
    expect(elodie).toMatchObject({ firstname: 'Élodie', roles: ['student'], language: 'en', registeredAt: NOW.toISOString() });
    expect(await rows('SELECT c.code, cu.role FROM course_user cu JOIN course c ON c.id = cu.course_id WHERE user_id = ? ORDER BY c.code', elodie.id)).toEqual([
      { code: 'COURSE1', role: 'student' },
      { code: 'Math-101', role: 'student' },
    ]);
    expect(await rows('SELECT session_id FROM "session_user" WHERE user_id = ?', elodie.id)).toHaveLength(1);
    const jurgen = await getUser(ctx, 'jmuller');
    expect(await rows('SELECT role FROM course_user WHERE user_id = ?', jurgen.id)).toEqual([{ role: 'teacher' }]);
    const audit = await rows<{ action: string; actor: string; details: string }>(
      'SELECT action, actor, details FROM audit_log WHERE action = ? ORDER BY id',
      'user.import',
    );
    expect(audit).toHaveLength(2);
    expect(audit[0]!.actor).toBe('tester');
    expect(JSON.parse(audit[0]!.details)).toMatchObject({
      source: 'users.csv',
      row: 2,
      roles: ['student'],
      courses: ['COURSE1', 'Math-101'],
      sessions: ['Autumn 2026'],
    });
    for (const entry of audit) expect(entry.details).not.toMatch(/secret|\$2b\$/);
    const hash = (await rows<{ password_hash: string }>('SELECT password_hash FROM "user" WHERE username = ?', 'edupont'))[0]!.password_hash;
    expect(hash).toMatch(/^\$2b\$04\$/);
    expect(await verifyPassword('long enough secret', hash)).toBe(true);
  });

  it('maps Chamilo Status codes and words, Roles lists, languages by name, Chamilo dates and Active', async () => {
    const summary = await run(
      'LastName;FirstName;Email;UserName;PasswordHash;Status;Roles;language;ExpiryDate;Active\n' +
        'A;A;a@example.org;a;;1;;spanish;2027-06-30 00:00:00;1\n' +
        'B;B;b@example.org;b;;drh;;;0000-00-00 00:00:00;0\n' +
        'C;C;c@example.org;c;;20;student|admin;pt-br;;-1\n' +
        'D;D;d@example.org;d;;3;;;;\n' +
        'E;E;e@example.org;e;;;;;;\n',
      { maps: [] },
    );
    expect(summary.failed).toBe(0);
    expect(await getUser(ctx, 'a')).toMatchObject({ roles: ['teacher'], language: 'es', expiresAt: '2027-06-30T00:00:00.000Z', active: true });
    expect(await getUser(ctx, 'b')).toMatchObject({ roles: ['hr_manager'], expiresAt: null, active: false });
    expect(await getUser(ctx, 'c')).toMatchObject({ roles: ['student', 'admin'], language: 'pt-BR', active: true });
    expect(await getUser(ctx, 'd')).toMatchObject({ roles: ['session_admin'] });
    expect(await getUser(ctx, 'e')).toMatchObject({ roles: ['student'] });
  });

  it('reports each bad row with its row, column and reason, and imports the others', async () => {
    const summary = await run(
      `${HEADER}\n` +
        'Doe;Jane;jane@example;jdoe;long enough secret;5;;\n' +
        'Roe;Rita;rita@example.org;rroe;long enough secret;9;;\n' +
        'Poe;Ed;ed@example.org;epoe;long enough secret;5;NOPE;nowhere\n' +
        'Ok;Olga;olga@example.org;olga;long enough secret;5;;\n' +
        ';;;;;;;\n' +
        'Dup;Dora;OLGA@example.org;dora;long enough secret;5;;\n' +
        'Dup;Olaf;olaf@example.org;OLGA;long enough secret;5;;\n',
    );
    expect(summary).toMatchObject({ created: 1, failed: 5 });
    expect(summary.errors).toEqual([
      { row: 2, field: 'Email', message: '"jane@example" is not a valid email address' },
      { row: 3, field: 'Status', message: expect.stringContaining('unknown status "9"') },
      { row: 4, field: 'Courses', message: expect.stringContaining('no course "NOPE"') },
      { row: 4, field: 'Sessions', message: expect.stringContaining('no session "nowhere"') },
      { row: 7, field: 'Email', message: '"OLGA@example.org" is also on row 5 of this file' },
      { row: 8, field: 'UserName', message: '"OLGA" is also on row 5 of this file' },
    ]);
    expect(await rows('SELECT username FROM "user" WHERE is_system = 0')).toEqual([{ username: 'olga' }]);
  });

  it('skips, fails on, or updates existing users matched by username then email, ignoring case', async () => {
    await addUser(ctx, { firstname: 'Ada', lastname: 'Lovelace', email: 'ada@example.org', username: 'ada', roles: ['teacher'], password: 'original secret' });
    const file = `${HEADER};OfficialCode\nLOVELACE;;ADA@example.org;Ada;new long secret;admin;COURSE1;;A-1\n`;
    expect(await run(file)).toMatchObject({ created: 0, skipped: 1, failed: 0 });
    const failed = await run(file, { onExisting: 'fail' });
    expect(failed).toMatchObject({ failed: 1, conflictsOnly: true });
    expect(failed.errors[0]!.message).toContain('user ada (id:');
    const updated = await run(file, { onExisting: 'update', updatePasswords: true });
    expect(updated).toMatchObject({ updated: 1, failed: 0 });
    const ada = await getUser(ctx, 'ada');
    // Non-empty values replace, empty ones keep; roles and enrolments are added.
    expect(ada).toMatchObject({
      lastname: 'LOVELACE',
      firstname: 'Ada',
      username: 'Ada',
      email: 'ADA@example.org',
      officialCode: 'A-1',
      roles: ['teacher', 'admin'],
    });
    expect(await rows('SELECT role FROM course_user WHERE user_id = ?', ada.id)).toEqual([{ role: 'teacher' }]);
    const hash = (await rows<{ password_hash: string }>('SELECT password_hash FROM "user" WHERE id = ?', ada.id))[0]!.password_hash;
    expect(await verifyPassword('new long secret', hash)).toBe(true);
    const entry = (await rows<{ details: string }>("SELECT details FROM audit_log WHERE action = 'user.import' ORDER BY id"))[0]!;
    expect(JSON.parse(entry.details).changes).toEqual(
      expect.arrayContaining([
        { field: 'lastname', before: 'Lovelace', after: 'LOVELACE' },
        { field: 'password', before: null, after: null, secret: true },
        { field: 'roles', before: ['teacher'], after: ['teacher', 'admin'] },
      ]),
    );
    expect(entry.details).not.toContain('new long secret');
    // The same file again, without --update-passwords: nothing changes, the user keeps the password (issue 10).
    const again = await run(file, { onExisting: 'update' });
    expect(again).toMatchObject({ updated: 0, skipped: 1, skippedRows: [{ row: 2, username: 'Ada' }] });
    expect((await rows<{ password_hash: string }>('SELECT password_hash FROM "user" WHERE id = ?', ada.id))[0]!.password_hash).toBe(hash);
    // --replace-roles: the file's roles replace the stored ones.
    const replaced = await run(`${HEADER};OfficialCode\nLOVELACE;;ADA@example.org;Ada;;admin;;;A-1\n`, { onExisting: 'update', replaceRoles: true });
    expect(replaced).toMatchObject({ updated: 1, failed: 0 });
    expect((await getUser(ctx, 'ada')).roles).toEqual(['admin']);
    // …but the last active admin keeps the admin role.
    const lastAdmin = await run(`${HEADER};OfficialCode\nLOVELACE;;ADA@example.org;Ada;;student;;;A-1\n`, { onExisting: 'update', replaceRoles: true });
    expect(lastAdmin).toMatchObject({ updated: 0, failed: 1 });
    expect(lastAdmin.errors[0]!.message).toContain('last active admin');
  });

  it('refuses a row whose username is one user and email another', async () => {
    await addUser(ctx, { firstname: 'Ada', lastname: 'L', email: 'ada@example.org', username: 'ada', roles: ['student'], password: 'long secret 1' });
    await addUser(ctx, { firstname: 'Bob', lastname: 'B', email: 'bob@example.org', username: 'bob', roles: ['student'], password: 'long secret 2' });
    for (const onExisting of ['skip', 'update', 'fail'] as const) {
      const summary = await run(`${HEADER}\nL;Ada;BOB@example.org;ada;;5;;\n`, { onExisting });
      expect(summary).toMatchObject({ failed: 1, conflictsOnly: true });
      expect(summary.errors[0]!.message).toMatch(/username "ada" is user ada .* but the email "BOB@example.org" is user bob/);
    }
  });

  it('stores bcrypt hashes as they are, refuses bad ones and hashes in a Password column', async () => {
    const chamilo = '$2y$04$usesomesillystringfore7hnbRJHxXVLeakoG8K30oukPsA.ztMG';
    const summary = await run(
      'LastName;FirstName;Email;UserName;Password;PasswordHash\n' +
        `A;A;a@example.org;a;;${chamilo}\n` +
        'B;B;b@example.org;b;;not-a-hash\n' +
        `C;C;c@example.org;c;${chamilo};\n` +
        `D;D;d@example.org;d;plain secret;${chamilo}\n`,
    );
    expect(summary).toMatchObject({ created: 1, failed: 3 });
    expect(await rows('SELECT password_hash FROM "user" WHERE username = ?', 'a')).toEqual([{ password_hash: chamilo }]);
    expect(summary.errors.map((e) => e.field)).toEqual(['PasswordHash', 'Password', 'Password']);
  });

  it('generates missing passwords into a 0600 credentials file, counts weak ones, and gives LDAP accounts none', async () => {
    const credentials = path.join(dir, 'credentials.csv');
    const summary = await run(
      'LastName;FirstName;Email;UserName;Password;AuthSource\nA;A;a@example.org;a;;platform\nB;B;b@example.org;b;abc;platform\nC;C;c@example.org;c;;ldap\n',
      { credentials: CredentialsFile.check(credentials, {}) },
    );
    expect(summary).toMatchObject({ created: 3, generatedPasswords: 1, weakPasswords: 1 });
    expect(summary.warnings).toEqual([{ row: 3, field: 'Password', message: 'the password is weak (fewer than 8 characters)' }]);
    expect(fs.statSync(credentials).mode & 0o777).toBe(0o600);
    const lines = fs.readFileSync(credentials, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('username;password');
    const [username, password] = lines[1]!.split(';') as [string, string];
    expect(username).toBe('a');
    const hash = (await rows<{ password_hash: string }>('SELECT password_hash FROM "user" WHERE username = ?', 'a'))[0]!.password_hash;
    expect(await verifyPassword(password, hash)).toBe(true);
    expect(await rows('SELECT password_hash FROM "user" WHERE username = ?', 'c')).toEqual([{ password_hash: null }]);
  });

  it('writes nothing under --atomic when a row fails, and nothing at all in a dry run', async () => {
    const file = `${HEADER}\nA;A;a@example.org;a;long secret;5;;\nB;B;b@example;b;long secret;5;;\n`;
    const atomic = await run(file, { atomic: true, chunkRows: 1 });
    expect(atomic).toMatchObject({ created: 0, failed: 1, atomic: true });
    const dry = await run(file, { dryRun: true });
    expect(dry).toMatchObject({ created: 1, failed: 1, dryRun: true });
    expect(await rows('SELECT count(*) AS n FROM "user" WHERE is_system = 0')).toEqual([{ n: 0 }]);
    expect(await rows('SELECT count(*) AS n FROM audit_log')).toEqual([{ n: 0 }]);
    const ok = await run(`${HEADER}\nA;A;a@example.org;a;long secret;5;;\n`, { atomic: true });
    expect(ok).toMatchObject({ created: 1, failed: 0 });
  });

  it('writes the rejected rows as CSV with the reason, ready to import again', async () => {
    const report = path.join(dir, 'rejected.csv');
    await run(`${HEADER}\nA;A;a@example;a;long secret;5;;\nB;B;b@example.org;b;long secret;5;;\n"C;x";C;c@example.org;c;=cmd;wizard;;\n`, {
      report: new RejectReport(report, HEADER.split(';'), false),
    });
    expect(fs.statSync(report).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(report, 'utf8')).toBe(
      `${HEADER};ImportError\r\n` +
        'A;A;a@example;a;long secret;5;;;"Email: ""a@example"" is not a valid email address"\r\n' +
        '"C;x";C;c@example.org;c;\'=cmd;wizard;;;"Status: unknown status ""wizard""; use 1 (teacher), 5 (student), 3 (session admin), 4 (HR manager), 20 (invitee), user, teacher, session_admin, drh, or a role name"\r\n',
    );
  });

  it('stops at a signal between chunks: whole chunks committed, none half-written, and a second run finishes', async () => {
    const lines = [HEADER];
    for (let i = 0; i < 50; i++) lines.push(`L${i};F${i};u${i}@example.org;u${i};long secret ${i};5;COURSE1;`);
    const controller = new AbortController();
    let progressCalls = 0;
    const first = await run(lines.join('\n'), {
      chunkRows: 10,
      signal: controller.signal,
      onProgress: () => {
        if (++progressCalls === 2) controller.abort();
      },
    });
    expect(first.interrupted).toBe(true);
    const created = (await rows<{ n: number }>('SELECT count(*) AS n FROM "user" WHERE is_system = 0'))[0]!.n;
    expect(created).toBeGreaterThan(0);
    expect(created % 10).toBe(0);
    expect(created).toBeLessThan(50);
    expect(await rows('SELECT count(*) AS n FROM course_user')).toEqual([{ n: created }]);
    expect(await rows("SELECT count(*) AS n FROM audit_log WHERE action = 'user.import'")).toEqual([{ n: created }]);
    const second = await run(lines.join('\n'), { chunkRows: 10 });
    expect(second).toMatchObject({ created: 50 - created, skipped: created, failed: 0 });
  });

  it('takes no value for a name of the object prototype (constructor, __proto__)', async () => {
    const summary = await run(
      'LastName;FirstName;Email;UserName;Status;language;__proto__\nA;B;ab@example.org;ab;constructor;constructor;x\nC;D;cd@example.org;cd;__proto__;__proto__;y\n',
      {
        maps: ['__proto__=ignore'],
      },
    );
    expect(summary).toMatchObject({ created: 0, failed: 2 });
    expect(summary.errors.map((e) => e.field)).toEqual(['Status', 'language', 'Status', 'language']);
  });

  it('imports extra fields by name, checked against their type', async () => {
    await addField(ctx, { name: 'cohort', type: 'number' });
    await addField(ctx, { name: 'campus', type: 'choice', choices: ['north', 'south'] });
    const summary = await run('LastName;FirstName;Email;UserName;Cohort;CAMPUS\nA;A;a@example.org;a;2026;North\nB;B;b@example.org;b;soon;south\n');
    expect(summary).toMatchObject({ created: 1, failed: 1 });
    expect(summary.errors[0]).toEqual({ row: 3, field: 'Cohort', message: '"soon" is not a number' });
    expect((await getUser(ctx, 'a')).extra).toEqual({ campus: 'north', cohort: 2026 });
  });

  it('imports XML and JSON as well', async () => {
    const xml = await run(
      '<Contacts><Contact><LastName>X</LastName><FirstName>Y</FirstName><Email>x@example.org</Email><UserName>xy</UserName><Status>teacher</Status></Contact></Contacts>',
      {
        extension: 'xml',
      },
    );
    expect(xml.created).toBe(1);
    const json = await run(
      '[{"username":"js","email":"js@example.org","firstname":"J","lastname":"S","roles":["student","admin"],"courses":[{"code":"COURSE2","role":"teacher"}],"active":false}]',
      {
        extension: 'json',
      },
    );
    expect(json.created).toBe(1);
    const js = await getUser(ctx, 'js');
    expect(js).toMatchObject({ roles: ['student', 'admin'], active: false });
    expect(await rows('SELECT role FROM course_user WHERE user_id = ?', js.id)).toEqual([{ role: 'teacher' }]);
  });
});
