import { Sandbox } from './helpers';

/**
 * What the newcomer of stop 22 met, on the built binary as cron meets it (no
 * terminal): the rules are tested in-process too (test/unit/commands.test.ts,
 * user-commands.test.ts, formats.test.ts); here, that a sysadmin sees them.
 */
describe('stop 22: what a newcomer met, on the command line', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());
  beforeAll(() => {
    sandbox.addUser('root', [], ['admin']);
    sandbox.addUser('ann');
  });

  it('add --expires never adds the account without an expiration', () => {
    const added = sandbox.json<{ expiresAt: string | null }>(
      [
        'add',
        '--username',
        'forever',
        '--email',
        'f@example.org',
        '--firstname',
        'F',
        '--lastname',
        'E',
        '--role',
        'student',
        '--password-stdin',
        '--expires',
        'never',
      ],
      { input: 'correct horse battery\n' },
    );
    expect(added.expiresAt).toBeNull();
    const refused = sandbox.run(['edit', 'ann', '--expires', 'yesterday']);
    expect(refused).toMatchObject({ code: 5, stdout: '' });
    expect(refused.stderr).toContain('use YYYY-MM-DD, an ISO 8601 date-time, +90d (that long from now) or never');
  });

  it('a batch names its failures in the order given, and prints no "0 user(s)" when all failed', () => {
    const mixed = sandbox.run(['deactivate', 'root', 'nobody', '--yes']);
    expect(mixed.code).toBe(6);
    expect(mixed.stdout).toBe('');
    expect(mixed.stderr.split('\n').filter((l) => l.startsWith('roster: error:'))).toEqual([
      expect.stringMatching(/^roster: error: root: root is the last active admin/),
      'roster: error: nobody: no such user',
    ]);
  });

  it('activate --expires says which expiration it set', () => {
    expect(sandbox.run(['deactivate', 'ann']).code).toBe(0);
    expect(sandbox.run(['activate', 'ann', '--expires', '2027-06-30'])).toEqual({
      code: 0,
      stdout: 'activated 1 user(s) with the expiration 2027-06-30 23:59 UTC: ann\n',
      stderr: '',
    });
  });

  it('role list leaves out anonymized accounts, as list does', () => {
    sandbox.addUser('gone');
    expect(sandbox.run(['anonymize', 'gone', '--yes']).code).toBe(0);
    const counts = sandbox.json<{ role: string; users: number }[]>(['role', 'list']);
    expect(counts.find((c) => c.role === 'student')?.users).toBe(sandbox.json<unknown[]>(['list', '--role', 'student']).length);
  });

  it('import of a directory is exit 3, as a missing file is, and says what to give', () => {
    const result = sandbox.run(['import', sandbox.dir]);
    expect(result).toMatchObject({ code: 3, stdout: '' });
    expect(result.stderr).toBe(
      `roster: error: ${sandbox.dir} is a directory\n  hint: give the path of the CSV, XML or JSON file to import, or - to read standard input\n`,
    );
  });
});
