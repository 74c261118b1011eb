import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { BIN, ROOT, Sandbox } from './helpers';
import { auditRows, seedUsers } from './seed';

/** The command line itself: help, version, usage errors (exit 2). No database is needed for these. */
describe('the command line', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());

  it('prints help with every command and the exit codes, and creates no database', () => {
    const result = sandbox.run(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['list', 'search', 'show', 'add', 'edit', 'role', 'field', 'audit', 'db'])
      expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(result.stdout).toContain('Exit codes: 0 done, 2 bad command line, 3 not found, 4 conflict, 5 invalid data');
    expect(result.stderr).toBe('');
    expect(fs.existsSync(sandbox.db)).toBe(false);
  });

  it.each([
    ['list'],
    ['search'],
    ['show'],
    ['add'],
    ['edit'],
    ['role', 'list'],
    ['field', 'add'],
    ['field', 'list'],
    ['field', 'remove'],
    ['audit'],
    ['db', 'status'],
    ['db', 'migrate'],
    ['db', 'backup'],
    ['role'],
    ['field'],
    ['config'],
    ['db'],
    ['course'],
    ['session'],
    ['import'],
    ['export'],
    ['expire'],
    ['purge'],
  ])('roster %s --help shows an example and the global options', (...command) => {
    const result = sandbox.run([...command, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage: roster ${command.join(' ')}`);
    expect(result.stdout).toMatch(/Examples:\n {2}\$ roster /);
    expect(result.stdout).toContain('--db <path|url>');
  });

  it.each([
    [['help', 'edit'], 'Usage: roster edit', '--add-role <role>'],
    [['help', 'course'], 'Usage: roster course', 'add <code>'],
    [['--db', 'x.db', 'help', 'import'], 'Usage: roster import', '--on-existing <action>'],
    [['--actor', 'me', 'purge', '--help'], 'Usage: roster purge', '--reassign-to <user>'],
    [['--json', 'session', 'add', '--help'], 'Usage: roster session add', '--start <date>'],
    [['help', 'course', 'add'], 'Usage: roster course add', '--title <title>'],
    [['help', 'db', 'backup'], 'Usage: roster db backup', 'roster db backup'],
    // The command line being written, asked for help half-way: the words after the command are its own.
    [['help', 'course', 'add', 'X', '--title', 't'], 'Usage: roster course add', '--title <title>'],
    [['help', 'course', 'add', 'extra'], 'Usage: roster course add', '--title <title>'],
  ])('roster %p shows the whole help of that command', (args, usage, option) => {
    const result = sandbox.run(args);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(usage);
    expect(result.stdout).toContain(option);
  });

  it.each(['course', 'session', 'db', 'config', 'field', 'role'])('the description of %s names each of its subcommands', (name) => {
    const help = sandbox.run([name, '--help']).stdout;
    const description = help.split('\n\n')[1]!.replace(/\s+/g, ' ');
    const subcommands = [...help.split('Commands:\n')[1]!.matchAll(/^ {2}([a-z-]+)/gm)].map((m) => m[1]!).filter((n) => n !== 'help');
    expect(subcommands.length).toBeGreaterThan(0);
    expect(subcommands.filter((sub) => !description.includes(sub))).toEqual([]);
  });

  it('help with an unknown name says so, with a suggestion (exit 2)', () => {
    expect(sandbox.run(['help', 'lst'])).toEqual({ code: 2, stdout: '', stderr: "roster: error: unknown command 'lst'\n(Did you mean list?)\n" });
  });

  it('prints the version of package.json', () => {
    const result = sandbox.run(['--version']);
    expect(result).toEqual({
      code: 0,
      stdout: `${(JSON.parse(fs.readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string }).version}\n`,
      stderr: '',
    });
  });

  it.each<[string[], RegExp]>([
    [['bogus'], /^roster: error: unknown command 'bogus'/],
    [['lsit'], /unknown command 'lsit'\n\(Did you mean list\?\)/],
    [['list', '--bogus'], /^roster: error: unknown option '--bogus'/],
    [['list', '--rol', 'x'], /unknown option '--rol'\n\(Did you mean --role\?\)/],
    [['list', '--sort', 'age'], /argument 'age' is invalid. Allowed choices are lastname, firstname/],
    [['list', '--format', 'xml'], /argument 'xml' is invalid. Allowed choices are table, json, csv, ids, count/],
    [['list', '--limit', '-1'], /option '--limit <n>' argument '-1' is invalid. expected a whole number/],
    [['list', '--offset', 'ten'], /expected a whole number/],
    [['list', '--role'], /option '--role <role>' argument missing/],
    [['show'], /missing required argument 'user'/],
    [['edit'], /nothing to change: give at least one option/],
    [['show', 'a', 'b'], /too many arguments/],
    [['field', 'add', 'x', '--type', 'integer'], /argument 'integer' is invalid/],
    [['db', 'vacuum'], /unknown command 'vacuum'/],
  ])('roster %p is a usage error (exit 2) with one clear line', (args, message) => {
    const result = sandbox.run(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });

  it('shows help on stderr with exit 2 when a command is missing', () => {
    for (const args of [[], ['db'], ['role'], ['field']]) {
      const result = sandbox.run(args);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('Usage: roster');
    }
  });

  it('accepts the global options before or after the command', () => {
    const db = `${sandbox.dir}/global.db`;
    expect(sandbox.run(['--db', db, '--json', 'role', 'list']).code).toBe(0);
    const after = sandbox.run(['role', 'list', '--json', '--db', db]);
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout)).toHaveLength(6);
  });

  // Commander reads the program's options anywhere on the line, and splits `-yes` into -y and -es:
  // a value that begins like one was taken for it (1 login-as token in 2,048 begins with -y or -V).
  it('gives an option the word that follows it, even one that begins like a global option (-y…, -V…, --json)', () => {
    const id = sandbox.addUser('dashes');
    const reasons = ['-yes, ticket 12', '-Very urgent', '--json', '--db'];
    for (const reason of reasons) {
      const result = sandbox.run(['login-as', 'dashes', '--reason', reason]);
      expect(result).toMatchObject({ code: 0, stdout: expect.stringMatching(/^[A-Za-z0-9_-]{43}\n$/) });
    }
    expect(auditRows(sandbox, 'user.login-as').map((row) => [row.user_id, row.details.reason])).toEqual(reasons.map((reason) => [id, reason]));
    for (const token of [`-V${'a'.repeat(41)}`, `-y${'a'.repeat(41)}`]) {
      expect(sandbox.run(['auth', 'dashes', '--token', token])).toMatchObject({
        code: 5,
        stdout: '',
        stderr: 'roster: error: authentication failed: unknown user, or a wrong, used or expired token\n',
      });
    }
  });

  it('keeps the real clock whatever ROSTER_NOW says (no variable backdates the audit log)', () => {
    const result = sandbox.run(
      ['add', '--username', 'clock', '--email', 'clock@example.org', '--firstname', 'C', '--lastname', 'L', '--role', 'student', '--password-stdin', '--json'],
      {
        input: 'correct horse battery\n',
        env: { ROSTER_NOW: '2100-01-01T00:00:00Z' },
      },
    );
    expect(result.code).toBe(0);
    const registered = Date.parse((JSON.parse(result.stdout) as { registeredAt: string }).registeredAt);
    expect(Math.abs(registered - Date.now())).toBeLessThan(60_000);
    const [audit] = sandbox.query<{ at: string }>("SELECT at FROM audit_log WHERE action = 'user.add' ORDER BY id DESC LIMIT 1");
    expect(Math.abs(Date.parse(audit!.at) - Date.now())).toBeLessThan(60_000);
  });

  it.each([['--help'], ['list', '--format', 'csv']])('stops quietly when the reader of its output goes away (roster %s | head)', async (...args) => {
    if (args[0] === 'list') for (const name of ['pipe1', 'pipe2', 'pipe3']) sandbox.addUser(name);
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH, HOME: sandbox.dir, ROSTER_DB: sandbox.db },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The reader leaves before reading anything: every write fails with EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('waits for the reader of a full pipe that was left non-blocking, and loses nothing (EAGAIN)', () => {
    const expected = sandbox.run(['help', 'edit']);
    expect(expected.stdout.length).toBeGreaterThan(4096);
    // A 4 KB pipe, non-blocking on roster's side, read only once roster has filled it.
    const script = [
      'import fcntl, os, subprocess, sys, time',
      'r, w = os.pipe()',
      'fcntl.fcntl(w, 1031, 4096)',
      'fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)',
      'child = subprocess.Popen(sys.argv[1:], stdout=w)',
      'os.close(w)',
      'time.sleep(0.5)',
      'data = b""',
      'while chunk := os.read(r, 65536): data += chunk',
      'sys.stdout.buffer.write(data)',
      'sys.exit(child.wait())',
    ].join('\n');
    const result = spawnSync('python3', ['-c', script, process.execPath, BIN, 'help', 'edit'], {
      env: { PATH: process.env.PATH, HOME: sandbox.dir, ROSTER_DB: sandbox.db },
      encoding: 'utf8',
    });
    expect({ code: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({ code: 0, stdout: expected.stdout, stderr: '' });
  });

  // A secret shown inside the transaction that stores it: with nobody reading, it was not stored, and
  // roster exited 0 as for `list | head`: `add --generate-password | true` said nothing and added nobody.
  it.each([
    [
      'add',
      ['add', '--username', 'closed1', '--email', 'closed1@example.org', '--firstname', 'C', '--lastname', 'C', '--role', 'student', '--generate-password'],
      'the user closed1 was not added',
    ],
    ['edit', ['edit', 'pipe1', '--reset-password', '--generate-password'], 'the password of pipe1 was not changed'],
    ['login-as', ['login-as', 'pipe1', '--reason', 'ticket 12'], 'no token was issued for pipe1'],
  ])('fails, and stores nothing, when a generated secret cannot be shown (%s with its output closed)', async (command, args, undone) => {
    const sandbox = new Sandbox();
    sandbox.addUser('pipe1');
    const before = sandbox.query<{ password_hash: string }>('SELECT password_hash FROM "user" WHERE username = \'pipe1\'');
    const audits = sandbox.query('SELECT id FROM audit_log').length;
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH, HOME: sandbox.dir, ROSTER_DB: sandbox.db, ROSTER_BCRYPT_COST: '4' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect({ code, stderr }).toEqual({
      code: 1,
      stderr: expect.stringContaining(
        `roster: error: standard output was closed before the ${command === 'login-as' ? 'token' : 'generated password'} could be shown: ${undone}`,
      ),
    });
    expect(sandbox.query('SELECT id FROM "user" WHERE username = \'closed1\'')).toEqual([]);
    expect(sandbox.query<{ password_hash: string }>('SELECT password_hash FROM "user" WHERE username = \'pipe1\'')).toEqual(before);
    expect(sandbox.query('SELECT id FROM audit_log')).toHaveLength(audits);
    expect(sandbox.query('SELECT user_id FROM login_token')).toEqual([]);
    sandbox.cleanup();
  });

  it('hands a slow reader every byte: 5,000 users as CSV through a pipe that is read late', async () => {
    const own = new Sandbox();
    seedUsers(
      own,
      Array.from({ length: 5000 }, (_, i) => ({ username: `slow${i}` })),
    );
    const child = spawn(process.execPath, [BIN, 'list', '--format', 'csv', '--sort', 'id'], {
      env: { PATH: process.env.PATH, HOME: own.dir, ROSTER_DB: own.db },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Nothing is read for half a second: the pipe (64 kB) fills long before the 600 kB are written.
    child.stdout.pause();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stdout.resume();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => child.on('close', resolve));
    const lines = Buffer.concat(chunks).toString('utf8').trimEnd().split('\n');
    expect({ code, stderr, rows: lines.length - 1 }).toEqual({ code: 0, stderr: '', rows: 5000 });
    expect(lines[5000]).toMatch(/^\d+;Seeded;slow4999;slow4999@example.org;slow4999;/);
    own.cleanup();
  });
});
