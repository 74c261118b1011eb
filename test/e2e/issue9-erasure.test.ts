import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Sandbox } from './helpers';
import { seedUsers } from './seed';
import { itOnSqlite } from '../support/engine';

const env = { ROSTER_NOW: '2026-06-15T12:00:00.000Z' };

/** The database file and its write-ahead log (when there is one), as raw bytes. */
function fileBytes(sandbox: Sandbox): { name: string; bytes: Buffer }[] {
  return [sandbox.db, `${sandbox.db}-wal`].filter((f) => fs.existsSync(f)).map((f) => ({ name: path.basename(f), bytes: fs.readFileSync(f) }));
}

/** Which of the values occur, as UTF-8 bytes (any case), in the database file or its WAL. */
function foundInFile(sandbox: Sandbox, values: string[]): string[] {
  const files = fileBytes(sandbox);
  const found: string[] = [];
  for (const value of values) {
    for (const variant of new Set([value, value.toLowerCase(), value.toUpperCase()])) {
      const needle = Buffer.from(variant, 'utf8');
      for (const f of files) if (f.bytes.indexOf(needle) !== -1) found.push(`${value} in ${f.name}`);
    }
  }
  return [...new Set(found)];
}

/** Opens a copy of the database (with its WAL) so that nothing the check does touches the original. */
function withCopy<T>(sandbox: Sandbox, name: string, work: (db: Database.Database) => T): T {
  const copy = path.join(sandbox.dir, `${name}.db`);
  fs.copyFileSync(sandbox.db, copy);
  if (fs.existsSync(`${sandbox.db}-wal`)) fs.copyFileSync(`${sandbox.db}-wal`, `${copy}-wal`);
  const db = new Database(copy);
  try {
    return work(db);
  } finally {
    db.close();
    for (const f of [copy, `${copy}-wal`, `${copy}-shm`]) fs.rmSync(f, { force: true });
  }
}

function trigrams(value: string): Set<string> {
  const text = value.toLowerCase();
  const out = new Set<string>();
  for (let i = 0; i + 3 <= text.length; i++) out.add(text.slice(i, i + 3));
  return out;
}

describe('issue 9: an anonymized person leaves no trace in the database file', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());

  // Every value the person ever had, each 8+ characters and made of rare letter runs.
  const person = {
    firstname: 'Qzxvjkwyth',
    lastname: 'Vwqpzjxkbr',
    username: 'jxqzvwkplm',
    officialCode: 'QZXOFC7731',
    email: 'kwzqvxjhpl@zqxmail.example',
    oldEmail: 'oldqzvxwjk@zqxmail.example',
  };
  const personal = Object.values(person);

  itOnSqlite('anonymize after many edits, deletions and purges erases every value from the file and the search index', () => {
    // 400 other users, 300 of whom are later deleted and purged.
    seedUsers(sandbox, [
      { username: 'boss', roles: ['admin'] },
      ...Array.from({ length: 400 }, (_, i) => ({
        username: `member${i}`,
        firstname: `Mfirst${i}`,
        lastname: `Mlast${i}`,
        registeredAt: i < 300 ? '2025-01-01T00:00:00.000Z' : '2026-01-01T00:00:00.000Z',
      })),
    ]);
    const add = sandbox.run(
      [
        'add',
        '--username',
        person.username,
        '--email',
        person.oldEmail,
        '--firstname',
        person.firstname,
        '--lastname',
        person.lastname,
        '--official-code',
        person.officialCode,
        '--role',
        'student',
        '--password-stdin',
      ],
      { input: 'correct horse battery\n', env },
    );
    expect(add.code).toBe(0);
    // Edits: the search index records each old entry with a delete marker.
    expect(sandbox.run(['edit', person.username, '--email', person.email], { env }).code).toBe(0);
    for (let i = 300; i < 320; i++) expect(sandbox.run(['edit', `member${i}`, '--lastname', `Edited${i}`], { env }).code).toBe(0);
    sandbox.execute("UPDATE \"user\" SET firstname = 'Renamed' || id WHERE username LIKE 'member3%'");
    expect(sandbox.run(['delete', '--registered-before', '2025-06-01', '--yes'], { env }).code).toBe(0);
    expect(sandbox.run(['purge', '--registered-before', '2025-06-01', '--yes'], { env })).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('purged 300 user(s)'),
    });

    // The check can see the values: they are in the file before the erasure.
    expect(foundInFile(sandbox, [person.firstname, person.email]).length).toBeGreaterThan(0);

    const result = sandbox.run(['anonymize', person.username, '--yes'], { env });
    expect(result.code).toBe(0);

    // Freed pages count: copies of old index entries left there by the purge are in the file too.
    expect(foundInFile(sandbox, personal)).toEqual([]);

    withCopy(sandbox, 'vocab', (db) => {
      const living = db.prepare('SELECT firstname, lastname, username, email, official_code FROM "user"').all() as Record<string, string | null>[];
      const common = new Set<string>();
      for (const row of living) for (const v of Object.values(row)) if (v) for (const t of trigrams(v)) common.add(t);
      const unique = new Set<string>();
      for (const v of personal) for (const t of trigrams(v)) if (!common.has(t)) unique.add(t);
      expect(unique.size).toBeGreaterThan(20);
      db.exec("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, 'user_search', 'row')");
      const terms = (db.prepare('SELECT term FROM temp.v').all() as { term: string }[]).map((r) => r.term);
      expect(terms.length).toBeGreaterThan(100);
      expect(terms.filter((t) => unique.has(t))).toEqual([]);
    });
  });
});

describe('issue 9: purged accounts leave no trace in the database file', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());

  itOnSqlite('purging 3,000 deleted users removes their emails from the file and its WAL, freed pages included', () => {
    seedUsers(sandbox, [
      { username: 'boss', roles: ['admin'] },
      ...Array.from({ length: 200 }, (_, i) => ({ username: `keeper${i}` })),
      ...Array.from({ length: 3000 }, (_, i) => ({ username: `leaver${i}`, registeredAt: '2025-01-01T00:00:00.000Z' })),
    ]);
    // Emails that occur nowhere else (the purge audit row keeps the username, not the email).
    sandbox.execute(
      "UPDATE \"user\" SET email = 'purgeme-' || substr(username, 7) || '-zqx@example.org', email_key = 'purgeme-' || substr(username, 7) || '-zqx@example.org' WHERE username LIKE 'leaver%'",
    );
    expect(sandbox.query('SELECT email FROM "user" WHERE username = \'leaver42\'')).toEqual([{ email: 'purgeme-42-zqx@example.org' }]);
    expect(sandbox.run(['delete', '--registered-before', '2025-06-01', '--yes'], { env })).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('deleted 3000 user(s)'),
    });
    const before = fileBytes(sandbox).some((f) => f.bytes.includes(Buffer.from('purgeme-')));
    expect(before).toBe(true);

    const purge = sandbox.run(['purge', '--registered-before', '2025-06-01', '--yes'], { env });
    expect(purge).toMatchObject({ code: 0, stdout: expect.stringContaining('purged 3000 user(s)') });
    expect(sandbox.query('SELECT count(*) AS n FROM "user" WHERE email LIKE \'purgeme-%\'')).toEqual([{ n: 0 }]);

    const needle = Buffer.from('purgeme-');
    const remaining = fileBytes(sandbox).map((f) => {
      let n = 0;
      for (let at = f.bytes.indexOf(needle); at !== -1; at = f.bytes.indexOf(needle, at + 1)) n++;
      return `${f.name}: ${n}`;
    });
    expect(remaining.filter((r) => !r.endsWith(': 0'))).toEqual([]);
    // The users that stay are all there.
    expect(sandbox.query('SELECT count(*) AS n FROM "user" WHERE username LIKE \'keeper%\'')).toEqual([{ n: 200 }]);
  });
});

describe('issue 9: backups are part of the erasure record', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());

  const details = (action: string) =>
    sandbox.query<{ details: string | null }>('SELECT details FROM audit_log WHERE action = ? ORDER BY id', action).map((r) => r.details ?? '');

  it('db backup writes a db.backup audit row naming the backup file', () => {
    seedUsers(sandbox, [{ username: 'boss', roles: ['admin'] }, { username: 'xavier' }]);
    const b1 = path.join(sandbox.dir, 'b1.db');
    const result = sandbox.run(['db', 'backup', b1], { env });
    expect(result.code).toBe(0);
    expect(fs.existsSync(b1)).toBe(true);
    const rows = details('db.backup');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain(b1);
  });

  it('the audit entry of an anonymization lists the backups taken before it, which still hold the person', () => {
    const b1 = path.join(sandbox.dir, 'b1.db');
    if (!fs.existsSync(b1)) expect(sandbox.run(['db', 'backup', b1], { env }).code).toBe(0);
    const result = sandbox.run(['anonymize', 'xavier', '--yes'], { env });
    expect(result.code).toBe(0);
    const rows = details('user.anonymize');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain(b1);
  });
});

describe('issue 9: the audit trail keeps no personal value after an erasure (found by a newcomer)', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());
  const add = (username: string, first: string, last: string, code: string) =>
    sandbox.run(
      [
        'add',
        '--username',
        username,
        '--email',
        `${username}@qzmail.example`,
        '--firstname',
        first,
        '--lastname',
        last,
        '--official-code',
        code,
        '--role',
        'teacher',
        '--password-stdin',
      ],
      {
        input: 'correct horse battery\n',
      },
    );

  beforeAll(() => {
    seedUsers(sandbox, [{ username: 'boss', roles: ['admin'] }]);
  });

  it('purge erases the values of the account from its earlier audit entries (add, edit)', () => {
    expect(add('pelwzq', 'Pelagiaqz', 'Wimbrellqz', 'OFCQZ991').code).toBe(0);
    expect(sandbox.run(['edit', 'pelwzq', '--phone', '+44 7700 900123', '--lastname', 'Wimbrellzq']).code).toBe(0);
    expect(sandbox.run(['delete', 'pelwzq', '--yes']).code).toBe(0);
    expect(sandbox.run(['purge', 'pelwzq', '--yes']).code).toBe(0);
    expect(foundInFile(sandbox, ['pelwzq', 'Pelagiaqz', 'Wimbrellqz', 'Wimbrellzq', 'OFCQZ991', '7700 900123'])).toEqual([]);
  });

  it('anonymize erases the username from the course and session entries that name its owner or coach', () => {
    expect(add('gorvtq', 'Gorvqxa', 'Tqxbrel', 'OFCQZ992').code).toBe(0);
    expect(sandbox.run(['course', 'add', 'K1', '--title', 'Knots', '--owner', 'gorvtq']).code).toBe(0);
    expect(sandbox.run(['course', 'edit', 'K1', '--owner', 'boss']).code).toBe(0);
    expect(sandbox.run(['session', 'add', 'S1', '--start', '2027-03-01', '--end', '2027-06-30', '--coach', 'gorvtq']).code).toBe(0);
    expect(sandbox.run(['anonymize', 'gorvtq', '--yes']).code).toBe(0);
    expect(foundInFile(sandbox, ['gorvtq', 'Gorvqxa', 'Tqxbrel', 'OFCQZ992'])).toEqual([]);
  });

  it('the backups listed with an erasure do not depend on the registration date an import gave', () => {
    sandbox.file(
      'future.csv',
      'LastName;FirstName;Email;UserName;Password;RegistrationDate\nFuturelast;Fut;futu@qzmail.example;futu;long secret 1;2031-01-01 00:00:00\n',
    );
    expect(sandbox.run(['import', 'future.csv']).code).toBe(0);
    const backup = path.join(sandbox.dir, 'b3.db');
    expect(sandbox.run(['db', 'backup', backup]).code).toBe(0);
    expect(sandbox.run(['anonymize', 'futu', '--yes']).code).toBe(0);
    const [row] = sandbox.query<{ details: string }>("SELECT details FROM audit_log WHERE action = 'user.anonymize' ORDER BY id DESC LIMIT 1");
    expect(JSON.parse(row!.details)).toMatchObject({ backupsHoldingData: { files: [{ file: backup }], more: 0 } });
  });
});
