import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import bcrypt from 'bcryptjs';
import { BIN, ROOT, Sandbox, type RunResult } from './helpers';
import { PASSWORD, seedUsers } from './seed';
import { itOnSqlite } from '../support/engine';

/** The environment Sandbox.run gives the CLI, for the processes these tests start themselves. */
function harnessEnv(sandbox: Sandbox, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: sandbox.dir, CI: 'true', NO_COLOR: '1', ROSTER_DB: sandbox.db, ROSTER_BCRYPT_COST: '4', USER: 'tester', ...extra };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function addArgs(username: string, email = `${username.replace(/[^a-z0-9]/gi, 'x') || 'x'}@example.org`): string[] {
  return ['add', '--username', username, '--email', email, '--firstname', 'Test', '--lastname', 'User', '--role', 'student', '--password-stdin'];
}

const count = (sandbox: Sandbox, sql: string, ...params: unknown[]) => sandbox.query<{ n: number }>(sql, ...params)[0]!.n;

describe('F. the clock: the real binary ignores ROSTER_NOW', () => {
  const sandbox = new Sandbox();
  let bob: number;
  beforeAll(() => {
    bob = sandbox.addUser('bob');
    seedUsers(sandbox, [{ username: 'lapsed', expiresAt: '2020-01-01T23:59:59.999Z' }]);
  });
  afterAll(() => sandbox.cleanup());

  it('login-as under ROSTER_NOW=2100-01-01 issues a token that expires within 24 h of the real now, audited at the real now', () => {
    const result = sandbox.run(['login-as', 'bob', '--reason', 't', '--json'], { env: { ROSTER_NOW: '2100-01-01T00:00:00Z' } });
    const now = Date.now();
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as { user: { id: number }; expiresAt: string };
    expect(json.user.id).toBe(bob);
    const [token] = sandbox.query<{ created_at: string; expires_at: string }>('SELECT created_at, expires_at FROM login_token WHERE user_id = ?', bob);
    const expires = Date.parse(token!.expires_at);
    expect(expires).toBeGreaterThan(now - 60_000);
    expect(expires).toBeLessThanOrEqual(now + 24 * 3_600_000);
    expect(Math.abs(Date.parse(token!.created_at) - now)).toBeLessThan(60_000);
    expect(Math.abs(Date.parse(json.expiresAt) - now)).toBeLessThanOrEqual(24 * 3_600_000);
    const [audit] = sandbox.query<{ at: string }>("SELECT at FROM audit_log WHERE action = 'user.login-as' AND user_id = ?", bob);
    expect(Math.abs(Date.parse(audit!.at) - now)).toBeLessThan(60_000);
  });

  it('an account that expired on 2020-01-01 cannot authenticate under ROSTER_NOW=2019-01-01 (exit 4)', () => {
    const result = sandbox.run(['auth', 'lapsed'], { env: { ROSTER_NOW: '2019-01-01' }, input: `${PASSWORD}\n` });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('expired');
    expect(sandbox.query('SELECT last_login_at FROM "user" WHERE username = \'lapsed\'')).toEqual([{ last_login_at: null }]);
  });

  it('a malformed ROSTER_NOW is ignored as well, not an error', () => {
    const result = sandbox.run(['list', '--format', 'count'], { env: { ROSTER_NOW: 'not a date' } });
    expect(result).toMatchObject({ code: 0, stdout: '2\n' });
  });
});

describe('G. the write lock', () => {
  const sandbox = new Sandbox();
  beforeAll(() => {
    sandbox.addUser('bob');
  });
  afterAll(() => sandbox.cleanup());

  it('import --atomic does not hold the write lock while it hashes passwords: an add meanwhile takes under 3 s', async () => {
    // Enough rows at cost 13 to keep every core hashing for several seconds (calibrated on this machine; workers hash slower than this estimate).
    const started = Date.now();
    bcrypt.hashSync('calibration', 12);
    const perHash = 2 * (Date.now() - started);
    const cores = Math.max(1, os.availableParallelism());
    const rows = cores * Math.min(30, Math.max(2, Math.ceil(2500 / perHash)));
    let csv = 'LastName;FirstName;Email;UserName;Password\n';
    for (let i = 0; i < rows; i++) csv += `Bulk;Row${i};bulk${i}@example.org;bulk${i};long-enough-password-${i}\n`;
    const file = sandbox.file('big.csv', csv);

    const importStart = Date.now();
    const child = spawn(process.execPath, [BIN, 'import', file, '--atomic'], {
      cwd: sandbox.dir,
      env: harnessEnv(sandbox, { ROSTER_BCRYPT_COST: '13' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let importErr = '';
    child.stderr.on('data', (d: Buffer) => (importErr += d.toString()));
    child.stdout.resume();
    const finished = new Promise<{ code: number | null; ms: number }>((resolve) =>
      child.on('close', (code) => resolve({ code, ms: Date.now() - importStart })),
    );
    try {
      await sleep(700);
      const t0 = Date.now();
      const add = sandbox.run(addArgs('carol'), { input: `${PASSWORD}\n` });
      const elapsed = Date.now() - t0;
      expect({ code: add.code, stderr: add.stderr }).toEqual({ code: 0, stderr: '' });
      expect(elapsed).toBeLessThan(3000);
    } finally {
      const imported = await finished;
      expect({ code: imported.code, stderr: importErr }).toEqual({ code: 0, stderr: '' });
    }
    expect(count(sandbox, 'SELECT count(*) AS n FROM "user" WHERE username LIKE \'bulk%\'')).toBe(rows);
    expect(count(sandbox, 'SELECT count(*) AS n FROM "user" WHERE username = \'carol\'')).toBe(1);
  });

  itOnSqlite('ROSTER_BUSY_TIMEOUT=1s: a database locked by another process is exit 8 after about a second, nothing changed', async () => {
    const script = sandbox.file(
      'hold-lock.js',
      `const Database = require(${JSON.stringify(path.join(ROOT, 'node_modules', 'better-sqlite3'))});
const db = new Database(${JSON.stringify(sandbox.db)});
db.exec('BEGIN IMMEDIATE');
process.stdout.write('locked\\n');
setTimeout(() => { db.exec('ROLLBACK'); db.close(); }, 4000);
`,
    );
    const holder = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => holder.on('close', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
        holder.on('close', () => reject(new Error('the lock holder exited early')));
      });
      const t0 = Date.now();
      const result = sandbox.run(['deactivate', 'bob'], { env: { ROSTER_BUSY_TIMEOUT: '1s' } });
      const elapsed = Date.now() - t0;
      expect(result.code).toBe(8);
      expect(result.stderr).toMatch(/busy|another/i);
      expect(elapsed).toBeLessThan(3500);
    } finally {
      expect(await exited).toBe(0);
    }
    expect(sandbox.query('SELECT active FROM "user" WHERE username = \'bob\'')).toEqual([{ active: 1 }]);
  });
});

describe('H. auth gives one answer to every failure', () => {
  const sandbox = new Sandbox();
  beforeAll(() => {
    sandbox.addUser('bob');
    // A username that is another user's email (written past roster's own check): a reference to it is ambiguous.
    seedUsers(sandbox, [{ username: 'bob@example.org' }]);
    // An account of the directory: no password hash of its own (as an import with AuthSource ldap makes it).
    sandbox.execute(`INSERT INTO "user" (username, username_key, email, email_key, firstname, lastname, firstname_key, lastname_key, username_fold_key, email_fold_key,
        password_hash, auth_source, language, active, registered_at, created_by)
      VALUES ('ldapuser', 'ldapuser', 'lee@example.org', 'lee@example.org', 'Lee', 'Dir', 'lee', 'dir', 'ldapuser', 'lee@example.org', NULL, 'ldap', 'en', 1, '2026-01-01T00:00:00.000Z', 'seed')`);
    expect(sandbox.query("SELECT password_hash FROM \"user\" WHERE username IN ('ldapuser', 'fallback')")).toEqual([
      { password_hash: null },
      { password_hash: null },
    ]);
  });
  afterAll(() => sandbox.cleanup());

  it('unknown user, ambiguous reference, no password hash (fallback, ldap) and wrong password: exit 5, byte-identical stderr', () => {
    const wrong = sandbox.run(['auth', 'bob'], { input: 'not the password\n' });
    expect(wrong.code).toBe(5);
    expect(wrong.stderr).not.toBe('');
    const cases: [string, RunResult][] = [
      ['unknown', sandbox.run(['auth', 'nobody-here'], { input: `${PASSWORD}\n` })],
      ['ambiguous', sandbox.run(['auth', 'bob@example.org'], { input: `${PASSWORD}\n` })],
      ['fallback', sandbox.run(['auth', 'fallback'], { input: `${PASSWORD}\n` })],
      ['ldap', sandbox.run(['auth', 'ldapuser'], { input: `${PASSWORD}\n` })],
    ];
    expect(cases.map(([label, r]) => [label, r.code, r.stdout, r.stderr])).toEqual(cases.map(([label]) => [label, 5, '', wrong.stderr]));
    expect(count(sandbox, "SELECT count(*) AS n FROM audit_log WHERE action = 'user.login'")).toBe(0);
    expect(count(sandbox, 'SELECT count(*) AS n FROM "user" WHERE last_login_at IS NOT NULL')).toBe(0);
  });
});

describe('I. passwords longer than 72 bytes (bcrypt would ignore the rest)', () => {
  const sandbox = new Sandbox();
  beforeAll(() => {
    sandbox.addUser('bob');
  });
  afterAll(() => sandbox.cleanup());
  const exists = (username: string) => count(sandbox, 'SELECT count(*) AS n FROM "user" WHERE username = ?', username) === 1;

  it('add accepts exactly 72 bytes and refuses 73 ASCII bytes and 25 € (75 bytes) with exit 5, naming 72', () => {
    expect(sandbox.run(addArgs('ascii72'), { input: `${'a'.repeat(72)}\n` }).code).toBe(0);
    expect(sandbox.run(addArgs('euro72'), { input: `${'€'.repeat(24)}\n` }).code).toBe(0);
    expect(sandbox.run(['auth', 'euro72'], { input: `${'€'.repeat(24)}\n` }).code).toBe(0);
    for (const [username, password] of [
      ['ascii73', 'a'.repeat(73)],
      ['euro75', '€'.repeat(25)],
    ] as const) {
      const result = sandbox.run(addArgs(username), { input: `${password}\n` });
      expect([username, result.code]).toEqual([username, 5]);
      expect(result.stderr).toContain('72');
      expect(exists(username)).toBe(false);
    }
  });

  it('edit --reset-password --password-stdin refuses 73 bytes (exit 5, naming 72) and keeps the old password', () => {
    const [before] = sandbox.query<{ password_hash: string }>('SELECT password_hash FROM "user" WHERE username = \'bob\'');
    const result = sandbox.run(['edit', 'bob', '--reset-password', '--password-stdin'], { input: `${'b'.repeat(73)}\n` });
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('72');
    expect(sandbox.query('SELECT password_hash FROM "user" WHERE username = \'bob\'')).toEqual([before]);
  });

  it('an import row with a 100-character Password is an error of that row; the user is not created', () => {
    const csv = sandbox.file(
      'long.csv',
      `LastName;FirstName;Email;UserName;Password\nFine;Row;fine@example.org;fineuser;long-enough-password\nLong;Row;long@example.org;longuser;${'c'.repeat(100)}\n`,
    );
    const result = sandbox.run(['import', csv]);
    expect(result.code).toBe(6);
    expect(result.stderr).toContain('row 3');
    expect(result.stderr).toContain('72');
    expect(exists('fineuser')).toBe(true);
    expect(exists('longuser')).toBe(false);
  });
});

describe('J. a failed write to standard output', () => {
  const sandbox = new Sandbox();
  beforeAll(() => {
    sandbox.addUser('bob');
  });
  afterAll(() => sandbox.cleanup());

  it.each([[['list']], [['list', '--format', 'csv']], [['list', '--json']]])(
    'roster %j > /dev/full: non-zero exit, no "internal error", names standard output',
    (args) => {
      const full = fs.openSync('/dev/full', 'w');
      try {
        const result = spawnSync(process.execPath, [BIN, ...args], {
          cwd: sandbox.dir,
          env: harnessEnv(sandbox),
          stdio: ['pipe', full, 'pipe'],
          encoding: 'utf8',
          timeout: 30_000,
        });
        expect(result.error).toBeUndefined();
        expect(result.status).not.toBe(0);
        expect(result.status).not.toBeNull();
        expect(result.stderr).not.toMatch(/internal error/i);
        expect(result.stderr).not.toMatch(/bug/i);
        expect(result.stderr).toMatch(/standard output|stdout/i);
      } finally {
        fs.closeSync(full);
      }
    },
  );
});

const setprivPath = ['/usr/bin/setpriv', '/bin/setpriv', '/usr/sbin/setpriv'].find((p) => fs.existsSync(p));
const canDropToNobody =
  process.getuid?.() === 0 &&
  setprivPath !== undefined &&
  spawnSync(setprivPath, ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, '--version'], { encoding: 'utf8' }).status === 0;
const describeAsNobody = canDropToNobody ? describe : describe.skip;

describeAsNobody('K. a database this account cannot write or read (run as nobody)', () => {
  const sandbox = new Sandbox();
  const runAsNobody = (args: string[], input = ''): RunResult => {
    const result = spawnSync(setprivPath!, ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, ...args], {
      cwd: sandbox.dir,
      env: harnessEnv(sandbox),
      input,
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (result.error) throw result.error;
    return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  };
  const addAnn = () => runAsNobody(addArgs('ann'), `${PASSWORD}\n`);
  beforeAll(() => {
    sandbox.addUser('bob');
    fs.chmodSync(sandbox.dir, 0o755);
  });
  afterAll(() => sandbox.cleanup());

  itOnSqlite(
    'read-only (0644, root), idle or open in a root process, is exit 3 naming the file and its owner or permissions; unreadable (0600) is exit 3 naming the file',
    () => {
      const seen = (label: string, result: RunResult) => ({
        label,
        code: result.code,
        namesFile: result.stderr.includes(sandbox.db),
        namesPermissions: /owner|permission/i.test(result.stderr),
        stderr: result.stderr,
      });
      const named = (label: string, permissions = true) => ({
        label,
        code: 3,
        namesFile: true,
        namesPermissions: permissions ? true : expect.any(Boolean),
        stderr: expect.any(String),
      });
      fs.chmodSync(sandbox.db, 0o644);
      expect(seen('read-only, idle', addAnn())).toEqual(named('read-only, idle'));
      // Another process (a web server, a long roster run) has the database open: its -wal and -shm exist.
      const holder = new Database(sandbox.db);
      try {
        holder.prepare('SELECT count(*) FROM "user"').get();
        expect(fs.existsSync(`${sandbox.db}-shm`)).toBe(true);
        expect(seen('read-only, in use, -wal/-shm 0644', addAnn())).toEqual(named('read-only, in use, -wal/-shm 0644'));
        fs.chmodSync(`${sandbox.db}-wal`, 0o600);
        fs.chmodSync(`${sandbox.db}-shm`, 0o600);
        expect(seen('read-only, in use, -wal/-shm 0600', addAnn())).toEqual(named('read-only, in use, -wal/-shm 0600'));
      } finally {
        holder.close();
      }
      fs.chmodSync(sandbox.db, 0o600);
      expect(seen('unreadable, add', addAnn())).toEqual(named('unreadable, add', false));
      expect(seen('unreadable, list', runAsNobody(['list']))).toEqual(named('unreadable, list', false));
      expect(count(sandbox, 'SELECT count(*) AS n FROM "user" WHERE username = \'ann\'')).toBe(0);
    },
  );
});

describe('L. usernames that look like options', () => {
  const sandbox = new Sandbox();
  beforeAll(() => {
    sandbox.addUser('bob');
  });
  afterAll(() => sandbox.cleanup());
  const dashUsers = () => count(sandbox, 'SELECT count(*) AS n FROM "user" WHERE username LIKE \'-%\'');

  it('add --username -y, --username=-y, --username=--yes and --username - are refused (exit 5 or 2), no user created', () => {
    const forms = [['--username', '-y'], ['--username=-y'], ['--username=--yes'], ['--username', '-']];
    const results = forms.map((username, i) => {
      const result = sandbox.run(
        ['add', ...username, '--email', `dash${i}@example.org`, '--firstname', 'A', '--lastname', 'B', '--role', 'student', '--password-stdin'],
        { input: `${PASSWORD}\n` },
      );
      return { username: username.join(' '), refused: result.code === 2 || result.code === 5, code: result.code, stdout: result.stdout };
    });
    expect(results).toEqual(forms.map((username) => ({ username: username.join(' '), refused: true, code: expect.any(Number), stdout: expect.any(String) })));
    expect(dashUsers()).toBe(0);
  });

  it('add --username --db --role student … creates no file named like an option in the working directory', () => {
    const before = fs.readdirSync(sandbox.dir);
    const result = sandbox.run(
      ['add', '--username', '--db', '--role', 'student', '--firstname', 'A', '--lastname', 'B', '--email', 'a@b.org', '--password-stdin'],
      { input: `${PASSWORD}\n` },
    );
    expect(result.code).not.toBe(0);
    expect(fs.readdirSync(sandbox.dir).filter((name) => name.startsWith('-'))).toEqual([]);
    expect(fs.readdirSync(sandbox.dir).filter((name) => !before.includes(name) && !name.startsWith('roster.db'))).toEqual([]);
    expect(dashUsers()).toBe(0);
    expect(count(sandbox, 'SELECT count(*) AS n FROM "user" WHERE email = \'a@b.org\'')).toBe(0);
  });
});
