import type { CommandContext } from '../../src/cli/context';
import { runActivate } from '../../src/commands/activate';
import { runDeactivate } from '../../src/commands/deactivate';
import { runCourseAdd } from '../../src/commands/course/add';
import { runCourseDelete } from '../../src/commands/course/delete';
import { runCourseEdit } from '../../src/commands/course/edit';
import { runCourseList } from '../../src/commands/course/list';
import { runSessionDelete } from '../../src/commands/session/delete';
import { runSearch } from '../../src/commands/search';
import { runRoleList } from '../../src/commands/role/list';
import { addUser } from '../../src/core/users';
import { ExitCode } from '../../src/shared/errors';
import { Captured, caught, commandContext, tempContext, type TestContext } from './helpers';

const HASH = `$2b$04$${'a'.repeat(53)}`;

/**
 * The commands' run functions called in-process, as the program calls them
 * once commander has parsed the command line: the rules they apply and what
 * they print, without starting a process for each case (test/e2e does that).
 */
describe('commands, run in-process', () => {
  let test: TestContext;
  let stdout: Captured;
  let stderr: Captured;
  const context = (options: { json?: boolean; yes?: boolean } = {}): CommandContext => {
    const ctx = commandContext(test, options);
    ({ stdout, stderr } = ctx.io);
    return ctx;
  };

  beforeEach(async () => {
    test = await tempContext('2026-03-01T09:00:00.000Z');
    for (const name of ['ada', 'bob', 'cyd', 'gone']) {
      await addUser(test, { username: name, email: `${name}@example.org`, firstname: name, lastname: 'T', roles: ['teacher'], passwordHash: HASH });
    }
    await test.execute(`UPDATE "user" SET deleted_at = ? WHERE username = 'gone'`, '2026-02-01T00:00:00.000Z');
  });
  afterEach(() => test.cleanup());

  describe('course', () => {
    it('add refuses a duplicate code in any case (4), bad values (5), an unknown owner (3), a deleted owner (4), and adds none of them', async () => {
      await runCourseAdd(context(), 'C101', { title: 'Algebra', owner: 'ada' });
      expect(stdout.text).toMatch(/^added course C101 "Algebra" \(id:\d+, en, owner ada\)\n$/);
      expect(await caught(runCourseAdd(context(), 'c101', { title: 'Again' }))).toMatchObject({
        exitCode: ExitCode.conflict,
        message: expect.stringContaining('course "C101" already exists'),
      });
      const bad = await caught(runCourseAdd(context(), 'bad code', { title: 'x', language: 'xx-yy-zz' }));
      expect(bad.exitCode).toBe(ExitCode.invalid);
      expect(bad.message).toMatch(/code: "bad code" may contain only letters.*language: "xx-yy-zz" is not a language/);
      expect(await caught(runCourseAdd(context(), 'C9', { title: 'x', owner: 'nobody' }))).toMatchObject({
        exitCode: ExitCode.notFound,
        message: expect.stringContaining('no user "nobody"'),
      });
      expect(await caught(runCourseAdd(context(), 'C9', { title: 'x', owner: 'gone' }))).toMatchObject({
        exitCode: ExitCode.conflict,
        message: expect.stringContaining('gone is deleted'),
      });
      expect(await test.rows('SELECT code FROM course ORDER BY code')).toEqual([{ code: 'C101' }]);
    });

    it('list filters by owner (any case) and by search (any case, any accents); says on stderr when none match', async () => {
      await runCourseAdd(context(), 'ART1', { title: 'Dessin et peinture', owner: 'bob' });
      await runCourseAdd(context(), 'C101', { title: 'Algèbre', owner: 'ada' });
      await runCourseList(context({ json: true }), { owner: 'BOB' });
      expect((JSON.parse(stdout.text) as { code: string }[]).map((c) => c.code)).toEqual(['ART1']);
      await runCourseList(context({ json: true }), { search: 'ALGEBRE' });
      expect((JSON.parse(stdout.text) as { code: string }[]).map((c) => c.code)).toEqual(['C101']);
      await runCourseList(context(), { search: 'nothing like this' });
      expect({ stdout: stdout.text, stderr: stderr.text }).toEqual({
        stdout: '',
        stderr: 'no courses match; add one with roster course add <code> --title <title>\n',
      });
      expect(await caught(runCourseList(context(), { owner: 'nobody' }))).toMatchObject({ exitCode: ExitCode.notFound });
    });

    it('edit refuses a code in use (4), an unknown course (3), an empty title (5), and changes nothing then', async () => {
      await runCourseAdd(context(), 'C101', { title: 'Algebra' });
      await runCourseAdd(context(), 'PHY2', { title: 'Physics 2' });
      expect((await caught(runCourseEdit(context(), 'PHY2', { code: 'c101' }))).exitCode).toBe(ExitCode.conflict);
      expect((await caught(runCourseEdit(context(), 'NOPE', { title: 'x' }))).exitCode).toBe(ExitCode.notFound);
      expect((await caught(runCourseEdit(context(), 'PHY2', { title: '' }))).exitCode).toBe(ExitCode.invalid);
      expect(await test.rows('SELECT code, title FROM course ORDER BY code')).toEqual([
        { code: 'C101', title: 'Algebra' },
        { code: 'PHY2', title: 'Physics 2' },
      ]);
      await runCourseEdit(context({ json: true }), 'PHY2', { title: 'Physics 2' });
      expect(JSON.parse(stdout.text)).toMatchObject({ changed: 0, changes: [] });
    });

    it('delete asks first (7 without a terminal), names the course in its question, and deletes with --yes', async () => {
      await runCourseAdd(context(), 'PHY2', { title: 'Physics 2' });
      expect(await caught(runCourseDelete(context(), 'PHY2', {}))).toMatchObject({
        exitCode: ExitCode.notConfirmed,
        message: 'Delete course PHY2 "Physics 2": confirmation needed, but stdin is not a terminal',
      });
      await runCourseDelete(context({ yes: true }), 'PHY2', {});
      expect(stdout.text).toBe('deleted course PHY2\n');
      expect(await test.rows('SELECT code FROM course')).toEqual([]);
    });
  });

  it('session delete refuses while users are enrolled (4, even with --yes); --force deletes with the enrolments', async () => {
    const { addSession } = await import('../../src/core/sessions');
    await addSession(test, { name: 'Spring 2026', start: '2026-03-01', end: '2026-06-30' });
    await test.execute(
      `INSERT INTO "session_user" (session_id, user_id, enrolled_at) SELECT s.id, u.id, ? FROM training_session s, "user" u WHERE u.username IN ('ada', 'bob')`,
      '2026-03-01T09:00:00.000Z',
    );
    expect(await caught(runSessionDelete(context({ yes: true }), 'spring 2026', {}))).toMatchObject({
      exitCode: ExitCode.conflict,
      message: 'session "Spring 2026" has 2 enrolled user(s)',
    });
    await runSessionDelete(context({ yes: true, json: true }), 'Spring 2026', { force: true });
    expect(JSON.parse(stdout.text)).toMatchObject({ changed: 1, session: { name: 'Spring 2026' }, unenrolled: 2 });
    expect(await test.rows('SELECT * FROM "session_user"')).toEqual([]);
  });

  it('a batch resolves to its exit code: 0 when all was done, 6 when some failed, the failure’s own when the only user named failed', async () => {
    expect(await runDeactivate(context({ yes: true }), ['ada'], {})).toBe(ExitCode.ok);
    expect(stdout.text).toContain('deactivated 1 user');
    expect(await runActivate(context({ yes: true }), ['ada', 'nobody'], {})).toBe(ExitCode.partial);
    expect(stderr.text).toContain('roster: error: nobody: no such user');
    expect(await runActivate(context({ yes: true }), ['nobody'], {})).toBe(ExitCode.notFound);
    // Nothing was to be done but the error: no "activated 0 user(s)" beside it (newcomer report).
    expect(stdout.text).toBe('');
    expect(stderr.text).toBe('roster: error: nobody: no such user\n');
    const [ada] = await test.rows<{ active: unknown }>(`SELECT active FROM "user" WHERE username = 'ada'`);
    expect(Boolean(ada?.active)).toBe(true);
  });

  it('role list counts the users list shows: not the deleted, the system or the anonymized accounts (newcomer report)', async () => {
    await test.execute(`UPDATE "user" SET anonymized_at = ? WHERE username = 'cyd'`, '2026-02-01T00:00:00.000Z');
    await runRoleList(context({ json: true }));
    expect(JSON.parse(stdout.text)).toContainEqual({ role: 'teacher', users: 2 });
  });

  it('activate --expires says which expiration it set (newcomer report)', async () => {
    await runDeactivate(context({ yes: true }), ['ada', 'bob'], {});
    await runActivate(context({ yes: true }), ['ada'], { expires: '+90d' });
    expect(stdout.text).toBe('activated 1 user(s) with the expiration 2026-05-30 09:00 UTC: ada\n');
    await runActivate(context({ yes: true }), ['bob'], { expires: 'never' });
    expect(stdout.text).toBe('activated 1 user(s) with no expiration: bob\n');
  });

  it('reports the users it could not act on in the order they were given (newcomer report)', async () => {
    await addUser(test, { username: 'root', email: 'root@example.org', firstname: 'R', lastname: 'T', roles: ['admin'], passwordHash: HASH });
    // root is refused as the last active admin, nobody does not exist: two kinds of failure, found at two times.
    expect(await runDeactivate(context({ json: true, yes: true }), ['cyd', 'root', 'nobody', 'id:999'], {})).toBe(ExitCode.partial);
    const result = JSON.parse(stdout.text) as { failed: { ref: string }[] };
    expect(result.failed.map((f) => f.ref)).toEqual(['root', 'nobody', 'id:999']);
    expect(await runDeactivate(context({ yes: true }), ['nobody', 'root'], {})).toBe(ExitCode.partial);
    expect(stderr.text.split('\n').filter((l) => l.startsWith('roster: error:'))).toEqual([
      'roster: error: nobody: no such user',
      expect.stringMatching(/^roster: error: root: /),
    ]);
  });

  it('search without a keyword or a field to search is a usage error (2), before any query', async () => {
    expect(await caught(runSearch(context(), undefined, { lastname: '  ' }))).toMatchObject({
      exitCode: ExitCode.usage,
      suggestion: 'to see everyone, use roster list',
    });
  });
});
