import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { BIN, ROOT, Sandbox, type RunResult } from './helpers';
import { seedUsers } from './seed';
import { itOnSqlite } from '../support/engine';

/**
 * Issue 9: the files roster writes (reports, credentials, exports, backups)
 * and imports that fail as a file. Each test describes the behaviour after
 * the fix.
 */

/** The environment Sandbox.run gives, for the runs that need their own spawn (a shell, a kill). */
function envOf(sandbox: Sandbox): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: sandbox.dir,
    CI: 'true',
    NO_COLOR: '1',
    ROSTER_DB: sandbox.db,
    ROSTER_BCRYPT_COST: '4',
    USER: 'tester',
  };
}

/** Runs roster under `umask 000`, through a shell. */
function runUmask000(sandbox: Sandbox, args: string[]): RunResult {
  const result = spawnSync('sh', ['-c', 'umask 000; exec "$@"', 'sh', process.execPath, BIN, ...args], {
    cwd: sandbox.dir,
    env: envOf(sandbox),
    input: '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

function userCount(sandbox: Sandbox): number {
  return sandbox.query<{ n: number }>('SELECT count(*) AS n FROM "user" WHERE is_system = 0')[0]!.n;
}

function mode(file: string): string {
  return (fs.statSync(file).mode & 0o777).toString(8).padStart(4, '0');
}

function migrate(sandbox: Sandbox): void {
  const result = sandbox.run(['db', 'migrate']);
  if (result.code !== 0) throw new Error(`roster db migrate: ${result.stderr}`);
}

/** A kept bcrypt hash: no hashing during the big imports, so they stay fast. */
const HASH = bcrypt.hashSync('correct horse battery', 4);

/** One good row, one with an invalid email (a report gets it), and one without a password (credentials get it). */
const MIXED_CSV =
  'LastName;FirstName;Email;UserName;Password\nDoe;John;john@example.org;jdoe;secret123\nBad;Row;bad@;bad;secret123\nRoe;Jane;jane@example.org;jroe;\n';
/** Every row valid, passwords given. */
const GOOD_CSV = 'LastName;FirstName;Email;UserName;Password\nDoe;John;john@example.org;jdoe;secret123\nRoe;Jane;jane@example.org;jroe;secret456\n';

function contact(i: number, inner = ''): string {
  return `<Contact>${inner}<LastName>Last${i}</LastName><FirstName>First${i}</FirstName><Email>user${i}@example.org</Email><UserName>user${i}</UserName><PasswordHash>${HASH}</PasswordHash><Status>5</Status></Contact>\n`;
}

function contactsXml(good: number, tail: string): string {
  let body = '';
  for (let i = 0; i < good; i++) body += contact(i);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Contacts>\n${body}${tail}</Contacts>\n`;
}

/** 4,000 good contacts (two chunks of 2,000 would commit), then one holding a DOCTYPE. */
const XML_DOCTYPE_INSIDE = contactsXml(4000, contact(4000, '<!DOCTYPE x [<!ENTITY a "b">]>'));
/** 4,000 good contacts, then one nesting 5,000 levels deep. */
const DEEP = `${'<a>'.repeat(5000)}x${'</a>'.repeat(5000)}`;
const XML_DEEP = contactsXml(
  4000,
  `<Contact><LastName>${DEEP}</LastName><FirstName>Deep</FirstName><Email>deep@example.org</Email><UserName>deep</UserName><PasswordHash>${HASH}</PasswordHash><Status>5</Status></Contact>\n`,
);

describe('issue 9: a report or credentials file never overwrites the input', () => {
  let sandbox: Sandbox;
  beforeEach(() => {
    sandbox = new Sandbox();
    migrate(sandbox);
  });
  afterEach(() => sandbox.cleanup());

  it('refuses --report naming the input file (also by another spelling, also with --force): exit 4, input unchanged, nothing imported', () => {
    const input = sandbox.file('rejected.csv', MIXED_CSV);
    for (const args of [
      ['import', 'rejected.csv', '--report', 'rejected.csv'],
      ['import', 'rejected.csv', '--report', input],
      ['import', 'rejected.csv', '--report', 'rejected.csv', '--force'],
    ]) {
      const result = sandbox.run(args);
      expect({ args, code: result.code }).toEqual({ args, code: 4 });
      expect(result.stderr).toContain('rejected.csv');
      expect(fs.readFileSync(input, 'utf8')).toBe(MIXED_CSV);
      expect(userCount(sandbox)).toBe(0);
    }
  });

  it('refuses --credentials naming the input file: exit 4, input unchanged, nothing imported', () => {
    const input = sandbox.file('students.csv', MIXED_CSV);
    const result = sandbox.run(['import', 'students.csv', '--credentials', 'students.csv']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('students.csv');
    expect(fs.readFileSync(input, 'utf8')).toBe(MIXED_CSV);
    expect(userCount(sandbox)).toBe(0);
  });
});

describe('issue 9: the report file', () => {
  let sandbox: Sandbox;
  beforeEach(() => {
    sandbox = new Sandbox();
    migrate(sandbox);
  });
  afterEach(() => sandbox.cleanup());

  it('is not created when no row fails (also with --dry-run)', () => {
    sandbox.file('good.csv', GOOD_CSV);
    const dry = sandbox.run(['import', 'good.csv', '--dry-run', '--report', 'dry.csv']);
    expect(dry.code).toBe(0);
    expect(fs.existsSync(path.join(sandbox.dir, 'dry.csv'))).toBe(false);
    const real = sandbox.run(['import', 'good.csv', '--report', 'out.csv']);
    expect(real.code).toBe(0);
    expect(userCount(sandbox)).toBe(2);
    expect(fs.existsSync(path.join(sandbox.dir, 'out.csv'))).toBe(false);
  });

  it('does not replace an existing file without --force (exit 4 before anything is written); with --force it does, mode 0600', () => {
    sandbox.file('mixed.csv', MIXED_CSV);
    const previous = sandbox.file('previous.csv', 'an earlier report\n');
    fs.chmodSync(previous, 0o644);
    const refused = sandbox.run(['import', 'mixed.csv', '--report', 'previous.csv']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('previous.csv');
    expect(fs.readFileSync(previous, 'utf8')).toBe('an earlier report\n');
    expect(mode(previous)).toBe('0644');
    expect(userCount(sandbox)).toBe(0);

    const forced = sandbox.run(['import', 'mixed.csv', '--report', 'previous.csv', '--force']);
    expect(forced.code).toBe(6);
    const report = fs.readFileSync(previous, 'utf8');
    expect(report).toContain('ImportError');
    expect(report).toContain('bad@');
    expect(report).not.toContain('an earlier report');
    expect(mode(previous)).toBe('0600');
  });

  it.each(['--report', '--credentials'])('%s onto a symlink is refused: exit 4, the file it points to unchanged, nothing imported', (option) => {
    sandbox.file('mixed.csv', MIXED_CSV);
    const victim = sandbox.file('victim.txt', 'keep');
    fs.chmodSync(victim, 0o644);
    fs.symlinkSync('victim.txt', path.join(sandbox.dir, 'out.csv'));
    const result = sandbox.run(['import', 'mixed.csv', option, 'out.csv']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('out.csv');
    expect(fs.readFileSync(victim, 'utf8')).toBe('keep');
    expect(mode(victim)).toBe('0644');
    expect(fs.lstatSync(path.join(sandbox.dir, 'out.csv')).isSymbolicLink()).toBe(true);
    expect(userCount(sandbox)).toBe(0);

    // A dangling symlink is refused too, and its target is not created.
    fs.symlinkSync('nowhere.txt', path.join(sandbox.dir, 'dangling.csv'));
    const dangling = sandbox.run(['import', 'mixed.csv', option, 'dangling.csv']);
    expect(dangling.code).toBe(4);
    expect(fs.existsSync(path.join(sandbox.dir, 'nowhere.txt'))).toBe(false);
    expect(userCount(sandbox)).toBe(0);
  });
});

describe('issue 9: export and db backup files', () => {
  let sandbox: Sandbox;
  beforeEach(() => {
    sandbox = new Sandbox();
    seedUsers(sandbox, [{ username: 'ann' }, { username: 'bob' }, { username: 'cy' }]);
  });
  afterEach(() => sandbox.cleanup());

  it('export does not replace an existing file unless --force; --force replaces it with mode 0600', () => {
    const target = sandbox.file('users.csv', 'precious\n');
    fs.chmodSync(target, 0o644);
    const refused = sandbox.run(['export', 'users.csv']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('users.csv');
    expect(fs.readFileSync(target, 'utf8')).toBe('precious\n');
    expect(mode(target)).toBe('0644');

    const forced = sandbox.run(['export', 'users.csv', '--force']);
    expect(forced.code).toBe(0);
    const text = fs.readFileSync(target, 'utf8');
    expect(text).toMatch(/^UserId;LastName;FirstName;Email;UserName/);
    expect(text).toContain(';ann;');
    expect(mode(target)).toBe('0600');
  });

  itOnSqlite('export never writes onto the database or its WAL, even with --force', () => {
    for (const args of [
      ['--db', 'roster.db', 'export', 'roster.db'],
      ['--db', 'roster.db', 'export', 'roster.db', '--force'],
      ['--db', 'roster.db', 'export', 'roster.db-wal'],
      ['--db', 'roster.db', 'export', 'roster.db-wal', '--force'],
      ['export', sandbox.db, '--force'],
    ]) {
      const result = sandbox.run(args);
      expect({ args, code: result.code }).toEqual({ args, code: 4 });
      expect(result.stderr).toContain('roster.db');
      const count = sandbox.run(['list', '--format', 'count']);
      expect({ args, count: count.code, stdout: count.stdout.trim() }).toEqual({ args, count: 0, stdout: '3' });
    }
    expect(fs.readFileSync(sandbox.db).subarray(0, 15).toString('latin1')).toBe('SQLite format 3');
  });

  it('export onto a symlink is refused: exit 4, the file it points to unchanged', () => {
    const victim = sandbox.file('victim.txt', 'keep');
    fs.chmodSync(victim, 0o644);
    fs.symlinkSync('victim.txt', path.join(sandbox.dir, 'out.csv'));
    const result = sandbox.run(['export', 'out.csv']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('out.csv');
    expect(fs.readFileSync(victim, 'utf8')).toBe('keep');
    expect(mode(victim)).toBe('0644');
    expect(fs.lstatSync(path.join(sandbox.dir, 'out.csv')).isSymbolicLink()).toBe(true);
  });

  it('every file roster writes is mode 0600, even under umask 000 (exports, report, credentials, backup)', () => {
    sandbox.file('mixed.csv', MIXED_CSV);
    const runs: [string[], number][] = [
      [['export', 'users.csv'], 0],
      [['export', 'users.xml'], 0],
      [['export', 'users.json'], 0],
      [['export', 'hashes.csv', '--include-password-hashes'], 0],
      [['import', 'mixed.csv', '--report', 'report.csv', '--credentials', 'creds.csv'], 6],
      [['db', 'backup', 'backup.db'], 0],
    ];
    for (const [args, code] of runs) {
      const result = runUmask000(sandbox, args);
      expect({ args, code: result.code, stderr: result.code === code ? '' : result.stderr }).toEqual({ args, code, stderr: '' });
    }
    const files = ['users.csv', 'users.xml', 'users.json', 'hashes.csv', 'report.csv', 'creds.csv', 'backup.db'];
    const modes = Object.fromEntries(files.map((f) => [f, mode(path.join(sandbox.dir, f))]));
    expect(modes).toEqual(Object.fromEntries(files.map((f) => [f, '0600'])));
  });

  it('export removes the temporary file a killed export left behind', () => {
    // A pid that is certainly dead: a process that has run and been reaped.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    expect(dead).toBeGreaterThan(0);
    const stale = sandbox.file(`.users.csv.${dead}.roster-tmp`, `UserName;PasswordHash\r\nann;hash ${HASH}\r\n`);
    const result = sandbox.run(['export', 'users.csv']);
    expect(result.code).toBe(0);
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.readFileSync(path.join(sandbox.dir, 'users.csv'), 'utf8')).toContain(';ann;');
    expect(fs.readdirSync(sandbox.dir).filter((f) => f.includes('roster-tmp') || f.endsWith('.tmp'))).toEqual([]);
  });

  it('db backup onto a dangling symlink is a conflict (exit 4) naming the path, and creates nothing', () => {
    fs.symlinkSync('elsewhere.db', path.join(sandbox.dir, 'x.db'));
    const result = sandbox.run(['db', 'backup', 'x.db']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('x.db');
    expect(fs.existsSync(path.join(sandbox.dir, 'elsewhere.db'))).toBe(false);
    expect(fs.lstatSync(path.join(sandbox.dir, 'x.db')).isSymbolicLink()).toBe(true);
  });
});

describe('issue 9: an import that fails as a file fails before it writes', () => {
  let sandbox: Sandbox;
  let before: number;
  beforeEach(() => {
    sandbox = new Sandbox();
    seedUsers(sandbox, [{ username: 'already' }]);
    before = userCount(sandbox);
  });
  afterEach(() => sandbox.cleanup());

  const refusedWithNothingWritten = (result: RunResult) => {
    expect({ code: result.code, created: userCount(sandbox) - before }).toEqual({ code: 5, created: 0 });
  };

  it('XML: a DOCTYPE inside the contact after 4,000 good ones', () => {
    sandbox.file('doctype.xml', XML_DOCTYPE_INSIDE);
    refusedWithNothingWritten(sandbox.run(['import', 'doctype.xml']));
  });

  it('XML: a contact nesting 5,000 levels deep after 4,000 good ones', () => {
    sandbox.file('deep.xml', XML_DEEP);
    refusedWithNothingWritten(sandbox.run(['import', 'deep.xml']));
  });

  it('XML: an <!ENTITY> declaration inside a contact is refused, and a redefined &quot; cannot change what is stored', () => {
    sandbox.file('entity.xml', contactsXml(2, contact(2, '<!ENTITY a "b">')));
    refusedWithNothingWritten(sandbox.run(['import', 'entity.xml']));

    const quot = `<?xml version="1.0"?>\n<Contacts>\n<Contact><!DOCTYPE x [<!ENTITY quot "HACK">]><LastName>a&quot;b</LastName><FirstName>Q</FirstName><Email>q@example.org</Email><UserName>quser</UserName><PasswordHash>${HASH}</PasswordHash><Status>5</Status></Contact>\n</Contacts>\n`;
    sandbox.file('quot.xml', quot);
    const result = sandbox.run(['import', 'quot.xml']);
    const stored = sandbox.query<{ lastname: string }>('SELECT lastname FROM "user" WHERE username = \'quser\'').map((u) => u.lastname);
    expect(stored.filter((name) => name.includes('HACK'))).toEqual([]);
    // Refused as a file (exit 5, nothing written), or read with XML's own &quot;.
    if (result.code === 5) expect(stored).toEqual([]);
    else expect({ code: result.code, stored }).toEqual({ code: 0, stored: ['a"b'] });
  });

  it('XML from standard input: the same file-level errors, nothing written', () => {
    refusedWithNothingWritten(sandbox.run(['import', '-', '--format', 'xml'], { input: XML_DOCTYPE_INSIDE }));
    refusedWithNothingWritten(sandbox.run(['import', '-', '--format', 'xml'], { input: XML_DEEP }));
  });

  it('CSV with an unclosed quote at the end, JSON truncated after 4,000 users (guards)', () => {
    let csv = 'LastName;FirstName;Email;UserName;PasswordHash\n';
    for (let i = 0; i < 4000; i++) csv += `Last${i};First${i};user${i}@example.org;user${i};${HASH}\n`;
    csv += `"Unclosed;First;unclosed@example.org;unclosed;${HASH}\n`;
    sandbox.file('unclosed.csv', csv);
    refusedWithNothingWritten(sandbox.run(['import', 'unclosed.csv']));

    const users = Array.from({ length: 4000 }, (_, i) =>
      JSON.stringify({ lastname: `Last${i}`, firstname: `First${i}`, email: `user${i}@example.org`, username: `user${i}`, passwordHash: HASH }),
    );
    sandbox.file('truncated.json', `[\n${users.join(',\n')},\n{"lastname": "Trunc", "firstname": "Ated", "email": "trunc@exa`);
    refusedWithNothingWritten(sandbox.run(['import', 'truncated.json']));
  });
});

describe('issue 9: generated passwords survive a kill', () => {
  const USERS = 1000;
  const ROUNDS = 7;
  let csv = 'LastName;FirstName;Email;UserName;Password\n';
  for (let i = 0; i < USERS; i++) csv += `Last${i};First${i};user${i}@example.org;user${i};\n`;
  const args = ['import', 'students.csv', '--credentials', 'creds.csv'];

  const credentialLines = (file: string): string[] =>
    fs.existsSync(file)
      ? fs
          .readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
      : [];

  /**
   * Starts the import, waits a random 150–1200 ms, then kills it with
   * SIGKILL as soon as it next stages a chunk's passwords (the pending file
   * appears) or appends them to the credentials file, or 500 ms later at the
   * latest: the moments between staging and commit, and between commit and
   * append, are the ones that matter.
   */
  async function killDuringImport(sandbox: Sandbox, credentials: string): Promise<void> {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: sandbox.dir, env: envOf(sandbox), stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 150 + Math.random() * 1050));
    const pending = path.join(path.dirname(credentials), `.${path.basename(credentials)}.pending`);
    const size = () => {
      try {
        return fs.statSync(credentials).size;
      } catch {
        return -1;
      }
    };
    // Passwords, not just the header line that opening the file writes.
    const start = Math.max(size(), 'username;password\n'.length);
    const until = Date.now() + 500;
    while (Date.now() < until && size() <= start && !fs.existsSync(pending));
    child.kill('SIGKILL');
    await exited;
  }

  /** bcrypt checks in another process (on the other core, while the next round runs): the usernames whose password does not match. */
  const VERIFY = `const bcrypt = require(process.argv[1]);
let data = '';
process.stdin.setEncoding('utf8').on('data', (c) => (data += c)).on('end', () => {
  const wrong = JSON.parse(data).filter(([, password, hash]) => !bcrypt.compareSync(password, hash)).map(([name]) => name);
  process.stdout.write(JSON.stringify(wrong));
});`;
  function wrongPasswords(checks: [string, string, string][]): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', VERIFY, path.join(ROOT, 'node_modules', 'bcryptjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as string[]) : reject(new Error(`the bcrypt check exited ${code}`))));
      child.stdin.end(JSON.stringify(checks));
    });
  }

  it(`after SIGKILL and a rerun, creds.csv holds exactly one working password per created user (${ROUNDS} rounds)`, async () => {
    const rounds: Promise<string | undefined>[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const sandbox = new Sandbox();
      try {
        migrate(sandbox);
        sandbox.file('students.csv', csv);
        const credentials = path.join(sandbox.dir, 'creds.csv');
        await killDuringImport(sandbox, credentials);
        const linesBefore = credentialLines(credentials).length;

        const final = sandbox.run([...args, '--json']);
        expect({ round, code: final.code, stderr: final.code === 0 ? '' : final.stderr }).toEqual({ round, code: 0, stderr: '' });
        const summary = JSON.parse(final.stdout) as { generatedPasswords: number; recoveredCredentials: number };
        const lines = credentialLines(credentials);
        // What the final run appended: the passwords it generated and those the killed run had committed but not appended.
        const added = lines.length - Math.max(linesBefore, 1) - summary.recoveredCredentials;
        expect(fs.readdirSync(sandbox.dir).filter((f) => f.endsWith('.pending'))).toEqual([]);

        const hashes = new Map(
          sandbox
            .query<{ username: string; password_hash: string }>('SELECT username, password_hash FROM "user" WHERE is_system = 0')
            .map((u) => [u.username, u.password_hash]),
        );
        const entries = lines.slice(1).map((l) => l.split(';') as [string, string]);
        const names = entries.map(([name]) => name);
        const duplicates = names.filter((n, i) => names.indexOf(n) !== i);
        const unknown = names.filter((n) => !hashes.has(n));
        const checks = entries.filter(([name]) => hashes.has(name)).map(([name, password]): [string, string, string] => [name, password, hashes.get(name)!]);
        const found = {
          header: lines[0],
          users: hashes.size,
          lines: entries.length,
          duplicates: duplicates.slice(0, 5),
          unknown: unknown.slice(0, 5),
          generatedByFinalRun: summary.generatedPasswords,
        };
        const expected = { header: 'username;password', users: USERS, lines: USERS, duplicates: [], unknown: [], generatedByFinalRun: added };
        rounds.push(
          wrongPasswords(checks).then((wrong) => {
            const all = { ...found, wrongPasswords: wrong.slice(0, 5) };
            const want = { ...expected, wrongPasswords: [] };
            return JSON.stringify(all) === JSON.stringify(want) ? undefined : `round ${round}: ${JSON.stringify(all)} (the final run added ${added} lines)`;
          }),
        );
      } finally {
        sandbox.cleanup();
      }
    }
    const problems = (await Promise.all(rounds)).filter((p) => p !== undefined);
    expect(problems).toEqual([]);
  }, 120_000);
});
