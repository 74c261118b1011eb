import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { BIN, Sandbox } from './helpers';
import { describeOnPostgres, testPassword } from '../support/engine';

/** What only PostgreSQL has: the URL and its password, migrations of a new database, pg_dump, VACUUM. */
describeOnPostgres('roster on PostgreSQL', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());
  // (The body of a skipped describe still runs on SQLite: nothing here may assume a URL yet.)
  const password = () => testPassword()!;
  /** The database's URL without its password. */
  const bareUrl = () => {
    const url = new URL(sandbox.db);
    url.password = '';
    return url.toString();
  };

  it('shows the URL with its password as *** (db status)', () => {
    const status = sandbox.run(['db', 'status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`database: ${sandbox.location}\n`);
    expect(status.stdout).toContain(':***@');
    expect(status.stdout).toContain('applied  0009_postgres_search');
  });

  it('takes the password from PGPASSWORD or ~/.pgpass when the URL has none; a wrong one is exit 3, never printed', () => {
    const withoutAny = sandbox.run(['list', '--format', 'count'], { env: { ROSTER_DB: bareUrl() } });
    expect(withoutAny.code).toBe(3);
    expect(withoutAny.stderr).toContain('the server asks for a password, and none was given');
    expect(withoutAny.stderr).toContain('hint: put it in PGPASSWORD or ~/.pgpass');

    expect(sandbox.run(['list', '--format', 'count'], { env: { ROSTER_DB: bareUrl(), PGPASSWORD: password() } })).toMatchObject({ code: 0, stdout: '0\n' });

    const url = new URL(sandbox.db);
    const pgpass = sandbox.file('.pgpass', `${url.hostname}:${url.port}:*:${url.username}:${password()}\n`);
    fs.chmodSync(pgpass, 0o600);
    try {
      expect(sandbox.run(['list', '--format', 'count'], { env: { ROSTER_DB: bareUrl() } })).toMatchObject({ code: 0, stdout: '0\n' });
    } finally {
      fs.rmSync(pgpass);
    }

    const wrong = new URL(sandbox.db);
    wrong.password = 'not-the-password-42';
    const refused = sandbox.run(['list'], { env: { ROSTER_DB: wrong.toString() } });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('password authentication failed');
    expect(refused.stderr).not.toContain('not-the-password-42');
    expect(refused.stderr).toContain(':***@');
  });

  it('two roster processes on a new, empty database migrate it once, and both succeed', async () => {
    const empty = new Sandbox({ emptyDatabase: true });
    try {
      const start = (username: string) =>
        new Promise<number | null>((resolve) => {
          const args = [BIN, 'add', '--username', username, '--email', `${username}@example.org`, '--firstname', 'F', '--lastname', 'L', '--role', 'student', '--generate-password'];
          const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, HOME: empty.dir, ROSTER_DB: empty.db, ROSTER_BCRYPT_COST: '4' }, stdio: 'ignore' });
          child.on('close', resolve);
        });
      expect(await Promise.all([start('one'), start('two')])).toEqual([0, 0]);
      expect(empty.query('SELECT count(*) AS n FROM kysely_migration')).toEqual([{ n: 9 }]);
      expect(empty.query('SELECT username FROM "user" WHERE is_system = 0 ORDER BY username')).toEqual([{ username: 'one' }, { username: 'two' }]);
      expect(empty.query("SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'")).toEqual([{ extname: 'pg_trgm' }]);
    } finally {
      empty.cleanup();
    }
  });

  it('db backup writes a pg_dump archive (mode 0600) that pg_restore reads, and never replaces a file', () => {
    sandbox.addUser('kept');
    const target = path.join(sandbox.dir, 'roster.dump');
    const result = sandbox.run(['db', 'backup', target]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^backed up ${sandbox.location.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} to ${target} \\(\\d+ bytes\\)\n$`));
    expect(fs.statSync(target).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(target).subarray(0, 5).toString('latin1')).toBe('PGDMP');
    const pgRestore = ['/usr/lib/postgresql/15/bin/pg_restore', 'pg_restore'].find((p) => spawnSync(p, ['--version']).status === 0);
    if (pgRestore) expect(spawnSync(pgRestore, ['--list', target], { encoding: 'utf8' }).stdout).toContain('TABLE DATA public user');
    expect(sandbox.query("SELECT count(*) AS n FROM audit_log WHERE action = 'db.backup'")).toEqual([{ n: 1 }]);
    expect(sandbox.run(['db', 'backup', target]).code).toBe(4);
  });

  it('anonymize erases the values, then vacuums the tables without a warning', () => {
    sandbox.addUser('vanishing', ['--official-code', 'VAN-1']);
    sandbox.addUser('boss', [], ['admin']);
    const result = sandbox.run(['anonymize', 'vanishing', '--yes']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(sandbox.run(['search', 'vanishing', '--format', 'count']).stdout).toBe('0\n');
    expect(sandbox.query("SELECT count(*) AS n FROM \"user\" WHERE username = 'vanishing' OR email LIKE 'vanishing%' OR official_code = 'VAN-1'")).toEqual([{ n: 0 }]);
    expect(sandbox.query("SELECT count(*) AS n FROM audit_log WHERE details LIKE '%vanishing%'")).toEqual([{ n: 0 }]);
    // VACUUM ran after the erasure: PostgreSQL records when.
    expect(sandbox.query("SELECT count(*) AS n FROM pg_stat_user_tables WHERE relname = 'user' AND last_vacuum IS NOT NULL")).toEqual([{ n: 1 }]);
  });

  it('import refuses PostgreSQL before it writes anything (not yet written for it)', () => {
    const file = sandbox.file('new.csv', 'LastName;FirstName;Email;UserName;Password\nL;F;n@example.org;newcomer;long secret 1\n');
    const result = sandbox.run(['import', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('import does not run on PostgreSQL yet');
    expect(sandbox.query("SELECT count(*) AS n FROM \"user\" WHERE username = 'newcomer'")).toEqual([{ n: 0 }]);
  });
});
