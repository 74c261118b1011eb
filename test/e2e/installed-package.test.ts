import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeOnSqlite } from '../support/engine';
import { ROOT } from './helpers';

/**
 * roster as a sysadmin installs it: `npm pack`, then `npm install -g` of the
 * tarball into a prefix of its own, then `roster` from PATH in another
 * directory. Engine-independent, so it runs in the SQLite pass only.
 *
 * Installing compiles better-sqlite3 (about 70 s on these machines, the same
 * build the checkout made), so by default the install skips install scripts
 * and takes the checkout's compiled addon. ROSTER_TEST_FULL_INSTALL=1 (CI sets
 * it) runs the install as a sysadmin would, scripts and compile included.
 */
describeOnSqlite('the installed package', () => {
  let scratch: string;
  let prefix: string;
  let tarball: string;
  let home: string;

  /** A login of its own for roster; npm keeps the machine's (its configuration, certificates and cache). */
  const env = () => ({ PATH: `${path.join(prefix, 'bin')}:${process.env.PATH}`, HOME: home, NO_COLOR: '1', CI: 'true', ROSTER_BCRYPT_COST: '4' });
  const sh = (command: string, args: string[], options: SpawnSyncOptions = {}) => {
    const result = spawnSync(command, args, { encoding: 'utf8', cwd: home, env: env(), timeout: 240_000, ...options });
    return { code: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
  };
  const npm = (args: string[], options: SpawnSyncOptions = {}) => sh('npm', args, { env: { ...process.env, PATH: env().PATH }, ...options });

  beforeAll(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-install-'));
    prefix = path.join(scratch, 'prefix');
    home = path.join(scratch, 'home');
    fs.mkdirSync(home);
    // --ignore-scripts: `prepare` would rebuild dist/ under the other tests' feet; npm test built it.
    const pack = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], { cwd: ROOT });
    expect(pack.stderr).not.toMatch(/ERR!/);
    tarball = path.join(scratch, (JSON.parse(pack.stdout) as { filename: string }[])[0]!.filename);
    const full = process.env.ROSTER_TEST_FULL_INSTALL === '1';
    const install = npm(['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', ...(full ? [] : ['--ignore-scripts']), tarball]);
    if (install.code !== 0) throw new Error(`npm install -g failed:\n${install.stderr}`);
    if (!full) {
      const addon = path.join('node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
      const target = path.join(prefix, 'lib', 'node_modules', 'roster', addon);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.copyFileSync(path.join(ROOT, addon), target);
    }
  }, 300_000);

  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it('holds the bundle, the manual page and the runtime packages only', () => {
    const listing = sh('tar', ['-tzf', tarball]).stdout.split('\n').filter(Boolean).sort();
    expect(listing).toEqual([
      'package/README.md',
      'package/bin/roster',
      'package/dist/bcrypt-backend.js',
      'package/dist/bcrypt-worker.js',
      'package/dist/roster.1',
      'package/dist/roster.js',
      'package/package.json',
    ]);
    const installed = fs.readdirSync(path.join(prefix, 'lib', 'node_modules', 'roster', 'node_modules'));
    expect(installed).toEqual(expect.arrayContaining(['better-sqlite3', 'bcryptjs', '@node-rs', 'csv-parse']));
    for (const devOnly of ['typescript', 'jest', 'esbuild', 'commander', 'kysely', 'pg']) expect(installed).not.toContain(devOnly);
    // The native bcrypt's prebuilt package for this platform came with it (no compiler involved).
    const backend = path.join(prefix, 'lib', 'node_modules', 'roster', 'dist', 'bcrypt-backend.js');
    expect(sh('node', ['-p', `require(${JSON.stringify(backend)}).name`])).toMatchObject({ code: 0, stdout: '@node-rs/bcrypt\n' });
  });

  it('puts roster on PATH, working from any directory', () => {
    const help = sh('roster', ['--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: roster \[options\] \[command\]/);
    const db = path.join(scratch, 'users.db');
    const add = sh(
      'roster',
      [
        '--db',
        db,
        'add',
        '--username',
        'ada',
        '--role',
        'student',
        '--firstname',
        'Ada',
        '--lastname',
        'Lovelace',
        '--email',
        'ada@example.org',
        '--password-stdin',
      ],
      { input: 'Secret-123!\n' },
    );
    expect(add.stderr).toBe(`roster: created a new, empty database at ${db}\n`);
    expect(add.code).toBe(0);
    const list = sh('roster', ['--db', db, 'list', '--format', 'ids']);
    expect(list).toMatchObject({ code: 0, stdout: 'id:2\n' });
  });

  it('installs the manual page, with the commands, exit codes, files and environment', () => {
    const page = path.join(prefix, 'share', 'man', 'man1', 'roster.1');
    expect(fs.existsSync(page)).toBe(true);
    const man = sh('man', ['-l', page], { env: { ...env(), MANPAGER: 'cat', MANWIDTH: '100' } });
    expect(man).toMatchObject({ code: 0 });
    expect(man.stdout).toMatch(/^ROSTER\(1\)/);
    for (const heading of ['SYNOPSIS', 'GLOBAL OPTIONS', 'COMMANDS', 'EXIT STATUS', 'ENVIRONMENT', 'FILES', 'COMPLETION']) {
      expect(man.stdout).toMatch(new RegExp(`^${heading}$`, 'm'));
    }
    // Every command, from its own help: a subcommand with its arguments, an option with its choices.
    expect(man.stdout).toMatch(/roster course add \[options\] <code>/);
    expect(man.stdout).toMatch(/--on-existing <action>/);
    expect(man.stdout).toMatch(/\(choices:\s+"skip",\s+"update",\s+"fail"/);
    expect(man.stdout).toMatch(/^ {7}8 +busy/m);
    expect(man.stdout).toContain('ROSTER_DB');
  });

  describe('completion, sourced by the shell, answered by roster from PATH', () => {
    let db: string;
    beforeAll(() => {
      db = path.join(scratch, 'completion.db');
      for (const code of ['C101', 'C102']) expect(sh('roster', ['--db', db, 'course', 'add', code, '--title', code]).code).toBe(0);
    });
    /** Whether the shell is here to test; on CI it must be (.ci/run installs zsh and fish). */
    const hasShell = (shell: string) => {
      if (sh('sh', ['-c', `command -v ${shell}`]).code === 0) return true;
      if (process.env.CI === 'true') throw new Error(`${shell} is not installed: .ci/run installs it`);
      console.warn(`${shell} is not installed: its completion is not tested here`);
      return false;
    };

    /** What bash offers at Tab after `line` (the words as bash splits them), as its completion function leaves them. */
    const bashOffers = (words: string[]) => {
      const script = sh('roster', ['completion', 'bash']).stdout;
      const program = [
        script,
        // Outside a real Tab, compopt has no completion to change: record what the function asked of it.
        'compopt() { echo "compopt $*"; }',
        `COMP_WORDS=(roster ${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length}`,
        '_roster_complete',
        'printf "<%s>" "${COMPREPLY[@]}"',
      ].join('\n');
      return sh('bash', ['--norc', '--noprofile', '-c', program], { env: { ...env(), ROSTER_DB: db } });
    };

    it('bash: commands, option values and course codes', () => {
      expect(bashOffers(['cou'])).toMatchObject({ code: 0, stdout: '<course>', stderr: '' });
      expect(bashOffers(['import', 'staff.csv', '--on-existing', ''])).toMatchObject({ stdout: '<skip><update><fail>' });
      expect(bashOffers(['course', 'show', 'c'])).toMatchObject({ stdout: '<C101><C102>' });
      expect(bashOffers(['export', '--format', '=', 'js'])).toMatchObject({ stdout: '<json>' });
      expect(bashOffers(['import', 'st'])).toMatchObject({ stdout: 'compopt -o default\n<>' });
    });

    it('fish: the same answers, through its own completion', () => {
      if (!hasShell('fish')) return;
      const script = path.join(scratch, 'roster.fish');
      fs.writeFileSync(script, sh('roster', ['completion', 'fish']).stdout);
      const offers = (line: string) => sh('fish', ['--no-config', '-c', `source ${script}; complete -C '${line}'`], { env: { ...env(), ROSTER_DB: db } });
      expect(offers('roster cou')).toMatchObject({ code: 0, stdout: 'course\tcourses: add, list, show, edit, delete\n' });
      expect(offers('roster course show c')).toMatchObject({ stdout: 'C101\nC102\n' });
    });

    it('zsh: the words handed over and the answer given to _describe', () => {
      if (!hasShell('zsh')) return;
      const script = path.join(scratch, '_roster');
      fs.writeFileSync(script, sh('roster', ['completion', 'zsh']).stdout);
      // zsh completes only in an interactive line editor: its completion functions are stood in for, to see what the script gives them.
      const offers = (words: string[]) =>
        sh(
          'zsh',
          [
            '-f',
            '-c',
            [
              'compdef() { :; }',
              '_describe() { print -r -- "describe $*"; print -rl -- "${(@P)4}"; }',
              '_files() { print -r -- files; }',
              `source ${script}`,
              `words=(roster ${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length + 1}`,
              '_roster',
            ].join('\n'),
          ],
          { env: { ...env(), ROSTER_DB: db } },
        );
      expect(offers(['course', 'show', 'C'])).toMatchObject({ code: 0, stdout: 'describe -t values roster candidates\nC101\nC102\n' });
      expect(offers(['import', ''])).toMatchObject({ stdout: 'files\n' });
      expect(offers(['cou']).stdout).toMatch(/^describe -t values roster candidates\ncourse:courses: add/);
    });
  });
});
