import fs from 'node:fs';
import net from 'node:net';
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
    expect(status.stdout).toContain('applied  0011_mail_notice');
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
      // Read by roster itself: no deprecation warning of pg's own .pgpass support on stderr.
      expect(sandbox.run(['list', '--format', 'count'], { env: { ROSTER_DB: bareUrl() } })).toEqual({ code: 0, stdout: '0\n', stderr: '' });
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

  it('a password given as ?password= in the URL is redacted like one before the @, and warned about in --db', () => {
    const url = new URL(bareUrl());
    url.searchParams.set('password', password());
    const status = sandbox.run(['db', 'status'], { env: { ROSTER_DB: url.toString() } });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('password=***');
    const viaOption = sandbox.run(['--db', url.toString(), 'list', '--format', 'count'], { env: { ROSTER_DB: undefined } });
    expect(viaOption.stderr).toContain('roster: warning: the password in --db is visible to other users of this host');
    const backup = sandbox.run(['db', 'backup', path.join(sandbox.dir, 'query-password.dump')], { env: { ROSTER_DB: url.toString() } });
    expect(backup.code).toBe(0);
    expect(backup.stdout).toContain('password=***');
  });

  it('two roster processes on a new, empty database migrate it once, and both succeed', async () => {
    const empty = new Sandbox({ emptyDatabase: true });
    try {
      const start = (username: string) =>
        new Promise<number | null>((resolve) => {
          const args = [
            BIN,
            'add',
            '--username',
            username,
            '--email',
            `${username}@example.org`,
            '--firstname',
            'F',
            '--lastname',
            'L',
            '--role',
            'student',
            '--generate-password',
          ];
          const child = spawn(process.execPath, args, {
            env: { PATH: process.env.PATH, HOME: empty.dir, ROSTER_DB: empty.db, ROSTER_BCRYPT_COST: '4' },
            stdio: 'ignore',
          });
          child.on('close', resolve);
        });
      expect(await Promise.all([start('one'), start('two')])).toEqual([0, 0]);
      expect(empty.query('SELECT count(*) AS n FROM kysely_migration')).toEqual([{ n: 11 }]);
      expect(empty.query('SELECT username FROM "user" WHERE is_system = 0 ORDER BY username')).toEqual([{ username: 'one' }, { username: 'two' }]);
      expect(empty.query("SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'")).toEqual([{ extname: 'pg_trgm' }]);
    } finally {
      empty.cleanup();
    }
  });

  it('db backup writes a pg_dump archive (mode 0600) that pg_restore reads, and never replaces a file', () => {
    sandbox.addUser('kept');
    const backups = () => sandbox.query<{ n: number }>("SELECT count(*) AS n FROM audit_log WHERE action = 'db.backup'")[0]!.n;
    const before = backups();
    const target = path.join(sandbox.dir, 'roster.dump');
    const result = sandbox.run(['db', 'backup', target]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^backed up ${sandbox.location.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} to ${target} \\(\\d+ bytes\\)\n$`));
    expect(fs.statSync(target).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(target).subarray(0, 5).toString('latin1')).toBe('PGDMP');
    // The test cluster runs on these binaries: pg_restore is there.
    const pgRestore = path.join(process.env.ROSTER_PG_BIN!, 'pg_restore');
    expect(spawnSync(pgRestore, ['--list', target], { encoding: 'utf8' }).stdout).toContain('TABLE DATA public user');
    expect(backups()).toBe(before + 1);
    expect(sandbox.run(['db', 'backup', target]).code).toBe(4);
  });

  it('anonymize erases the values, then vacuums the tables without a warning', () => {
    sandbox.addUser('vanishing', ['--official-code', 'VAN-1']);
    sandbox.addUser('boss', [], ['admin']);
    const result = sandbox.run(['anonymize', 'vanishing', '--yes']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(sandbox.run(['search', 'vanishing', '--format', 'count']).stdout).toBe('0\n');
    expect(sandbox.query("SELECT count(*) AS n FROM \"user\" WHERE username = 'vanishing' OR email LIKE 'vanishing%' OR official_code = 'VAN-1'")).toEqual([
      { n: 0 },
    ]);
    expect(sandbox.query("SELECT count(*) AS n FROM audit_log WHERE details LIKE '%vanishing%'")).toEqual([{ n: 0 }]);
    // VACUUM ran after the erasure: PostgreSQL records when.
    expect(sandbox.query("SELECT count(*) AS n FROM pg_stat_user_tables WHERE relname = 'user' AND last_vacuum IS NOT NULL")).toEqual([{ n: 1 }]);
  });

  it('anonymize by a role that does not own the tables says that VACUUM could not run', () => {
    sandbox.addUser('clerkvictim');
    const role = `roster_clerk_${process.pid}`;
    sandbox.execute(`CREATE ROLE ${role} LOGIN PASSWORD 'clerk-secret-7'`);
    sandbox.execute(`GRANT ALL ON ALL TABLES IN SCHEMA public TO ${role}`);
    sandbox.execute(`GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
    const url = new URL(sandbox.db);
    url.username = role;
    url.password = 'clerk-secret-7';
    const result = sandbox.run(['anonymize', 'clerkvictim', '--yes'], { env: { ROSTER_DB: url.toString() } });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('roster: warning: VACUUM needs the owner of the tables');
    expect(result.stderr).not.toContain('clerk-secret-7');
  });
});

/** Connections that fail: each is a clear error with its exit code, at once, never a hang or an "internal error". */
describeOnPostgres('a PostgreSQL connection that fails', () => {
  const sandbox = new Sandbox();
  const servers: net.Server[] = [];
  afterAll(() => {
    for (const server of servers) server.close();
    sandbox.cleanup();
  });
  /** A local server that accepts connections, then never answers, or closes them at once. */
  const listen = (onConnection: (socket: net.Socket) => void): Promise<number> =>
    new Promise((resolve) => {
      const server = net.createServer(onConnection);
      servers.push(server);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
    });
  const runAsync = (args: string[], env: Record<string, string>) =>
    new Promise<{ code: number | null; stderr: string; ms: number }>((resolve) => {
      const started = Date.now();
      const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, HOME: sandbox.dir, ...env } });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('close', (code) => {
        clearTimeout(killer);
        resolve({ code, stderr, ms: Date.now() - started });
      });
    });

  it('a server that never answers: exit 3 after connect_timeout, naming the wait', async () => {
    const port = await listen(() => {});
    const result = await runAsync(['list'], { ROSTER_DB: `postgres://roster:secret-1@127.0.0.1:${port}/lms?connect_timeout=2` });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`cannot connect to the database postgres://roster:***@127.0.0.1:${port}/lms?connect_timeout=2: no answer within 2 s`);
    expect(result.ms).toBeLessThan(10_000);
    expect(result.stderr).not.toContain('secret-1');
  });

  it('a server that closes the connection: exit 3', async () => {
    const port = await listen((socket) => socket.destroy());
    const result = await runAsync(['list'], { ROSTER_DB: `postgres://roster@127.0.0.1:${port}/lms` });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('the server closed the connection');
    expect(result.stderr).not.toContain('internal error');
  });

  it('sslmode=require against a server without SSL is exit 3 with what to do; an unknown sslmode is exit 2', () => {
    const url = new URL(sandbox.db);
    url.searchParams.set('sslmode', 'require');
    const ssl = sandbox.run(['list'], { env: { ROSTER_DB: url.toString() } });
    expect(ssl.code).toBe(3);
    expect(ssl.stderr).toContain('the server does not accept SSL connections');
    expect(ssl.stderr).toContain('hint:');
    url.searchParams.set('sslmode', 'bogus');
    const bogus = sandbox.run(['list'], { env: { ROSTER_DB: url.toString() } });
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain('sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full, not "bogus"');
  });

  it('a URL that cannot be read (a password with an unencoded @ or #) is exit 2, and nothing of it is printed', () => {
    const result = sandbox.run(['list'], { env: { ROSTER_DB: 'postgres://weird:p@ss:w%rd/1#x@127.0.0.1/lms' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('percent-encode');
    expect(result.stderr).not.toMatch(/p@ss|w%rd/);
  });

  it('a password whose percent-encoding is broken (%ZZ) is exit 2 before any connection, and nothing of it is printed', () => {
    const url = new URL(sandbox.db);
    const result = sandbox.run(['list'], { env: { ROSTER_DB: sandbox.db.replace(`:${url.password}@`, ':Se%ZZcret8@') } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('percent-encode');
    expect(result.stderr).not.toMatch(/Se%ZZcret8|authentication/);
  });

  it('a connect_timeout that is no number of seconds is exit 2, not silently ignored', () => {
    const url = new URL(sandbox.db);
    url.searchParams.set('connect_timeout', 'abc');
    const result = sandbox.run(['list'], { env: { ROSTER_DB: url.toString() } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('connect_timeout must be a whole number of seconds, not "abc"');
  });

  it('a URL whose own settings cannot be used (an sslrootcert that does not exist) is exit 2', () => {
    const url = new URL(sandbox.db);
    url.searchParams.set('sslmode', 'verify-ca');
    url.searchParams.set('sslrootcert', '/no/such/ca.pem');
    const result = sandbox.run(['list'], { env: { ROSTER_DB: url.toString() } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('cannot use the settings of the database URL');
    expect(result.stderr).not.toContain('internal error');
  });

  it('db migrate on a database that does not exist is exit 3, as every other command', () => {
    const url = new URL(sandbox.db);
    url.pathname = '/no_such_database_here';
    const result = sandbox.run(['db', 'migrate'], { env: { ROSTER_DB: url.toString() } });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('database "no_such_database_here" does not exist');
    expect(result.stderr).not.toContain('internal error');
  });

  it('a password in --db is warned about (ps shows it to every user of the host); ROSTER_DB is not', () => {
    const viaOption = sandbox.run(['--db', sandbox.db, 'list', '--format', 'count'], { env: { ROSTER_DB: undefined } });
    expect(viaOption).toMatchObject({ code: 0, stdout: '0\n' });
    expect(viaOption.stderr).toContain('roster: warning: the password in --db is visible to other users of this host');
    expect(sandbox.run(['list', '--format', 'count'])).toMatchObject({ code: 0, stderr: '' });
  });

  // The planner knew the user table as 1 row while an import filled it: the look-alike look-up of
  // each chunk became a nested loop over the whole table (350 ms per chunk at 6,000 users, growing).
  it("an import that grows the user table keeps the planner's statistics of its size current", () => {
    const fresh = new Sandbox();
    try {
      const hash = '$2b$10$abcdefghijklmnopqrstuuJ0hQfS0kFf4yN5p6bJc7Hd8wQmE1x2y';
      const lines = ['LastName;FirstName;Email;UserName;PasswordHash;Status'];
      for (let i = 0; i < 6000; i++) lines.push(`Last${i};First${i};grow${i}@example.org;grow${i};${hash};5`);
      const csv = fresh.file('grow.csv', `${lines.join('\n')}\n`);
      expect(fresh.run(['import', csv])).toMatchObject({ code: 0 });
      const [{ reltuples }] = fresh.query<{ reltuples: number }>(
        "SELECT reltuples::int AS reltuples FROM pg_class WHERE relname = 'user' AND relkind = 'r'",
      ) as [{ reltuples: number }];
      expect(reltuples).toBeGreaterThanOrEqual(6000);
    } finally {
      fresh.cleanup();
    }
  });
});
