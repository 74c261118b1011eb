import { insertMany, insertUsers } from '../../src/db/bulk-insert';
import { lookAlikesByFold, lookAlikesQuery } from '../../src/db/import-repository';
import type { NewUserRow } from '../../src/db/schema';
import { describeOnPostgres, describeOnSqlite } from '../support/engine';
import { openTestDatabase, type TestDatabase } from './helpers';

const USERS = 60_000;

describeOnPostgres('the look-alike look-up of an import chunk', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await openTestDatabase();
    // A table the size of a school, analysed, as after a first import.
    await test.execute(
      `INSERT INTO "user" (username, username_key, email, email_key, firstname, lastname, firstname_key, lastname_key, username_fold_key, email_fold_key, language, active, registered_at, created_by)
       SELECT 'user' || i, 'user' || i, 'user' || i || '@example.org', 'user' || i || '@example.org', 'F', 'L', 'f', 'l', 'user' || i, 'user' || i || '@example.org', 'en', 1, '2026-01-01T00:00:00.000Z', 'test'
       FROM generate_series(1, ${USERS}) AS i`,
    );
    await test.execute('ANALYZE "user"');
  }, 60_000);
  afterAll(() => test.cleanup());

  const chunk = Array.from({ length: 500 }, (_, i) => `user${40_000 + i}@example.org`);

  // A seq scan of a table this size with a hashed array measured 9 ms; the planner takes the btree from about 80,000 users.
  it('is not served by the trigram index of the folded key (5.7 s instead of 3 ms on 50,000 users)', async () => {
    const plan = (await lookAlikesQuery(test.db.kysely, 'email', chunk).explain()).map((row) => String(Object.values(row)[0])).join('\n');
    expect(plan).not.toContain('trgm');
  });

  it('finds every account of the chunk', async () => {
    const found = await lookAlikesByFold(test.db.kysely, 'email', [...chunk, 'nobody@example.org']);
    expect(found.map((a) => a.fold).sort()).toEqual([...chunk].sort());
  });
});

// Mid-import: analysed at 32,000 users, 2,000 more since, the trigram index's pending list full. The
// planner then costed the trigram index's `=` below the btree's: 3.5 s for 500 keys instead of 0.4 ms,
// each chunk of a 100,000-user import from 32,000 users to 64,000 (the import took 54 s instead of 27).
describeOnPostgres('the look-alike look-up while an import fills the table', () => {
  let test: TestDatabase;
  const insertUsers = (from: number, to: number) =>
    test.execute(
      `INSERT INTO "user" (username, username_key, email, email_key, firstname, lastname, firstname_key, lastname_key, username_fold_key, email_fold_key, language, active, registered_at, created_by)
       SELECT 'user' || lpad(i::text, 7, '0'), 'user' || lpad(i::text, 7, '0'), 'u' || i || '@example.org', 'u' || i || '@example.org', 'F', 'L', 'f', 'l', 'user' || lpad(i::text, 7, '0'), 'u' || i || '@example.org', 'en', 1, '2026-01-01T00:00:00.000Z', 'test'
       FROM generate_series(${from}, ${to}) AS i`,
    );
  beforeAll(async () => {
    test = await openTestDatabase();
    for (let from = 0; from < 32_000; from += 2_000) await insertUsers(from, from + 1_999);
    await test.execute('ANALYZE "user"');
    await insertUsers(32_000, 33_999);
  }, 60_000);
  afterAll(() => test.cleanup());

  it.each(['username', 'email'] as const)('is not served by the trigram index of the folded %s', async (column) => {
    const keys = Array.from({ length: 500 }, (_, i) => (column === 'username' ? `user${String(34_000 + i).padStart(7, '0')}` : `u${34_000 + i}@example.org`));
    const plan = (await lookAlikesQuery(test.db.kysely, column, keys).explain()).map((row) => String(Object.values(row)[0])).join('\n');
    expect(plan).not.toContain('trgm');
  });
});

describeOnSqlite('a chunk of new users in the search index', () => {
  let test: TestDatabase;
  beforeEach(async () => {
    test = await openTestDatabase();
  });
  afterEach(() => test.cleanup());

  const newUsers = (count: number, from = 0): NewUserRow[] =>
    Array.from({ length: count }, (_, n) => {
      const i = from + n;
      return {
        username: `Bulk${i}`,
        username_key: `bulk${i}`,
        email: `bulk${i}@example.org`,
        email_key: `bulk${i}@example.org`,
        firstname: 'Zoë',
        lastname: `Nåme${i}`,
        firstname_key: 'zoe',
        lastname_key: `name${i}`,
        username_fold_key: `bulk${i}`,
        email_fold_key: `bulk${i}@example.org`,
        official_code: `OC-${i}`,
        language: 'en',
        active: 1,
        registered_at: '2026-01-01T00:00:00.000Z',
      };
    });
  const trigger = () => test.row<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'user_search_insert'");
  const matches = async (text: string) =>
    (await test.rows<{ rowid: number }>('SELECT rowid FROM user_search WHERE user_search MATCH ? ORDER BY rowid', `"${text}"`)).map((r) => r.rowid);
  const integrityCheck = () => test.execute("INSERT INTO user_search (user_search, rank) VALUES ('integrity-check', 1)");

  it('indexes every user of a chunk, column by column, and keeps the insert trigger as it was', async () => {
    const before = await trigger();
    const ids = await test.db.kysely.transaction().execute((trx) => insertUsers(test.db, trx, newUsers(300)));
    expect(ids).toHaveLength(300);
    expect(await trigger()).toEqual(before);
    // Compares the index with the table (external content): it fails on a missing or stale entry.
    await integrityCheck();
    expect(await matches('name299')).toEqual([ids[299]]);
    expect(await matches('oc-299')).toEqual([ids[299]]);
    expect((await matches('bulk1@')).length).toBe(1);
    // A user added afterwards alone goes through the trigger again.
    const [single] = await test.db.kysely.transaction().execute((trx) => insertUsers(test.db, trx, newUsers(1, 1000)));
    expect(await matches('name1000')).toEqual([single]);
    await integrityCheck();
  });

  it('leaves table, index and trigger as they were when the chunk fails', async () => {
    const before = await trigger();
    const failing = test.db.kysely.transaction().execute(async (trx) => {
      await insertUsers(test.db, trx, newUsers(100));
      throw new Error('the chunk failed after its users');
    });
    await expect(failing).rejects.toThrow('the chunk failed after its users');
    expect(await trigger()).toEqual(before);
    expect(await test.rows("SELECT id FROM user WHERE username LIKE 'Bulk%'")).toEqual([]);
    expect(await matches('name1')).toEqual([]);
    await integrityCheck();
  });
});

describe('the bulk insert of new users and their rows', () => {
  let test: TestDatabase;
  beforeEach(async () => {
    test = await openTestDatabase();
  });
  afterEach(() => test.cleanup());

  // On PostgreSQL the rows travel as one JSON text: what JSON escapes must come back as it went in.
  const awkward = ['quote " and \\ backslash', "it's", 'line\nbreak\ttab', 'Zoë 🎓 中文', '{"looks": "like json"}', 'null', '', ' padded '];

  it('stores every value as given, returns the ids in the order of the rows, and leaves unset columns (auth source) at their defaults', async () => {
    const rows: NewUserRow[] = awkward.map((text, i) => ({
      username: `awk${i}`,
      username_key: `awk${i}`,
      email: `awk${i}@example.org`,
      email_key: `awk${i}@example.org`,
      firstname: text,
      lastname: `L${i}`,
      firstname_key: text.toLowerCase(),
      lastname_key: `l${i}`,
      username_fold_key: `awk${i}`,
      email_fold_key: `awk${i}@example.org`,
      official_code: i % 2 ? null : text,
      language: 'en',
      active: 1,
      registered_at: '2026-01-01T00:00:00.000Z',
    }));
    const ids = await test.db.kysely.transaction().execute((trx) => insertUsers(test.db, trx, rows));
    const stored = await test.rows<{
      id: number;
      username: string;
      firstname: string;
      official_code: string | null;
      language: string;
      active: number;
      auth_source: string;
    }>('SELECT id, username, firstname, official_code, language, active, auth_source FROM "user" WHERE username LIKE ? ORDER BY id', 'awk%');
    expect(stored.map((s) => s.id)).toEqual(ids);
    expect(stored.map((s) => [s.username, s.firstname, s.official_code])).toEqual(rows.map((r) => [r.username, r.firstname, r.official_code]));
    expect(stored.every((s) => s.language === 'en' && Number(s.active) === 1 && s.auth_source === 'platform')).toBe(true);

    await test.db.kysely.transaction().execute((trx) =>
      insertMany(
        test.db,
        trx,
        'audit_log',
        ['at', 'actor', 'action', 'user_id', 'details'],
        ids.map((id, i) => ({ at: '2026-01-01T00:00:00.000Z', actor: 'test', action: 'user.import', user_id: id, details: awkward[i] })),
      ),
    );
    const audit = await test.rows<{ user_id: number; details: string }>(
      'SELECT user_id, details FROM audit_log WHERE action = ? ORDER BY user_id',
      'user.import',
    );
    expect(audit).toEqual(ids.map((id, i) => ({ user_id: id, details: awkward[i] })));
  });
});
