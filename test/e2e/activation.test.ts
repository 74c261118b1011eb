import { Sandbox } from './helpers';
import { auditRows, seedUsers, type BatchJson } from './seed';

describe('roster activate / deactivate', () => {
  const sandbox = new Sandbox();
  const env = { ROSTER_TEST_NOW: '2026-06-15T12:00:00.000Z' };
  let ids: Record<string, number>;
  const state = (username: string) =>
    sandbox.query<{ active: number; expires_at: string | null }>('SELECT active, expires_at FROM "user" WHERE username = ?', username)[0]!;

  beforeAll(() => {
    const names = ['boss', 'ann', 'ben', 'cal', 'old', 'gone'];
    const list = seedUsers(sandbox, [
      { username: 'boss', roles: ['admin'] },
      { username: 'ann' },
      { username: 'ben' },
      { username: 'cal', roles: ['teacher'] },
      { username: 'old', active: false, expiresAt: '2026-01-01T00:00:00.000Z' },
      { username: 'gone', deletedAt: '2026-05-01T00:00:00.000Z' },
    ]);
    ids = Object.fromEntries(names.map((n, i) => [n, list[i]!]));
  });
  afterAll(() => sandbox.cleanup());

  it('deactivates one user without confirmation, keeps its data, writes one audit row, and is safe to run twice', () => {
    const first = sandbox.run(['deactivate', 'ann'], { env });
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toBe('deactivated 1 user(s): ann\n');
    expect(state('ann').active).toBe(0);
    expect(sandbox.query('SELECT role FROM user_role WHERE user_id = ?', ids.ann)).toEqual([{ role: 'student' }]);
    const again = sandbox.run(['deactivate', 'ann'], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('unchanged 1 user(s) (already so): ann');
    const rows = auditRows(sandbox, 'user.deactivate');
    expect(rows).toEqual([{ user_id: ids.ann, actor: expect.any(String), details: { changes: [{ field: 'active', before: 1, after: 0 }] } }]);
  });

  it('needs --yes for several users when stdin is not a terminal (exit 7), and changes nothing', () => {
    const result = sandbox.run(['deactivate', 'ben', 'cal'], { env });
    expect(result.code).toBe(7);
    expect(result.stderr).toMatch(/^roster: error: Deactivate 2 users: confirmation needed, but stdin is not a terminal\n {2}hint: pass --yes/);
    expect(state('ben').active).toBe(1);
    expect(state('cal').active).toBe(1);
  });

  it('reads references from stdin with -, and --json gives the batch shape with the users as they are now', () => {
    const result = sandbox.json<BatchJson>(['deactivate', '-', '--yes'], { env, input: `ben\n# a comment\n\ncal@EXAMPLE.org\n${ids.ben}\n` });
    expect(result).toMatchObject({ changed: 2, unchanged: 0, failed: [], dryRun: false, rolledBack: false });
    expect(result.users.map((u) => [u.username, u.active])).toEqual([
      ['ben', false],
      ['cal', false],
    ]);
    expect(auditRows(sandbox, 'user.deactivate')).toHaveLength(3);
  });

  it('selects with the filters of list; --dry-run changes nothing, needs no --yes and still reports refusals', () => {
    const result = sandbox.run(['activate', '--inactive', '--role', 'student', '--dry-run', '--json'], { env });
    expect(result.code).toBe(6);
    const body = JSON.parse(result.stdout) as BatchJson;
    expect(body).toMatchObject({ changed: 2, dryRun: true, failed: [{ ref: 'old', message: expect.stringContaining('--expires') }] });
    expect(body.users.map((u) => u.username)).toEqual(['ann', 'ben']);
    expect(state('ann').active).toBe(0);
    expect(auditRows(sandbox, 'user.activate')).toHaveLength(0);
  });

  it('refuses to activate an account whose expiration date has passed, unless --expires moves it (exit 4)', () => {
    const refused = sandbox.run(['activate', 'old'], { env });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('old expired on 2026-01-01');
    expect(refused.stderr).toContain('pass --expires <date|never> in the same command');
    expect(state('old')).toEqual({ active: 0, expires_at: '2026-01-01T00:00:00.000Z' });

    const past = sandbox.run(['activate', 'old', '--expires', '2026-02-01'], { env });
    expect(past.code).toBe(4);

    const done = sandbox.run(['activate', 'old', '--expires', 'never'], { env });
    expect(done).toMatchObject({ code: 0, stdout: 'activated 1 user(s) with no expiration: old\n' });
    expect(state('old')).toEqual({ active: 1, expires_at: null });
    expect(auditRows(sandbox, 'user.activate').at(-1)).toMatchObject({
      user_id: ids.old,
      details: {
        changes: [
          { field: 'expires_at', before: '2026-01-01T00:00:00.000Z', after: null },
          { field: 'active', before: 0, after: 1 },
        ],
      },
    });
  });

  it('refuses to deactivate the last active admin (exit 4)', () => {
    const result = sandbox.run(['deactivate', 'boss'], { env });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('boss is the last active admin; the platform must keep one');
    expect(result.stderr).toContain('hint: give another account the admin role first');
    expect(state('boss').active).toBe(1);
  });

  it('refuses deleted accounts, pointing at restore (exit 4)', () => {
    const result = sandbox.run(['activate', 'gone'], { env });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('gone is deleted; restore it first (roster restore gone)');
  });

  it('reports unknown users: exit 3 alone, exit 6 among others that worked', () => {
    const alone = sandbox.run(['deactivate', 'nobody'], { env });
    expect(alone.code).toBe(3);
    expect(alone.stderr).toContain('roster: error: nobody: no such user');
    const mixed = sandbox.run(['activate', 'ann', 'nobody', '--yes'], { env });
    expect(mixed.code).toBe(6);
    expect(mixed.stdout).toContain('activated 1 user(s): ann');
    expect(state('ann').active).toBe(1);
    // With --json too, the failure is named on stderr (and listed in the JSON).
    const json = sandbox.run(['deactivate', 'nobody', '--json'], { env });
    expect(json.code).toBe(3);
    expect(json.stderr).toBe('roster: error: nobody: no such user\n');
    expect(JSON.parse(json.stdout)).toMatchObject({ changed: 0, failed: [{ ref: 'nobody', message: 'no such user' }] });
  });

  it("refuses an empty --actor (a script's unset variable) before changing anything (exit 2)", () => {
    const before = sandbox.query('SELECT count(*) AS n FROM audit_log');
    expect(sandbox.run(['deactivate', 'ann', '--actor', ' '], { env })).toMatchObject({
      code: 2,
      stderr: 'roster: error: --actor was given an empty name\n  hint: name who acts, e.g. --actor "$SUDO_USER", or leave --actor out\n',
    });
    expect(sandbox.query('SELECT count(*) AS n FROM audit_log')).toEqual(before);
  });

  it('--atomic changes nobody when one user fails', () => {
    const result = sandbox.run(['activate', 'ben', 'gone', '--atomic', '--yes'], { env });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('--atomic: 1 user(s) failed, so nothing was changed');
    expect(state('ben').active).toBe(0);
  });

  it('refuses a batch without users or filters, and users with filters (exit 2)', () => {
    expect(sandbox.run(['deactivate'], { env })).toMatchObject({ code: 2, stderr: expect.stringContaining('no users given') });
    expect(sandbox.run(['deactivate', 'ann', '--role', 'student'], { env })).toMatchObject({ code: 2, stderr: expect.stringContaining('not both') });
  });
});
