import { runAdd } from '../../src/commands/add';
import { runEdit } from '../../src/commands/edit';
import { runExpire, runWarn } from '../../src/commands/expire';
import { runFieldEdit } from '../../src/commands/field/edit';
import { runList } from '../../src/commands/list';
import { runSearch } from '../../src/commands/search';
import { addField } from '../../src/core/fields';
import { addUser } from '../../src/core/users';
import { ExitCode } from '../../src/shared/errors';
import { caught, commandContext, tempContext, type TestContext } from './helpers';

const HASH = `$2b$04$${'a'.repeat(53)}`;
const NOW = '2026-03-01T09:00:00.000Z';
const DAY = 86_400_000;

/**
 * Rules of the user commands that once took a process per case (test/e2e/issue10.test.ts):
 * the run functions called in-process, with the options commander would give them.
 */
describe('user commands, run in-process', () => {
  let test: TestContext;
  beforeEach(async () => {
    test = await tempContext(NOW);
  });
  afterEach(() => test.cleanup());

  const seed = (username: string, more: { firstname?: string; lastname?: string; roles?: string[]; expires?: string; fields?: [string, string][] } = {}) =>
    addUser(test, {
      username,
      email: `${username}@example.org`,
      firstname: more.firstname ?? username,
      lastname: more.lastname ?? 'T',
      roles: more.roles ?? ['student'],
      expires: more.expires,
      fields: (more.fields ?? []).map(([name, value]) => ({ name, value })),
      passwordHash: HASH,
    });
  const usernames = (text: string) => (JSON.parse(text) as { username: string }[]).map((u) => u.username);
  /** roster add with its password on stdin, as commander passes the options; returns the context with what it wrote. */
  const addByCommand = async (username: string, options: { email?: string; expires?: string; json?: boolean } = {}) => {
    const ctx = commandContext(test, { json: options.json, input: 'correct horse battery\n' });
    const email = options.email ?? `${username}@example.org`;
    await runAdd(ctx, { username, email, firstname: 'F', lastname: 'L', role: ['student'], language: 'en', passwordStdin: true, expires: options.expires });
    return ctx;
  };

  describe('one folding for search and order', () => {
    const people: [string, string, string][] = [
      ['gudrun', 'Guðrún', 'Guðmundsdóttir'],
      ['dragan', 'Dragan', 'Đorđević'],
      ['ayse', 'Ayşe', 'Yılmaz'],
      ['hans', 'Hans', 'Straße'],
      ['aesa', 'Æsa', 'Æsir'],
      ['sean', 'Seán', "O'Brien"],
      ['siobhan', 'Siobhán', 'O’Brien'],
      ['ola', 'Ola', 'Ødegård'],
      ['zed', 'Zed', 'Zimmer'],
    ];
    beforeEach(async () => {
      for (const [username, firstname, lastname] of people) await seed(username, { firstname, lastname });
    });

    it('a keyword or --lastname typed without accents, ligatures or apostrophes finds the person', async () => {
      const cases: [string | undefined, { lastname?: string }, string[]][] = [
        ['gudmundsdottir', {}, ['gudrun']],
        ['dordevic', {}, ['dragan']],
        ['yilmaz', {}, ['ayse']],
        ['strasse', {}, ['hans']],
        ['aesir', {}, ['aesa']],
        [undefined, { lastname: 'obrien' }, ['sean', 'siobhan']],
        ["O'Brien", {}, ['sean', 'siobhan']],
        ['O’Brien', {}, ['sean', 'siobhan']],
        ['odegard', {}, ['ola']],
      ];
      for (const [keyword, options, expected] of cases) {
        const ctx = commandContext(test, { json: true });
        await runSearch(ctx, keyword, options);
        expect({ keyword, options, found: usernames(ctx.io.stdout.text).sort() }).toEqual({ keyword, options, found: expected });
      }
    });

    it('sorts Ødegård and Đorđević among the O and the D, not after Z', async () => {
      const ctx = commandContext(test, { json: true });
      await runList(ctx, { sort: 'lastname' });
      const order = usernames(ctx.io.stdout.text);
      expect(order.indexOf('dragan')).toBeLessThan(order.indexOf('gudrun'));
      expect(order.indexOf('ola')).toBeLessThan(order.indexOf('hans'));
      expect(order[order.length - 1]).toBe('zed');
    });
  });

  describe('look-alike usernames and emails, with the one folding', () => {
    beforeEach(async () => {
      await seed('josé');
      await seed('søren');
    });
    const add = async (username: string) => (await addByCommand(username, { email: `${username}.other@example.org` })).io;

    it("add warns (and still adds) a username that looks like another account's", async () => {
      expect((await add('jose')).stderr.text).toContain('username "jose" looks like "josé", the username of user josé (id:');
      expect((await add('Soren')).stderr.text).toContain('looks like "søren"');
      expect((await add('plain')).stderr.text).not.toContain('looks like');
      expect(await test.rows('SELECT username FROM "user" WHERE username IN (?, ?, ?) ORDER BY username', 'jose', 'Soren', 'plain')).toHaveLength(3);
    });

    it("edit warns when a change makes an email look like another account's, and not otherwise", async () => {
      await seed('plain');
      const quiet = commandContext(test);
      await runEdit(quiet, 'plain', { email: "so'ren.plain@example.org" });
      expect(quiet.io.stderr.text).toBe('');
      const warned = commandContext(test);
      await runEdit(warned, 'josé', { email: 'soren@example.org' });
      expect(warned.io.stderr.text).toContain('email "soren@example.org" looks like "søren@example.org", the email of user søren');
      expect(await test.row('SELECT email FROM "user" WHERE username = ?', 'josé')).toEqual({ email: 'soren@example.org' });
    });
  });

  describe('roster field edit', () => {
    const stored = (field: string) =>
      test.rows(
        'SELECT u.username, v.value FROM user_extra_value v JOIN "user" u ON u.id = v.user_id JOIN extra_field f ON f.id = v.field_id WHERE f.name = ? ORDER BY u.username',
        field,
      );
    const edit = async (name: string, opts: { label?: string; type?: string; choices?: string[] }, json = false) => {
      const ctx = commandContext(test, { json });
      await runFieldEdit(ctx, name, opts);
      return ctx.io.stdout.text;
    };
    beforeEach(async () => {
      await addField(test, { name: 'campus', type: 'choice', choices: ['north', 'south'] });
      await addField(test, { name: 'year', type: 'text' });
      await seed('ann', {
        fields: [
          ['campus', 'north'],
          ['year', '2025'],
        ],
      });
      await seed('bea', {
        fields: [
          ['campus', 'south'],
          ['year', '2026.0'],
        ],
      });
    });

    it('changes the label, and says what changed; the same again changes nothing', async () => {
      expect(await edit('campus', { label: 'Campus site' })).toBe('changed extra field campus: label: campus → Campus site\n');
      expect(await edit('campus', { label: 'Campus site' })).toBe('nothing changed for extra field campus\n');
      expect(await test.rows("SELECT action FROM audit_log WHERE action = 'field.edit'")).toHaveLength(1);
    });

    it('adds choices; refuses to drop a choice users hold (exit 4), naming how many and what to do', async () => {
      await edit('campus', { choices: ['north', 'south', 'east'] });
      const refused = await caught(edit('campus', { choices: ['north', 'east'] }));
      expect(refused.exitCode).toBe(ExitCode.conflict);
      expect(`${refused.message} ${refused.suggestion}`).toContain('1 user(s) hold "south"');
      expect(`${refused.message} ${refused.suggestion}`).toContain('roster edit --where-field campus=south --field campus=<choice>');
      expect(await test.row("SELECT choices FROM extra_field WHERE name = 'campus'")).toEqual({ choices: '["north","south","east"]' });
    });

    it('changes the type when every stored value fits it, converting them; refuses (exit 4) when one does not', async () => {
      expect(JSON.parse(await edit('year', { type: 'number' }, true))).toMatchObject({
        field: { name: 'year', type: 'number' },
        values: 2,
        valuesRewritten: 1,
      });
      expect(await stored('year')).toEqual([
        { username: 'ann', value: '2025' },
        { username: 'bea', value: '2026' },
      ]);
      const refused = await caught(edit('campus', { type: 'date' }));
      expect(refused.exitCode).toBe(ExitCode.conflict);
      expect(refused.message).toContain('"north" (1 user(s)) is not a date');
      expect(await test.row("SELECT type FROM extra_field WHERE name = 'campus'")).toEqual({ type: 'choice' });
      expect((await caught(edit('year', { type: 'choice' }))).exitCode).toBe(ExitCode.invalid);
      expect((await caught(edit('nope', { label: 'x' }))).exitCode).toBe(ExitCode.notFound);
    });
  });

  describe('one duration syntax', () => {
    beforeEach(async () => {
      await seed('boss', { roles: ['admin'] });
      await seed('soon', { expires: new Date(Date.parse(NOW) + 3 * DAY).toISOString() });
    });

    it('expire --warn takes 7d (and 2w) as well as 7', async () => {
      for (const warn of ['7d', '2w', '7']) {
        const ctx = commandContext(test, { json: true });
        await runWarn(ctx, [], { warn });
        expect({ warn, users: usernames(ctx.io.stdout.text) }).toEqual({ warn, users: ['soon'] });
      }
    });

    it('add --expires +90d and edit --expires +2w set the expiration from now (as chage -E takes a relative date)', async () => {
      const added = await addByCommand('ninety', { expires: '+90d', json: true });
      expect((JSON.parse(added.io.stdout.text) as { expiresAt: string }).expiresAt).toBe(new Date(Date.parse(NOW) + 90 * DAY).toISOString());
      const edited = commandContext(test, { json: true });
      await runEdit(edited, 'ninety', { expires: '+2w' });
      expect((JSON.parse(edited.io.stdout.text) as { users: { expiresAt: string }[] }).users[0]!.expiresAt).toBe(
        new Date(Date.parse(NOW) + 14 * DAY).toISOString(),
      );
    });

    it('add --expires never is accepted, as edit and activate accept it and the error for 90d offers it (newcomer report)', async () => {
      const ctx = await addByCommand('forever', { expires: 'Never', json: true });
      expect(JSON.parse(ctx.io.stdout.text)).toMatchObject({ username: 'forever', expiresAt: null });
      const refused = await caught(addByCommand('later', { expires: '90d' }));
      expect(refused.message).toContain('(or give a date, or never)');
    });

    it('a word that is no date names every form an expiration takes (newcomer report)', async () => {
      await seed('ada');
      const refused = await caught(runEdit(commandContext(test), 'ada', { expires: 'yesterday' }));
      expect(refused).toMatchObject({ exitCode: ExitCode.invalid });
      expect(refused.message).toContain('expires: "yesterday" is not a date; use YYYY-MM-DD, an ISO 8601 date-time, +90d (that long from now) or never');
    });

    it('--inactive-since never suggests a duration it then refuses (12h)', async () => {
      const refused = await caught(runExpire(commandContext(test), [], { inactiveSince: 'soon' }));
      expect(refused.exitCode).toBe(ExitCode.invalid);
      expect(`${refused.message} ${refused.suggestion}`).not.toContain('12h');
      expect(`${refused.message} ${refused.suggestion}`).toContain('180d');
    });
  });
});
