import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ENGINE, Sandbox } from './helpers';

/**
 * `roster completion`: the scripts, and the answers they get from the built
 * binary, with names from the database under test. The scripts sourced by
 * the shells themselves: test/e2e/installed-package.test.ts.
 */
describe('roster completion', () => {
  const sandbox = new Sandbox();
  const complete = (shell: string, words: string[], env: Record<string, string | undefined> = {}) =>
    sandbox.run(['completion', shell, '--complete', '--', ...words], { env });

  beforeAll(() => {
    sandbox.addUser('ada', [], ['teacher']);
    for (const code of ['C101', 'C102', 'M201']) expect(sandbox.run(['course', 'add', code, '--title', `Course ${code}`]).code).toBe(0);
    expect(sandbox.run(['session', 'add', 'Spring 2027', '--start', '2027-01-10', '--end', '2027-06-30']).code).toBe(0);
    expect(sandbox.run(['field', 'add', 'dept', '--type', 'text']).code).toBe(0);
  });
  afterAll(() => sandbox.cleanup());

  it('prints a script for each shell that the shell reads without error', () => {
    for (const [shell, check] of [
      ['bash', ['bash', '-n']],
      ['zsh', ['zsh', '-n']],
      ['fish', ['fish', '--no-execute']],
    ] as const) {
      const script = sandbox.run(['completion', shell]);
      expect(script).toMatchObject({ code: 0, stderr: '' });
      expect(script.stdout).toContain(`roster completion ${shell} --complete --`);
      if (spawnSync('sh', ['-c', `command -v ${check[0]}`]).status !== 0) continue;
      const file = sandbox.file(`roster.${shell}`, script.stdout);
      expect(spawnSync(check[0], [check[1], file], { encoding: 'utf8' })).toMatchObject({ status: 0, stderr: '' });
    }
  });

  it('refuses a shell it has no script for, saying which it has', () => {
    const result = sandbox.run(['completion', 'powershell']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/'powershell' is invalid for argument 'shell'\. Allowed choices are bash, zsh, fish/);
  });

  it('answers with course codes, session names and fields from the database', () => {
    expect(complete('bash', ['course', 'show', 'c1'])).toEqual({ code: 0, stdout: 'C101\nC102\n:plain\n', stderr: '' });
    expect(complete('bash', ['session', 'show', 'Spr'])).toMatchObject({ stdout: 'Spring\\ 2027\n:plain\n' });
    expect(complete('fish', ['session', 'show', 'Spr'])).toMatchObject({ stdout: 'Spring 2027\n:plain\n' });
    expect(complete('zsh', ['list', '--field', 'd'])).toMatchObject({ stdout: 'dept=\n:nospace\n' });
    // The database typed on the command line wins over ROSTER_DB.
    const elsewhere = complete('bash', ['--db', sandbox.db, 'enroll', 'ada', '--course', 'M'], { ROSTER_DB: path.join(sandbox.dir, 'other.db') });
    expect(elsewhere).toMatchObject({ code: 0, stdout: 'M201\n:plain\n' });
  });

  it('answers from the commands themselves without a database', () => {
    const none = path.join(sandbox.dir, 'none.db');
    expect(complete('bash', ['imp'], { ROSTER_DB: none })).toEqual({ code: 0, stdout: 'import\n:plain\n', stderr: '' });
    expect(complete('bash', ['export', '--format', '=', ''], { ROSTER_DB: none })).toMatchObject({ stdout: 'csv\nxml\njson\n:plain\n' });
    expect(complete('zsh', ['li'], { ROSTER_DB: none }).stdout).toMatch(/^list:\S.*\n:plain\n$/);
  });

  it('never creates nor changes a database, and says nothing when there is none', () => {
    const missing = path.join(sandbox.dir, 'missing', 'roster.db');
    expect(complete('bash', ['course', 'show', ''], { ROSTER_DB: missing })).toEqual({ code: 0, stdout: ':plain\n', stderr: '' });
    expect(fs.existsSync(path.dirname(missing))).toBe(false);
    const audit = sandbox.query<{ n: number }>('SELECT count(*) AS n FROM audit_log');
    complete('bash', ['course', 'show', '']);
    expect(sandbox.query<{ n: number }>('SELECT count(*) AS n FROM audit_log')).toEqual(audit);
  });

  it('gives up on a database that does not answer, quickly and quietly', async () => {
    // A server that takes the connection and never says a word (the kernel accepts it while this process waits).
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const started = Date.now();
      const result = complete('bash', ['--db', `postgres://roster@127.0.0.1:${port}/roster`, 'course', 'show', '']);
      expect(result).toEqual({ code: 0, stdout: ':plain\n', stderr: '' });
      // Without the deadline, the connection's own timeout: 30 s.
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      silent.close();
    }
  });

  if (ENGINE === 'sqlite') {
    it('answers nothing from a file that is not a database', () => {
      const junk = sandbox.file('junk.db', 'not a database\n');
      expect(complete('bash', ['course', 'show', ''], { ROSTER_DB: junk })).toEqual({ code: 0, stdout: ':plain\n', stderr: '' });
      expect(fs.readFileSync(junk, 'utf8')).toBe('not a database\n');
    });
  }
});
