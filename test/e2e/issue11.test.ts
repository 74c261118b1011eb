import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { BIN, Sandbox } from './helpers';
import { seedUsers } from './seed';

/** Issue 11: rules that hold whatever runs at the same time. */
describe('issue 11: one last-admin guard, under concurrency', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());
  beforeAll(() => {
    seedUsers(sandbox, [
      { username: 'a1', roles: ['admin'] },
      { username: 'a2', roles: ['admin'] },
    ]);
  });

  function runAsync(args: string[]): Promise<number | null> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        env: { PATH: process.env.PATH, HOME: sandbox.dir, ROSTER_DB: sandbox.db, NO_COLOR: '1' },
        stdio: 'ignore',
      });
      child.on('close', resolve);
    });
  }
  const activeAdmins = () =>
    sandbox.query<{ n: number }>(
      'SELECT count(*) AS n FROM "user" u JOIN user_role r ON r.user_id = u.id AND r.role = \'admin\' WHERE u.active = 1 AND u.deleted_at IS NULL',
    )[0]!.n;

  it.each([
    ['deactivate', ['deactivate', 'a1'], ['deactivate', 'a2']],
    ['delete and take the role', ['delete', 'a1', '--yes'], ['edit', 'a2', '--remove-role', 'admin', '--add-role', 'student']],
    ['edit --deactivate and anonymize', ['edit', 'a1', '--deactivate'], ['anonymize', 'a2', '--yes']],
  ])('two processes taking the last two admins at once (%s) leave one: one succeeds, the other exits 4', async (_label, first, second) => {
    expect(activeAdmins()).toBe(2);
    const codes = await Promise.all([runAsync(first), runAsync(second)]);
    expect(codes.sort()).toEqual([0, 4]);
    expect(activeAdmins()).toBe(1);
    // Back to two live admins for the next round.
    sandbox.transaction([
      { sql: `UPDATE "user" SET active = 1, deleted_at = NULL WHERE username IN ('a1', 'a2')`, params: [] },
      { sql: `INSERT INTO user_role (user_id, role) SELECT id, 'admin' FROM "user" WHERE username IN ('a1', 'a2') ON CONFLICT DO NOTHING`, params: [] },
    ]);
  });
});

describe('issue 11: one key function per entity', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());

  it('a course code and a session name in NFD form (as macOS writes file names) are found by import as by enroll', () => {
    expect(sandbox.run(['course', 'add', 'CAFÉ101', '--title', 'Café']).code).toBe(0);
    expect(sandbox.run(['session', 'add', 'Été 2026', '--start', '2026-06-01', '--end', '2026-08-31']).code).toBe(0);
    const nfd = (text: string) => text.normalize('NFD');
    sandbox.addUser('zed');
    expect(sandbox.run(['enroll', 'zed', '--course', nfd('café101'), '--yes']).code).toBe(0);
    sandbox.file(
      'nfd.csv',
      `LastName;FirstName;Email;UserName;Password;Courses;Sessions\nL;F;y@example.org;yan;long secret 1;${nfd(' café101 ')};${nfd('été 2026')}\n`,
    );
    const result = sandbox.run(['import', 'nfd.csv']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(
      sandbox.query('SELECT c.code FROM course_user cu JOIN course c ON c.id = cu.course_id JOIN "user" u ON u.id = cu.user_id WHERE u.username = \'yan\''),
    ).toEqual([{ code: 'CAFÉ101' }]);
  });
});

describe('issue 11: a database URL', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());
  // A host that cannot exist (.invalid): the connection fails at once.
  const URL = 'postgres://roster:s3cret@db.example.invalid:5432/roster?sslmode=require';

  it.each([
    ['--db', (args: string[]) => sandbox.run(['--db', URL, ...args], { env: { ROSTER_DB: undefined } })],
    ['ROSTER_DB', (args: string[]) => sandbox.run(args, { env: { ROSTER_DB: URL } })],
  ])('in %s is never taken for a file path: an unreachable server is exit 3, nothing is created, the password is never printed', (_where, run) => {
    const before = fs.readdirSync(sandbox.dir);
    for (const args of [
      ['list'],
      ['db', 'status'],
      ['add', '--username', 'x', '--email', 'x@example.org', '--firstname', 'X', '--lastname', 'Y', '--role', 'student', '--generate-password'],
    ]) {
      const result = run(args);
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('cannot connect to the database postgres://roster:***@db.example.invalid:5432/roster?sslmode=require');
      expect(result.stderr).toContain('hint: check the host and port');
      expect(result.stdout).toBe('');
      expect(result.stderr + result.stdout).not.toContain('s3cret');
    }
    expect(fs.readdirSync(sandbox.dir)).toEqual(before);
  });

  it('another scheme is refused as no database roster can open', () => {
    const result = sandbox.run(['--db', 'mysql://root:pw@localhost/lms', 'list']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('mysql://root:***@localhost/lms is no database roster can open');
  });
});

describe('issue 11: set-based writes keep what the per-user ones recorded', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());

  it('deactivate revokes the unused login-as tokens of the chunk and records how many, per user', () => {
    sandbox.addUser('boss', [], ['admin']);
    sandbox.addUser('tok');
    sandbox.addUser('plain');
    const login = sandbox.run(['login-as', 'tok', '--reason', 'support ticket 42', '--actor', 'boss']);
    expect(login.code).toBe(0);
    expect(sandbox.query('SELECT count(*) AS n FROM login_token t JOIN "user" u ON u.id = t.user_id WHERE u.username = \'tok\' AND t.used_at IS NULL')).toEqual(
      [{ n: 1 }],
    );
    expect(sandbox.run(['deactivate', 'tok', 'plain', '--yes']).code).toBe(0);
    expect(sandbox.query('SELECT count(*) AS n FROM login_token WHERE used_at IS NULL')).toEqual([{ n: 0 }]);
    const details = sandbox.query<{ username: string; details: string }>(
      'SELECT u.username, a.details FROM audit_log a JOIN "user" u ON u.id = a.user_id WHERE a.action = \'user.deactivate\' ORDER BY u.username',
    );
    expect(details.map((d) => [d.username, JSON.parse(d.details).tokensRevoked])).toEqual([
      ['plain', undefined],
      ['tok', 1],
    ]);
  });
});
