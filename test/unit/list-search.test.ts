import { runList } from '../../src/commands/list';
import { runSearch } from '../../src/commands/search';
import { addField } from '../../src/core/fields';
import { addUser } from '../../src/core/users';
import { commandContext, tempContext, type TestContext } from './helpers';

const HASH = `$2b$04$${'a'.repeat(53)}`;

interface Person {
  username: string;
  firstname: string;
  lastname: string;
  roles: string[];
  language?: string;
  officialCode?: string;
  picture?: string;
  inactive?: boolean;
  expires?: string;
  cohort?: string;
}

// Registered one day apart, in this order, from 2026-01-01.
const PEOPLE: Person[] = [
  { username: 'elodie', firstname: 'Élodie', lastname: 'Dupont', roles: ['student'], officialCode: 'STU-001', language: 'fr', cohort: '2026' },
  {
    username: 'jdupont',
    firstname: 'Jean',
    lastname: 'Dupond',
    roles: ['teacher'],
    officialCode: 'TEA-002',
    language: 'fr',
    picture: 'https://example.org/j.png',
  },
  { username: 'zoe', firstname: 'Zoë', lastname: 'Ångström', roles: ['student', 'admin'], cohort: '2025' },
  { username: 'bob', firstname: 'Bob', lastname: 'Marley', roles: ['student'], inactive: true, expires: '2026-01-15' },
  { username: 'li', firstname: 'Li', lastname: 'Wu', roles: ['session_admin'], expires: '2026-06-30' },
  { username: 'eve', firstname: '=HYPERLINK("http://evil")', lastname: 'de Vries, "Jr"', roles: ['invitee'] },
];

/**
 * What list and search select and in which order: the filters, the sort keys
 * and the folded search, as the commands apply them (in-process; the formats,
 * the refusals and the command line itself are tested in test/e2e/list-search.test.ts).
 */
describe('list and search select and order users (in-process)', () => {
  let test: TestContext;
  beforeAll(async () => {
    test = await tempContext();
    await addField(test, { name: 'cohort', type: 'number' });
    for (const [i, p] of PEOPLE.entries()) {
      test.setNow(new Date(Date.UTC(2026, 0, 1 + i, 8)).toISOString());
      await addUser(test, {
        username: p.username,
        email: `${p.username}@example.org`,
        firstname: p.firstname,
        lastname: p.lastname,
        roles: p.roles,
        language: p.language,
        officialCode: p.officialCode,
        picture: p.picture,
        inactive: p.inactive,
        expires: p.expires,
        fields: p.cohort ? [{ name: 'cohort', value: p.cohort }] : [],
        passwordHash: HASH,
      });
    }
    const login = 'UPDATE "user" SET last_login_at = ? WHERE username = ?';
    await test.execute(login, '2025-06-01T10:00:00.000Z', 'jdupont');
    await test.execute(login, '2026-02-20T10:00:00.000Z', 'zoe');
    await test.execute(login, '2026-02-25T10:00:00.000Z', 'li');
    test.setNow('2026-03-01T00:00:00.000Z');
  });
  afterAll(() => test.cleanup());

  /** The usernames a run prints with --format ids, in its order. */
  const selected = async (run: (ctx: ReturnType<typeof commandContext>) => Promise<void>) => {
    const ctx = commandContext(test);
    await run(ctx);
    expect(ctx.io.stderr.text).toBe('');
    const byId = new Map((await test.rows<{ id: number; username: string }>('SELECT id, username FROM "user"')).map((u) => [`id:${u.id}`, u.username]));
    return ctx.io.stdout.text
      .split('\n')
      .filter(Boolean)
      .map((ref) => byId.get(ref));
  };

  it.each<[string, Parameters<typeof runList>[1], string[]]>([
    ['--role', { role: ['student'] }, ['zoe', 'elodie', 'bob']],
    ['--role repeated (any of them)', { role: ['teacher', 'invitee'] }, ['eve', 'jdupont']],
    ['--active', { active: true }, ['zoe', 'eve', 'jdupont', 'elodie', 'li']],
    ['--inactive', { inactive: true }, ['bob']],
    ['--registered-since', { registeredSince: '2026-01-05' }, ['eve', 'li']],
    ['--registered-before', { registeredBefore: '2026-01-03' }, ['jdupont', 'elodie']],
    ['--registered-since a duration', { registeredSince: '55d' }, ['eve', 'li']],
    ['--registered-before a duration', { registeredBefore: '57d' }, ['jdupont', 'elodie']],
    ['--last-login-before a date', { lastLoginBefore: '2026-02-21' }, ['zoe', 'jdupont']],
    ['--last-login-before a duration', { lastLoginBefore: '7d' }, ['zoe', 'jdupont']],
    ['--never-logged-in', { neverLoggedIn: true }, ['eve', 'elodie', 'bob']],
    ['--inactive-since', { inactiveSince: '55d' }, ['jdupont', 'elodie', 'bob']],
    ['--expires-before', { expiresBefore: '2026-07-01' }, ['bob', 'li']],
    ['--expired', { expired: true }, ['bob']],
    ['--language', { language: 'french' }, ['jdupont', 'elodie']],
    ['--field', { field: ['cohort=2026'] }, ['elodie']],
    ['several at once (AND)', { role: ['student'], active: true, neverLoggedIn: true }, ['elodie']],
    ['--system', { system: true, inactive: true }, ['bob', 'fallback']],
    ['no order given: by last name', {}, ['zoe', 'eve', 'jdupont', 'elodie', 'bob', 'li']],
    ['--desc', { desc: true }, ['li', 'bob', 'elodie', 'jdupont', 'eve', 'zoe']],
    ['--sort firstname', { sort: 'firstname' }, ['eve', 'bob', 'elodie', 'jdupont', 'li', 'zoe']],
    ['--sort username', { sort: 'username' }, ['bob', 'elodie', 'eve', 'jdupont', 'li', 'zoe']],
    ['--sort email --desc', { sort: 'email', desc: true }, ['zoe', 'li', 'jdupont', 'eve', 'elodie', 'bob']],
    ['--sort registered', { sort: 'registered' }, ['elodie', 'jdupont', 'zoe', 'bob', 'li', 'eve']],
    ['--sort last-login --desc --limit 3', { sort: 'last-login', desc: true, limit: 3 }, ['li', 'zoe', 'jdupont']],
    ['--limit and --offset', { sort: 'registered', limit: 2, offset: 2 }, ['zoe', 'bob']],
    ['--offset alone', { sort: 'registered', offset: 4 }, ['li', 'eve']],
    ['--limit 0', { limit: 0 }, []],
    ['--offset past the end', { offset: 100 }, []],
  ])('list %s', async (_label, options, expected) => {
    expect(await selected((ctx) => runList(ctx, { ...options, format: 'ids' }))).toEqual(expected);
  });

  it.each<[string | undefined, Parameters<typeof runSearch>[2], string[]]>([
    ['élodie', {}, ['elodie']],
    ['ELODIE', {}, ['elodie']],
    ['Élodie', {}, ['elodie']],
    ['elodie', {}, ['elodie']],
    ['ÉLO', {}, ['elodie']],
    ['dupon', {}, ['jdupont', 'elodie']],
    ['angstrom', {}, ['zoe']],
    ['ÅNGSTRÖM', {}, ['zoe']],
    ['zoë', {}, ['zoe']],
    ['wu', {}, ['li']],
    ['é', {}, ['zoe', 'eve', 'jdupont', 'elodie', 'bob', 'li']],
    [undefined, { lastname: 'Ö' }, ['zoe', 'jdupont', 'elodie']],
    ['tea-0', {}, ['jdupont']],
    ['@example.org', {}, ['zoe', 'eve', 'jdupont', 'elodie', 'bob', 'li']],
    ['"jr"', {}, ['eve']],
    ['nobody-at-all', {}, []],
    ['dupon', { firstname: 'jean' }, ['jdupont']],
    ['dupon', { role: ['student'] }, ['elodie']],
    [undefined, { lastname: 'dupon' }, ['jdupont', 'elodie']],
    [undefined, { lastname: 'élodie' }, []],
    [undefined, { firstname: 'élodie' }, ['elodie']],
    [undefined, { username: 'DUPONT' }, ['jdupont']],
    [undefined, { email: 'zoe@' }, ['zoe']],
    [undefined, { officialCode: 'stu' }, ['elodie']],
    [undefined, { officialCode: 'st', language: 'fr' }, ['elodie']],
    ['e', { sort: 'registered', desc: true, limit: 2 }, ['eve', 'li']],
  ])('search %p %p', async (keyword, options, expected) => {
    expect(await selected((ctx) => runSearch(ctx, keyword, { ...options, format: 'ids' }))).toEqual(expected);
  });
});
