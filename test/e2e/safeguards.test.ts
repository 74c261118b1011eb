import { Sandbox } from './helpers';

/** Traps a sysadmin could fall into, each closed. */
describe('safeguards', () => {
  const sandbox = new Sandbox();
  const env = { ROSTER_TEST_NOW: '2026-06-15T12:00:00.000Z' };
  afterAll(() => sandbox.cleanup());

  beforeAll(() => {
    sandbox.addUser('boss', [], ['admin']);
    sandbox.addUser('eve');
  });

  it('a deactivated account loses its outstanding login-as tokens, even once reactivated', () => {
    const token = sandbox.run(['login-as', 'eve', '--reason', 'support'], { env }).stdout.trim();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sandbox.run(['deactivate', 'eve'], { env }).code).toBe(0);
    expect(sandbox.run(['activate', 'eve'], { env }).code).toBe(0);
    expect(sandbox.run(['auth', 'eve', '--token', token], { env }).code).toBe(5);
    expect(sandbox.query('SELECT count(*) AS n FROM login_token')).toEqual([{ n: 0 }]);
  });

  it('edit cannot take the admin role from the last active admin', () => {
    const result = sandbox.run(['edit', 'boss', '--roles', 'student']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('boss is the last active admin');
    expect(sandbox.query('SELECT role FROM user_role JOIN "user" ON "user".id = user_id WHERE username = \'boss\'')).toEqual([{ role: 'admin' }]);
  });

  it('edit with nothing to change is a usage error', () => {
    expect(sandbox.run(['edit', 'eve'])).toMatchObject({ code: 2, stderr: expect.stringContaining('nothing to change') });
  });

  it('dormancy shorter than a day is refused: 6m means minutes, not months', () => {
    const result = sandbox.run(['expire', '--inactive-since', '6m', '--dry-run'], { env });
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('shorter than a day');
    expect(sandbox.run(['deactivate', '--inactive-since', '12h', '--dry-run'], { env }).code).toBe(5);
  });

  it('an expiration given as a day keeps the account usable through that whole day (UTC)', () => {
    expect(sandbox.run(['edit', 'eve', '--expires', '2026-06-15']).code).toBe(0);
    expect(sandbox.query('SELECT expires_at FROM "user" WHERE username = \'eve\'')).toEqual([{ expires_at: '2026-06-15T23:59:59.999Z' }]);
    expect(sandbox.run(['expire', '--quiet'], { env })).toMatchObject({ code: 0, stdout: '' });
    expect(sandbox.query('SELECT active FROM "user" WHERE username = \'eve\'')).toEqual([{ active: 1 }]);
    expect(sandbox.run(['expire'], { env: { ROSTER_TEST_NOW: '2026-06-16T00:00:00.000Z' } }).stdout).toContain('eve');
  });

  it('a number that is one user’s id and another’s username names the username (issue 10); id:N names the id', () => {
    const evesId = sandbox.query<{ id: number }>('SELECT id FROM "user" WHERE username = \'eve\'')[0]!.id;
    const other = sandbox.addUser('other');
    expect(sandbox.json<{ username: string }>(['show', String(evesId)]).username).toBe('eve');
    expect(sandbox.run(['edit', `id:${other}`, '--username', String(evesId)]).code).toBe(0);
    expect(sandbox.json<{ id: number }>(['show', String(evesId)]).id).toBe(other);
    expect(sandbox.json<{ username: string }>(['show', `id:${evesId}`]).username).toBe('eve');
    expect(sandbox.run(['deactivate', '-', '--json'], { input: `${evesId}\n` })).toMatchObject({
      code: 0,
      stdout: expect.stringContaining(`"username":"${evesId}"`),
    });
    expect(sandbox.query('SELECT active FROM "user" WHERE id = ?', other)).toEqual([{ active: 0 }]);
    expect(sandbox.run(['activate', `id:${other}`]).code).toBe(0);
  });

  it('an empty list on stdin is nothing to do (exit 0), not a usage error', () => {
    expect(sandbox.run(['delete', '-', '--yes'], { input: '# nothing today\n' })).toMatchObject({ code: 0 });
  });
});
