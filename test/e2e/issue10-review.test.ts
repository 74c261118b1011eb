import { Sandbox } from './helpers';
import { HAS_SCRIPT, runInTerminal } from './terminal';
import { ENGINE } from '../support/engine';

const onTerminal = HAS_SCRIPT ? it : it.skip;
const ENTER = '\r';

describe('review of the session: batch edit, list csv, filters, import prompt', () => {
  const sandbox = new Sandbox();
  beforeAll(() => {
    sandbox.addUser('bob');
    sandbox.addUser('carol');
    sandbox.addUser('grace', [], ['admin']);
  });
  afterAll(() => sandbox.cleanup());

  it('batch edit --expires <past> for every admin refuses the last one: the platform keeps an admin who can log in', () => {
    const admins = new Sandbox();
    try {
      admins.addUser('a1', [], ['admin']);
      admins.addUser('a2', [], ['admin']);
      const result = admins.run(['edit', '--role', 'admin', '--expires', '2020-01-01', '--yes']);
      // The single edit refuses a past date for the last active admin (exit 4): here each admin counts the other.
      expect(result.code).toBe(6);
      const expired = admins.query<{ n: number }>('SELECT COUNT(*) AS n FROM "user" WHERE expires_at IS NOT NULL AND expires_at < \'2026-01-01\'');
      expect(expired[0]!.n).toBeLessThanOrEqual(1);
      // What the refusal exists for: the next roster expire must not be refused.
      expect(admins.run(['expire']).code).toBe(0);
    } finally {
      admins.cleanup();
    }
  });

  it('batch edit: a value that is invalid for every user is invalid data (exit 5), not "partly done" (exit 6)', () => {
    // One user matching gives exit 5; two users the very same mistake gives 6, though nothing can be done.
    const one = sandbox.run(['edit', 'bob', '--language', 'zz', '--dry-run']);
    expect(one.code).toBe(5);
    const two = sandbox.run(['edit', 'bob', 'carol', '--language', 'zz', '--yes']);
    expect(two.code).toBe(5);
  });

  it('batch edit --atomic with an unknown user asks nothing (a real run changes nothing) and exits 3', () => {
    const result = sandbox.run(['edit', 'bob', 'carol', 'nosuch', '--language', 'de', '--atomic']);
    expect(result.stderr).not.toContain('confirmation needed');
    expect(result.code).toBe(3);
  });

  it('edit of ONE user with --dry-run is not refused as "a value of one user, not of several"', () => {
    const result = sandbox.run(['edit', 'bob', '--email', 'bob.new@example.org', '--dry-run']);
    expect(result.stderr).not.toContain('not of several');
    expect(result.code).toBe(0);
    expect(sandbox.query('SELECT email FROM "user" WHERE username = ?', 'bob')).toEqual([{ email: 'bob@example.org' }]);
  });

  it('list --expires-before with a huge +duration is invalid data (exit 5), not an internal error (exit 1)', () => {
    const result = sandbox.run(['list', '--expires-before', '+99999999y', '--format', 'count']);
    expect(result.stderr).not.toContain('internal error');
    expect(result.code).toBe(5);
  });

  onTerminal('list --format csv on a terminal shows its lines, not a "\\u000d" escape at the end of each', async () => {
    const result = await runInTerminal(sandbox, ['list', '--format', 'csv', '--fields', 'username,email'], []);
    expect(result.code).toBe(0);
    expect(result.screen).toContain('UserName;Email');
    expect(result.screen).not.toContain('\\u000d');
  });

  // import: not yet on PostgreSQL.
  (ENGINE === 'sqlite' ? onTerminal : it.skip)('the import column prompt does not print passwords or hashes of an unknown column as "samples"', async () => {
    const secret = 'Geheim-Passwort-123';
    const hash = '$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234';
    sandbox.file('german.csv', `LastName;FirstName;Email;UserName;Kennwort;Passwort_Hash\nMeier;Anna;anna@example.org;ameier;${secret};${hash}\n`);
    const result = await runInTerminal(
      sandbox,
      ['import', 'german.csv', '--dry-run'],
      [
        { expect: /"Kennwort" hold\?/, send: ENTER },
        { expect: /"Passwort_Hash" hold\?/, send: ENTER },
      ],
    );
    expect(result.code).toBe(0);
    expect(result.screen).not.toContain(secret);
    expect(result.screen).not.toContain(hash.slice(0, 20));
  });
});
