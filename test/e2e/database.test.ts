import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { BIN, Sandbox } from './helpers';
import { itOnSqlite } from '../support/engine';

const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe('where the database lives', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());
  const pathOf = (args: string[], env: Record<string, string | undefined>) => {
    const result = sandbox.run(['list', '--format', 'count', ...args], { env });
    expect(result.code).toBe(0);
    return /created a new, empty database at (.*)\n/.exec(result.stderr)?.[1];
  };

  it('is --db, else $ROSTER_DB, else $XDG_DATA_HOME/roster, else ~/.local/share/roster', () => {
    const xdg = path.join(sandbox.dir, 'xdg');
    expect(pathOf(['--db', 'opt.db'], { ROSTER_DB: 'env.db', XDG_DATA_HOME: xdg })).toBe(path.join(sandbox.dir, 'opt.db'));
    expect(pathOf([], { ROSTER_DB: 'env.db', XDG_DATA_HOME: xdg })).toBe(path.join(sandbox.dir, 'env.db'));
    expect(pathOf([], { ROSTER_DB: undefined, XDG_DATA_HOME: xdg })).toBe(path.join(xdg, 'roster', 'roster.db'));
    expect(pathOf([], { ROSTER_DB: undefined, XDG_DATA_HOME: undefined })).toBe(path.join(sandbox.dir, '.local', 'share', 'roster', 'roster.db'));
    expect(fs.existsSync(path.join(sandbox.dir, '.local', 'share', 'roster', 'roster.db'))).toBe(true);
  });

  it('warns about a password in a --db URL before connecting, so also when the connection fails (newcomer report)', () => {
    const result = sandbox.run(['--db', 'postgres://roster:s3cret@127.0.0.1:1/roster?connect_timeout=2', 'list']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^roster: warning: the password in --db is visible to other users of this host \(ps\)/);
    expect(result.stderr).not.toContain('s3cret');
  });

  it("refuses an empty --db (a script's unset variable) instead of using the default database", () => {
    for (const empty of ['', '  ']) {
      expect(sandbox.run(['list', '--db', empty], { env: { ROSTER_DB: undefined, XDG_DATA_HOME: undefined } })).toEqual({
        code: 2,
        stdout: '',
        stderr: 'roster: error: --db was given an empty path\n  hint: give the database file, e.g. --db /var/lib/roster/roster.db, or leave --db out\n',
      });
    }
  });

  it('is created on first use with its directories (0700), mode 0600, migrated, in WAL mode', () => {
    const file = path.join(sandbox.dir, 'new', 'deeper', 'roster.db');
    const result = sandbox.run([
      'add',
      '--username',
      'ada',
      '--email',
      'ada@example.org',
      '--firstname',
      'Ada',
      '--lastname',
      'L',
      '--role',
      'student',
      '--generate-password',
      '--db',
      file,
    ]);
    expect(result.code).toBe(0);
    expect(mode(file)).toBe(0o600);
    expect(mode(path.dirname(file))).toBe(0o700);
    expect(mode(path.join(sandbox.dir, 'new'))).toBe(0o700);
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('user_version', { simple: true })).toBe(11);
      expect(db.prepare('SELECT username FROM "user" WHERE is_system = 0').all()).toEqual([{ username: 'ada' }]);
    } finally {
      db.close();
    }
  });

  it.each([
    [
      'a path below a regular file',
      (dir: string) => path.join(dir, 'plain.txt', 'sub', 'roster.db'),
      'a part of the path is a file, not a directory (ENOTDIR)',
    ],
    ['a directory under /proc', () => '/proc/roster-e2e/roster.db', 'that location cannot hold a new file or directory (ENOENT)'],
    ['a file directly in /proc', () => '/proc/roster-e2e.db', 'that location cannot hold a new file or directory (ENOENT)'],
  ])('refuses %s quickly, exit 3, naming the path and what to do', (_label, makePath, reason) => {
    fs.writeFileSync(path.join(sandbox.dir, 'plain.txt'), 'not a directory');
    const file = makePath(sandbox.dir);
    const started = Date.now();
    const result = sandbox.run(['list', '--db', file]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `roster: error: cannot create the database ${file}: ${reason}\n  hint: choose a writable location with --db <path> or ROSTER_DB\n`,
    );
  });

  it('refuses a file that is not a database (exit 3), or a directory, and leaves them alone', () => {
    const text = sandbox.file('notes.txt', 'Dear diary, today I did not create a SQLite database.\n'.repeat(10));
    const result = sandbox.run(['list', '--db', text]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`cannot open the database ${text}: file is not a database`);
    expect(fs.readFileSync(text, 'utf8')).toMatch(/^Dear diary/);
    const dirResult = sandbox.run(['list', '--db', sandbox.dir]);
    expect(dirResult.code).toBe(3);
    // Newcomer report: "unable to open database file", and no word of what to do.
    expect(dirResult.stderr).toBe(
      `roster: error: cannot open the database ${sandbox.dir}: it is a directory\n  hint: give the path of a database file, e.g. --db ${path.join(sandbox.dir, 'roster.db')}\n`,
    );
    // A device is no database either: a clear error, not an internal one.
    expect(sandbox.run(['list', '--db', '/dev/null'])).toMatchObject({
      code: 3,
      stderr: expect.stringContaining('cannot open the database /dev/null: disk I/O error'),
    });
  });
});

describe('an unexpected failure', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());

  itOnSqlite('is an internal error (exit 1): one line asking for a report, the stack only with ROSTER_DEBUG', () => {
    sandbox.addUser('ada');
    // A schema damaged behind roster's back.
    const db = new Database(sandbox.db);
    db.exec('DROP TABLE session_user');
    db.close();
    const result = sandbox.run(['show', 'ada']);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'roster: internal error: no such table: session_user\nThis is a bug in roster; rerun with ROSTER_DEBUG=1 for the stack trace and report it.\n',
    });
    const debug = sandbox.run(['show', 'ada'], { env: { ROSTER_DEBUG: '1' } });
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/^roster: internal error: SqliteError: no such table: session_user\n\s+at /);
  });
});

describe('roster db', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());

  itOnSqlite('status of a file that does not exist says so (exit 3) and creates nothing; nor does copying from it', () => {
    const typo = path.join(sandbox.dir, 'typo.db');
    expect(sandbox.run(['--db', typo, 'db', 'status'])).toEqual({
      code: 3,
      stdout: '',
      stderr: `roster: error: no database at ${typo}\n  hint: check --db or ROSTER_DB; roster creates the database at the first command that uses it (roster db migrate makes it ready)\n`,
    });
    expect(sandbox.run(['--db', typo, 'db', 'copy', '--to', path.join(sandbox.dir, 'copy.db')])).toMatchObject({ code: 3, stdout: '' });
    expect(fs.readdirSync(sandbox.dir).filter((f) => f.startsWith('typo') || f.startsWith('copy'))).toEqual([]);
  });

  itOnSqlite('status lists pending migrations of an empty file without applying them; migrate applies them once', () => {
    fs.rmSync(sandbox.db, { force: true });
    sandbox.file(path.basename(sandbox.db), '');
    const status = sandbox.run(['db', 'status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toBe(
      `database: ${sandbox.db}\npending  0001_users\npending  0002_courses\npending  0003_lifecycle\npending  0004_list_order\npending  0005_secure_erase\npending  0006_folded_search\npending  0007_look_alike_keys\npending  0008_folded_identity_search\npending  0009_postgres_search\npending  0010_postgres_look_alike_index\npending  0011_mail_notice\n`,
    );
    const migrate = sandbox.json<{ applied: string[] }>(['db', 'migrate']);
    expect(migrate).toEqual({
      applied: [
        '0001_users',
        '0002_courses',
        '0003_lifecycle',
        '0004_list_order',
        '0005_secure_erase',
        '0006_folded_search',
        '0007_look_alike_keys',
        '0008_folded_identity_search',
        '0009_postgres_search',
        '0010_postgres_look_alike_index',
        '0011_mail_notice',
      ],
    });
    const again = sandbox.run(['db', 'migrate']);
    expect(again).toMatchObject({ code: 0, stdout: 'the schema is up to date; nothing to apply\n' });
    const applied = sandbox.json<{ migrations: { name: string; appliedAt: string | null }[] }>(['db', 'status']);
    expect(applied.migrations.every((m) => /^\d{4}-\d{2}-\d{2}T/.test(m.appliedAt ?? ''))).toBe(true);
  });

  itOnSqlite('backup writes a consistent private copy, and never overwrites', () => {
    sandbox.addUser('ada');
    const target = path.join(sandbox.dir, 'backup.db');
    const result = sandbox.run(['db', 'backup', target]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^backed up ${sandbox.db} to ${target} \\(\\d+ bytes\\)\\n$`));
    expect(mode(target)).toBe(0o600);
    const copy = new Database(target, { readonly: true });
    try {
      expect(copy.prepare('SELECT username FROM "user" WHERE is_system = 0').all()).toEqual([{ username: 'ada' }]);
    } finally {
      copy.close();
    }
    const size = fs.statSync(target).size;
    expect(sandbox.run(['db', 'backup', target])).toMatchObject({
      code: 4,
      stderr: `roster: error: ${target} already exists; roster does not replace files\n  hint: choose another name, or add --force to replace it\n`,
    });
    expect(fs.statSync(target).size).toBe(size);
    const nowhere = path.join(sandbox.dir, 'missing-dir', 'b.db');
    expect(sandbox.run(['db', 'backup', nowhere])).toMatchObject({
      code: 3,
      stderr: `roster: error: no directory ${path.dirname(nowhere)}\n  hint: create it first, or choose another path\n`,
    });
    const json = sandbox.json<{ file: string; bytes: number }>(['db', 'backup', 'relative.db']);
    expect(json).toEqual({ file: path.join(sandbox.dir, 'relative.db'), bytes: expect.any(Number) });
  });
});

describe('two writers at once', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());

  function runAsync(args: string[]): Promise<{ code: number | null; stderr: string; ms: number }> {
    const started = Date.now();
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        env: { PATH: process.env.PATH, HOME: sandbox.dir, ROSTER_DB: sandbox.db, ROSTER_BCRYPT_COST: '4', NO_COLOR: '1' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stderr, ms: Date.now() - started }));
    });
  }

  const addArgs = (u: string) => [
    'add',
    '--username',
    u,
    '--email',
    `${u}@example.org`,
    '--firstname',
    u,
    '--lastname',
    'X',
    '--role',
    'student',
    '--generate-password',
  ];

  itOnSqlite('on a new database: each creates its user, the schema is migrated once', async () => {
    const results = await Promise.all(['one', 'two', 'three', 'four'].map((u) => runAsync(addArgs(u))));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    // The one that created the file says so; the others found it there.
    expect(results.map((r) => r.stderr).sort()).toEqual(['', '', '', `roster: created a new, empty database at ${sandbox.db}\n`]);
    expect(sandbox.query('SELECT count(*) AS n FROM "user" WHERE is_system = 0')).toEqual([{ n: 4 }]);
    expect(sandbox.query('SELECT count(*) AS n FROM kysely_migration')).toEqual([{ n: 11 }]);
  });

  itOnSqlite('a file not yet in WAL mode (one another process has just made) is waited for while it holds its lock, not refused at once', async () => {
    // SQLite returns busy at once, without waiting, when the switch to WAL meets another writer's lock.
    const file = path.join(sandbox.dir, 'rollback.db');
    const holder = new Database(file);
    holder.pragma('journal_mode = DELETE');
    holder.exec('CREATE TABLE other (x)');
    holder.exec('BEGIN IMMEDIATE');
    holder.exec('INSERT INTO other VALUES (1)');
    const started = Date.now();
    const pending = new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, '--db', file, 'db', 'status'], {
        env: { PATH: process.env.PATH, HOME: sandbox.dir, NO_COLOR: '1' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    await new Promise((r) => setTimeout(r, 1200));
    holder.exec('COMMIT');
    holder.close();
    const result = await pending;
    expect(result).toEqual({ code: 0, stderr: '' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    const check = new Database(file, { readonly: true });
    expect(check.pragma('journal_mode', { simple: true })).toBe('wal');
    check.close();
  });

  itOnSqlite('wait for each other instead of failing (busy timeout)', async () => {
    const holder = new Database(sandbox.db);
    holder.exec('BEGIN IMMEDIATE');
    const pending = runAsync(addArgs('waiter'));
    await new Promise((r) => setTimeout(r, 1200));
    holder.exec('COMMIT');
    holder.close();
    const result = await pending;
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.ms).toBeGreaterThanOrEqual(1000);
    expect(sandbox.query('SELECT count(*) AS n FROM "user" WHERE username = \'waiter\'')).toEqual([{ n: 1 }]);
  });
});
