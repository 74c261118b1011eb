import { createHash } from 'node:crypto';
import { Sandbox } from './helpers';
import { PASSWORD, auditRows, seedUsers } from './seed';

const NOW = '2026-06-15T12:00:00.000Z';
const env = { ROSTER_TEST_NOW: NOW };
const at = (iso: string) => ({ ROSTER_TEST_NOW: iso });
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('roster login-as, auth and config', () => {
  const sandbox = new Sandbox();
  let ids: Record<string, number>;
  const lastLogin = (username: string) =>
    sandbox.query<{ last_login_at: string | null }>('SELECT last_login_at FROM "user" WHERE username = ?', username)[0]!.last_login_at;

  beforeAll(() => {
    const users = [
      { username: 'boss', roles: ['admin'] },
      { username: 'coadmin', roles: ['teacher', 'admin'] },
      { username: 'stu' },
      { username: 'off', active: false },
      { username: 'expired', expiresAt: '2026-06-01T00:00:00.000Z' },
      { username: 'binned', deletedAt: '2026-06-01T00:00:00.000Z' },
    ];
    const list = seedUsers(sandbox, users);
    ids = Object.fromEntries(users.map((u, i) => [u.username, list[i]!]));
  });
  afterAll(() => sandbox.cleanup());

  it('login-as requires --reason (exit 2) and names unknown users (exit 3)', () => {
    expect(sandbox.run(['login-as', 'stu'], { env })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("required option '--reason <text>' not specified"),
    });
    expect(sandbox.run(['login-as', 'stu', '--reason', '  '], { env })).toMatchObject({ code: 2, stderr: expect.stringContaining('--reason is required') });
    expect(sandbox.run(['login-as', 'nobody', '--reason', 'x'], { env })).toMatchObject({ code: 3, stderr: expect.stringContaining('no user "nobody"') });
  });

  let token: string;

  it('issues a one-time token of 256 bits, prints it alone on stdout, stores only its SHA-256, valid 15 minutes, audited', () => {
    const result = sandbox.run(['login-as', 'stu', '--reason', 'ticket 4711: cannot see the course', '--actor', 'helpdesk'], { env });
    expect(result.code).toBe(0);
    token = result.stdout.trim();
    expect(result.stdout).toBe(`${token}\n`);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(result.stderr).toBe(`one-time login token for stu (id:${ids.stu}), valid until 2026-06-15T12:15:00.000Z; recorded in the audit log\n`);
    const rows = sandbox.query('SELECT * FROM login_token');
    expect(rows).toEqual([
      {
        id: 1,
        user_id: ids.stu,
        token_hash: sha256(token),
        created_at: NOW,
        expires_at: '2026-06-15T12:15:00.000Z',
        used_at: null,
        created_by: 'helpdesk',
        reason: 'ticket 4711: cannot see the course',
      },
    ]);
    const audit = auditRows(sandbox, 'user.login-as');
    expect(audit).toEqual([
      { user_id: ids.stu, actor: 'helpdesk', details: { reason: 'ticket 4711: cannot see the course', tokenId: 1, expiresAt: '2026-06-15T12:15:00.000Z' } },
    ]);
    const everything = JSON.stringify(sandbox.query('SELECT * FROM audit_log'));
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(sha256(token));
  });

  it('auth --token logs in once, records the last login and consumes the token', () => {
    const first = sandbox.run(['auth', 'stu', '--token', token], { env: at('2026-06-15T12:05:00.000Z') });
    expect(first).toMatchObject({ code: 0, stdout: `authenticated stu (id:${ids.stu})\n`, stderr: '' });
    expect(lastLogin('stu')).toBe('2026-06-15T12:05:00.000Z');
    expect(sandbox.query('SELECT used_at FROM login_token WHERE id = 1')).toEqual([{ used_at: '2026-06-15T12:05:00.000Z' }]);
    expect(auditRows(sandbox, 'user.login')).toEqual([{ user_id: ids.stu, actor: expect.any(String), details: { method: 'login-as token', tokenId: 1 } }]);
    const again = sandbox.run(['auth', 'stu', '--token', token], { env: at('2026-06-15T12:06:00.000Z') });
    expect(again).toMatchObject({ code: 5, stderr: 'roster: error: authentication failed: unknown user, or a wrong, used or expired token\n' });
  });

  it('a token is refused after its lifetime, for another user, or altered (exit 5, one message)', () => {
    const fresh = sandbox.run(['login-as', 'stu', '--reason', 'again', '--ttl', '5m'], { env }).stdout.trim();
    expect(sandbox.query('SELECT expires_at FROM login_token WHERE id = 2')).toEqual([{ expires_at: '2026-06-15T12:05:00.000Z' }]);
    const failures = [
      sandbox.run(['auth', 'stu', '--token', fresh], { env: at('2026-06-15T12:05:00.000Z') }),
      sandbox.run(['auth', 'off', '--token', fresh], { env }),
      sandbox.run(['auth', 'nobody', '--token', fresh], { env }),
      sandbox.run(['auth', 'stu', '--token', `${fresh.slice(0, -1)}${fresh.endsWith('A') ? 'B' : 'A'}`], { env }),
    ];
    expect(failures.map((r) => [r.code, r.stderr])).toEqual(
      failures.map(() => [5, 'roster: error: authentication failed: unknown user, or a wrong, used or expired token\n']),
    );
    // Still unused: a refused attempt consumes nothing, and `--token -` reads it from stdin.
    expect(sandbox.run(['auth', 'stu', '--token', '-'], { env: at('2026-06-15T12:04:59.000Z'), input: `${fresh}\n` }).code).toBe(0);
  });

  it('--ttl outside 1 minute to 24 hours is refused (exit 5); --json and --dry-run', () => {
    expect(sandbox.run(['login-as', 'stu', '--reason', 'x', '--ttl', '2d'], { env })).toMatchObject({
      code: 5,
      stderr: expect.stringContaining('ttl: must be from 1 minute to 24 hours'),
    });
    expect(sandbox.run(['login-as', 'stu', '--reason', 'x', '--ttl', 'soon'], { env }).code).toBe(5);
    const json = sandbox.json<Record<string, unknown>>(['login-as', 'stu', '--reason', 'json', '--ttl', '1h'], { env });
    expect(json).toEqual({
      user: { id: ids.stu, username: 'stu' },
      token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      url: null,
      expiresAt: '2026-06-15T13:00:00.000Z',
      reason: 'json',
      dryRun: false,
    });
    const tokens = sandbox.query('SELECT count(*) AS n FROM login_token')[0];
    const dry = sandbox.run(['login-as', 'stu', '--reason', 'check', '--dry-run'], { env });
    expect(dry).toMatchObject({ code: 0, stdout: `dry run: stu (id:${ids.stu}) may be impersonated; no token was issued\n` });
    expect(sandbox.query('SELECT count(*) AS n FROM login_token')[0]).toEqual(tokens);
  });

  it.each([
    ['binned', 'is deleted'],
    ['off', 'is inactive'],
    ['expired', 'has expired'],
    ['fallback', 'is a system account'],
    ['boss', 'is an admin, and one admin may not become another'],
    ['coadmin', 'is an admin, and one admin may not become another'],
  ])('login-as refuses %s (exit 4): the account %s', (username, why) => {
    const before = sandbox.query('SELECT count(*) AS n FROM login_token')[0];
    const result = sandbox.run(['login-as', username, '--reason', 'x'], { env });
    expect(result).toMatchObject({ code: 4, stdout: '', stderr: `roster: error: cannot log in as ${username}: the account ${why}\n` });
    expect(sandbox.query('SELECT count(*) AS n FROM login_token')[0]).toEqual(before);
  });

  it('config set/get base-url makes login-as print a login URL', () => {
    expect(sandbox.run(['config', 'get', 'base-url'])).toMatchObject({
      code: 3,
      stderr: 'roster: error: base-url is not set\n  hint: set it with roster config set base-url <value>\n',
    });
    expect(sandbox.run(['config', 'set', 'base-url', 'https://campus.example.org/'])).toMatchObject({
      code: 0,
      stdout: 'base-url: (not set) → https://campus.example.org/\n',
    });
    expect(sandbox.run(['config', 'get', 'base-url']).stdout).toBe('https://campus.example.org/\n');
    const plain = sandbox.run(['login-as', 'stu', '--reason', 'url'], { env }).stdout;
    expect(plain).toMatch(/^https:\/\/campus\.example\.org\/\?user=stu&token=[A-Za-z0-9_-]{43}\n$/);
    sandbox.run(['config', 'set', 'base-url', 'https://campus.example.org/login?as={user}&token={token}']);
    const templated = sandbox.run(['login-as', 'stu', '--reason', 'url'], { env }).stdout;
    const url = new URL(templated.trim());
    expect([url.pathname, url.searchParams.get('as')]).toEqual(['/login', 'stu']);
    expect(sandbox.run(['auth', 'stu', '--token', url.searchParams.get('token')!], { env }).code).toBe(0);
    expect(auditRows(sandbox, 'config.set').map((r) => r.details)).toEqual([
      { changes: [{ field: 'base-url', before: null, after: 'https://campus.example.org/' }] },
      { changes: [{ field: 'base-url', before: 'https://campus.example.org/', after: 'https://campus.example.org/login?as={user}&token={token}' }] },
    ]);
  });

  it('config refuses a malformed URL (exit 5) and an unknown key (exit 2); unset and list', () => {
    expect(sandbox.run(['config', 'set', 'base-url', 'ftp://campus'])).toMatchObject({
      code: 5,
      stderr: expect.stringContaining('base-url: "ftp://campus" is not an http(s) URL'),
    });
    expect(sandbox.run(['config', 'set', 'colour', 'blue'])).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown setting "colour"') });
    expect(sandbox.run(['config', 'get', 'colour']).code).toBe(2);
    expect(sandbox.json<{ key: string; value: string | null }[]>(['config', 'list'])).toEqual([
      { key: 'base-url', value: 'https://campus.example.org/login?as={user}&token={token}', description: expect.any(String) },
      { key: 'mail.command', value: null, description: expect.stringContaining('sends mail') },
      { key: 'mail.from', value: null, description: expect.stringContaining('sender') },
    ]);
    expect(sandbox.run(['config', 'unset', 'base-url']).code).toBe(0);
    expect(sandbox.run(['config', 'get', 'base-url']).code).toBe(3);
    expect(sandbox.run(['login-as', 'stu', '--reason', 'plain'], { env }).stdout).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
  });

  it('auth checks a password from stdin: exit 0 and the last login recorded', () => {
    const result = sandbox.run(['auth', 'stu', '--json'], { env: at('2026-06-16T08:00:00.000Z'), input: `${PASSWORD}\n` });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ id: ids.stu, username: 'stu', lastLoginAt: '2026-06-16T08:00:00.000Z' });
    expect(lastLogin('stu')).toBe('2026-06-16T08:00:00.000Z');
    expect(auditRows(sandbox, 'user.login').at(-1)).toMatchObject({ user_id: ids.stu, details: { method: 'password' } });
    // The last login feeds the dormant-account selection.
    expect(sandbox.json<{ username: string }[]>(['list', '--last-login-before', '2026-06-16T09:00:00Z'], { env }).map((u) => u.username)).toContain('stu');
  });

  it('a wrong password and an unknown user get the same message (exit 5), and record nothing', () => {
    const wrong = sandbox.run(['auth', 'stu'], { env, input: 'not the password\n' });
    const unknown = sandbox.run(['auth', 'nobody'], { env, input: `${PASSWORD}\n` });
    expect(wrong).toMatchObject({ code: 5, stdout: '', stderr: 'roster: error: authentication failed: unknown user or wrong password\n' });
    expect(unknown).toEqual(wrong);
    // The account state is told only to who knows the password.
    expect(sandbox.run(['auth', 'off'], { env, input: 'wrong\n' }).code).toBe(5);
    expect(lastLogin('stu')).toBe('2026-06-16T08:00:00.000Z');
  });

  it.each([
    ['off', 'is inactive'],
    ['expired', 'has expired'],
    ['binned', 'is deleted'],
  ])('the right password for %s is refused for its state (exit 4): the account %s', (username, why) => {
    const result = sandbox.run(['auth', username], { env, input: `${PASSWORD}\n` });
    expect(result).toMatchObject({ code: 4, stderr: `roster: error: ${username} may not log in: the account ${why}\n` });
    expect(lastLogin(username)).toBeNull();
  });

  it('auth without a password on stdin is a usage error (exit 2)', () => {
    expect(sandbox.run(['auth', 'stu'], { env, input: '' })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('reads the password from the first line of standard input'),
    });
  });
});
