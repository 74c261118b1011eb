import { addField } from '../../src/core/fields';
import type { UserFilter, UserOrder } from '../../src/shared/user-filter';
import { hasSelectiveFilter } from '../../src/shared/user-filter';
import { addUser, countUsers, editUser, listUsers, type NewUserInput } from '../../src/core/users';
import { selectUsers } from '../../src/db/user-query';
import { itOnSqlite } from '../support/engine';
import { caught, tempContext, type TestContext } from './helpers';

/**
 * One database for the whole file: the queries only read it.
 * Registered one day apart, in this order.
 */
const PEOPLE: (Partial<NewUserInput> & { username: string })[] = [
  { username: 'elodie', firstname: 'Élodie', lastname: 'Dupont', roles: ['student'], officialCode: 'STU-001', language: 'fr' },
  { username: 'jdupont', firstname: 'Jean', lastname: 'Dupond', roles: ['teacher'], officialCode: 'TEA-002', language: 'fr' },
  { username: 'zoe', firstname: 'Zoë', lastname: 'Ångström', roles: ['student', 'admin'], email: 'zoe@uni.example.org' },
  { username: 'bob', firstname: 'Bob', lastname: 'Marley', roles: ['student'], inactive: true, expires: '2026-01-15' },
  { username: 'li', firstname: 'Li', lastname: 'Wu', roles: ['session_admin'], expires: '2026-06-30', fields: [{ name: 'cohort', value: '2026' }] },
  {
    username: 'anna.smith',
    firstname: 'Anna',
    lastname: 'Smith',
    roles: ['hr_manager'],
    fields: [
      { name: 'cohort', value: '2025' },
      { name: 'alumni', value: 'yes' },
    ],
  },
  // Typed on a keyboard that sends decomposed accents.
  { username: 'emilie', firstname: 'E\u0301milie', lastname: 'Noe\u0308l', roles: ['invitee'] },
];

describe('the user list query', () => {
  let ctx: TestContext;
  const ids: Record<string, number> = {};
  const names = async (filter: UserFilter, order?: UserOrder) => {
    const out: string[] = [];
    for await (const user of listUsers(ctx, filter, order)) out.push(user.username);
    return out;
  };

  beforeAll(async () => {
    ctx = await tempContext('2026-01-01T00:00:00.000Z');
    await addField(ctx, { name: 'cohort', type: 'number' });
    await addField(ctx, { name: 'alumni', type: 'boolean' });
    for (const [i, p] of PEOPLE.entries()) {
      ctx.setNow(new Date(Date.UTC(2026, 0, 1 + i)).toISOString());
      const { user } = await addUser(ctx, {
        firstname: 'X',
        lastname: 'Y',
        email: `${p.username}@example.org`,
        roles: ['student'],
        password: 'long enough',
        ...p,
      });
      ids[p.username] = user.id;
    }
    const login = (at: string, username: string) => ctx.execute('UPDATE "user" SET last_login_at = ? WHERE username = ?', at, username);
    await login('2025-06-01T00:00:00.000Z', 'jdupont');
    await login('2026-02-20T00:00:00.000Z', 'zoe');
    await login('2026-02-25T00:00:00.000Z', 'li');
    await ctx.execute(`UPDATE "user" SET deleted_at = '2026-02-01T00:00:00.000Z' WHERE username = 'emilie'`);
    ctx.setNow('2026-03-01T00:00:00.000Z');
  });
  afterAll(() => ctx.cleanup());

  it('lists live, non-system users by last name, then first name', async () => {
    expect(await names({})).toEqual(['zoe', 'jdupont', 'elodie', 'bob', 'anna.smith', 'li']);
    expect(await countUsers(ctx, {})).toBe(6);
  });

  it('shows the deleted users instead with deleted, and the fallback user with system', async () => {
    expect(await names({ deleted: true })).toEqual(['emilie']);
    expect(await names({ system: true })).toContain('fallback');
    expect(await countUsers(ctx, { system: true })).toBe(7);
  });

  it('returns each user with its roles and typed extra fields', async () => {
    const users = [];
    for await (const user of listUsers(ctx, { fields: [{ name: 'alumni', value: 'true' }] })) users.push(user);
    expect(users).toEqual([expect.objectContaining({ username: 'anna.smith', roles: ['hr_manager'], extra: { alumni: true, cohort: 2025 } })]);
  });

  it.each<[string, UserFilter, string[]]>([
    ['one role', { roles: ['student'] }, ['zoe', 'elodie', 'bob']],
    ['any of several roles', { roles: ['teacher', 'admin'] }, ['zoe', 'jdupont']],
    ['active', { active: true }, ['zoe', 'jdupont', 'elodie', 'anna.smith', 'li']],
    ['inactive', { active: false }, ['bob']],
    ['registered since (inclusive)', { registeredSince: '2026-01-05T00:00:00.000Z' }, ['anna.smith', 'li']],
    ['registered before (exclusive)', { registeredBefore: '2026-01-03T00:00:00.000Z' }, ['jdupont', 'elodie']],
    ['last login before', { lastLoginBefore: '2026-02-21T00:00:00.000Z' }, ['zoe', 'jdupont']],
    ['never logged in', { neverLoggedIn: true }, ['elodie', 'bob', 'anna.smith']],
    ['dormant: no login, or registration if never used, since', { dormantSince: '2026-01-05T00:00:00.000Z' }, ['jdupont', 'elodie', 'bob']],
    ['expires before', { expiresBefore: '2026-07-01T00:00:00.000Z' }, ['bob', 'li']],
    ['expired', { expiredAt: '2026-03-01T00:00:00.000Z' }, ['bob']],
    ['language', { language: 'fr' }, ['jdupont', 'elodie']],
    ['extra field', { fields: [{ name: 'cohort', value: '2026' }] }, ['li']],
    [
      'two extra fields',
      {
        fields: [
          { name: 'cohort', value: '2025' },
          { name: 'alumni', value: 'true' },
        ],
      },
      ['anna.smith'],
    ],
    ['combined with AND', { roles: ['student'], active: true, language: 'fr' }, ['elodie']],
  ])('filters: %s', async (_label, filter, expected) => {
    expect(await names(filter)).toEqual(expected);
    expect(await countUsers(ctx, filter)).toBe(expected.length);
  });

  it('checks the names a filter uses and stores field values canonically', async () => {
    expect(await names({ fields: [{ name: 'alumni', value: 'YES' }] })).toEqual(['anna.smith']);
    expect(await caught(names({ fields: [{ name: 'shoe', value: '1' }] }))).toMatchObject({ exitCode: 3 });
    expect(await caught(countUsers(ctx, { fields: [{ name: 'cohort', value: 'x' }] }))).toMatchObject({ exitCode: 5 });
    expect(await caught(names({ course: 'NOPE' }))).toMatchObject({ exitCode: 3, message: 'no course "NOPE"' });
    expect(await caught(names({ session: 'nope' }))).toMatchObject({ exitCode: 3, message: 'no session "nope"' });
  });

  it.each<[UserOrder, string[]]>([
    [{ sort: 'firstname' }, ['anna.smith', 'bob', 'elodie', 'jdupont', 'li', 'zoe']],
    [{ sort: 'username', desc: true }, ['zoe', 'li', 'jdupont', 'elodie', 'bob', 'anna.smith']],
    [{ sort: 'email' }, ['anna.smith', 'bob', 'elodie', 'jdupont', 'li', 'zoe']],
    [{ sort: 'registered' }, ['elodie', 'jdupont', 'zoe', 'bob', 'li', 'anna.smith']],
    [{ sort: 'registered', desc: true, limit: 2 }, ['anna.smith', 'li']],
    [{ sort: 'registered', limit: 2, offset: 2 }, ['zoe', 'bob']],
    [{ sort: 'registered', offset: 4 }, ['li', 'anna.smith']],
    [{ sort: 'last-login', desc: true, limit: 3 }, ['li', 'zoe', 'jdupont']],
    [{ sort: 'id', limit: 0 }, []],
  ])('sorts and pages: %p', async (order, expected) => {
    expect(await names({}, order)).toEqual(expected);
  });

  describe('search', () => {
    it.each<[string, UserFilter, string[]]>([
      ['a keyword in the first name, any case and accents', { keyword: 'élodie' }, ['elodie']],
      ['the same without accents', { keyword: 'elodie' }, ['elodie']],
      ['the same in capitals', { keyword: 'ÉLODIE' }, ['elodie']],
      ['capitals without accents', { keyword: 'ELODIE' }, ['elodie']],
      ['a substring of last names', { keyword: 'dupon' }, ['jdupont', 'elodie']],
      ['a substring of the username only', { keyword: 'smith' }, ['anna.smith']],
      ['an email domain', { keyword: 'uni.example' }, ['zoe']],
      ['the official code', { keyword: 'tea-00' }, ['jdupont']],
      ['an accented letter inside a name', { keyword: 'angstrom' }, ['zoe']],
      ['a keyword written with a diaeresis', { keyword: 'zoë' }, ['zoe']],
      ['a short keyword (no trigram)', { keyword: 'wu' }, ['li']],
      ['a one-letter accented value, matching accented or not', { firstname: 'Ë' }, ['zoe', 'jdupont', 'elodie']],
      ['a short keyword found in emails too', { keyword: 'li' }, ['li']],
      ['nothing', { keyword: 'zzzz' }, []],
      ['the first name only', { firstname: 'jean' }, ['jdupont']],
      ['the last name only: no match in first names', { lastname: 'elodie' }, []],
      ['the username only', { username: 'dupont' }, ['jdupont']],
      ['the email only', { email: '@uni.' }, ['zoe']],
      ['the official code only', { officialCode: 'STU' }, ['elodie']],
      ['a short per-field value', { lastname: 'wu' }, ['li']],
      ['keyword and field together', { keyword: 'dupon', firstname: 'jean' }, ['jdupont']],
      ['keyword and list filters together', { keyword: 'dupon', roles: ['student'] }, ['elodie']],
      ['deleted users, when asked for', { keyword: 'emilie', deleted: true }, ['emilie']],
    ])('finds %s', async (_label, filter, expected) => {
      expect(await names(filter)).toEqual(expected);
      expect(await countUsers(ctx, filter)).toBe(expected.length);
    });

    it('finds names that were typed with decomposed accents, whatever the query', async () => {
      for (const keyword of ['émilie', 'EMILIE', 'E\u0301milie', 'noël', 'noel', 'ë']) {
        expect(await names({ keyword, deleted: true })).toEqual(['emilie']);
      }
    });

    it.each(['"', '«»', 'a"b"c', 'NEAR(a b)', 'dup*', 'NOT', "l'x", '(', 'x AND y', '%', '_'])('treats %p as plain text, not query syntax', async (keyword) => {
      await expect(names({ keyword })).resolves.toEqual([]);
    });

    it('follows renames: the index is kept in sync by the database', async () => {
      await editUser(ctx, 'bob', { lastname: 'Dylan' });
      expect(await names({ keyword: 'marley' })).toEqual([]);
      expect(await names({ keyword: 'dylan' })).toEqual(['bob']);
      await editUser(ctx, 'bob', { lastname: 'Marley' });
      expect(await names({ keyword: 'marley' })).toEqual(['bob']);
    });

    // SQLite's FTS5 index and its planner (EXPLAIN QUERY PLAN): PostgreSQL has neither (its pg_trgm indexes are migration 0009's).
    itOnSqlite('uses the trigram index for keywords of three characters or more', async () => {
      const plan = await ctx.rows<{ detail: string }>(
        `EXPLAIN QUERY PLAN SELECT id FROM "user" WHERE id IN (SELECT rowid FROM user_search WHERE user_search MATCH '"dupon"')`,
      );
      expect(plan.map((p) => p.detail).join('\n')).toMatch(/VIRTUAL TABLE INDEX/);
    });
  });

  // SQLite's planner and the text of its plans (EXPLAIN QUERY PLAN, TEMP B-TREE): PostgreSQL's EXPLAIN is another statement with other plans.
  for (const sort of ['lastname', 'firstname', 'username', 'email', 'registered', 'last-login', 'id'] as UserOrder['sort'][]) {
    itOnSqlite(`sorts by ${sort} with an index, not a sort of the whole table`, async () => {
      const { sql, parameters } = selectUsers(ctx.db.kysely, { active: true }, { sort, desc: sort === 'registered' }).compile();
      const plan = (await ctx.rows<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, ...parameters)).map((p) => p.detail).join('\n');
      expect(plan).not.toContain('TEMP B-TREE');
    });
  }

  it('knows which filters narrow the selection', () => {
    expect(hasSelectiveFilter({})).toBe(false);
    expect(hasSelectiveFilter({ system: true, roles: [], active: undefined, neverLoggedIn: false })).toBe(false);
    expect(hasSelectiveFilter({ roles: ['student'] })).toBe(true);
    expect(hasSelectiveFilter({ active: false })).toBe(true);
    expect(hasSelectiveFilter({ keyword: 'x' })).toBe(true);
  });
});
