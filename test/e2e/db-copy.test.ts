import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { BIN, Sandbox } from './helpers';
import { ENGINE, createTestDatabase, dropTestDatabase, itOnSqlite, queryTestDatabase } from '../support/engine';

function execOn(url: string, statements: string[]): void {
  for (const statement of statements) queryTestDatabase(url, statement, []);
}

/** roster db copy: a whole database into a new file or an empty PostgreSQL database, and back. */
describe('roster db copy', () => {
  const sandbox = new Sandbox();
  const NOW = '2026-03-01T12:00:00.000Z';
  const run = (args: string[], input?: string) => sandbox.run(args, { input, env: { ROSTER_TEST_NOW: NOW } });
  /** Everything an export carries, hashes included, and the audit trail without its ids. */
  const contents = (db: string) => ({
    users: JSON.parse(sandbox.run(['--db', db, 'export', '-', '--format', 'json', '--include-password-hashes']).stdout) as unknown[],
    courses: sandbox.run(['--db', db, 'course', 'list', '--json']).stdout,
    sessions: sandbox.run(['--db', db, 'session', 'list', '--json']).stdout,
    fields: sandbox.run(['--db', db, 'field', 'list', '--json']).stdout,
    audit: (JSON.parse(sandbox.run(['--db', db, 'audit', '--json']).stdout) as { action: string; user?: unknown; details?: unknown }[]).map((e) => [
      e.action,
      e.details,
    ]),
  });

  beforeAll(() => {
    expect(run(['field', 'add', 'cohort', '--type', 'number']).code).toBe(0);
    sandbox.addUser('boss', [], ['admin']);
    sandbox.addUser('ada', ['--field', 'cohort=2026', '--official-code', 'A-1'], ['teacher']);
    sandbox.addUser('élodie', ['--language', 'fr']);
    sandbox.addUser('gone');
    expect(run(['course', 'add', 'MATH101', '--title', 'Algebra', '--owner', 'ada']).code).toBe(0);
    expect(run(['session', 'add', 'Spring 2026', '--start', '2026-03-01', '--end', '2026-06-30', '--course', 'MATH101']).code).toBe(0);
    expect(run(['enroll', 'élodie', 'gone', '--course', 'MATH101', '--yes']).code).toBe(0);
    expect(run(['enroll', 'élodie', '--session', 'Spring 2026', '--yes']).code).toBe(0);
    expect(run(['login-as', 'ada', '--reason', 'ticket 7', '--actor', 'boss']).code).toBe(0);
    expect(run(['delete', 'gone', '--yes']).code).toBe(0);
    // The record of a mail sent (mail.test.ts sends real ones through a fake mail command).
    sandbox.execute(
      "INSERT INTO mail_notice (user_id, template, about, sent_at) SELECT id, 'welcome', '', '2026-03-01T12:00:00.000Z' FROM \"user\" WHERE username = 'élodie'",
    );
  });
  afterAll(() => sandbox.cleanup());

  it('copies every table into a new file, ids and hashes included, and says how many rows of each', () => {
    const target = path.join(sandbox.dir, 'copy.db');
    const result = sandbox.run(['db', 'copy', '--to', target]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^copied .+ to .+copy\.db: 5 user, 4 user_role, 1 extra_field, 1 user_extra_value, 1 course, 1 training_session, 1 session_course, 2 course_user, 1 session_user, 1 login_token, \d+ setting, 1 mail_notice, \d+ audit_log \(row counts compared on both sides\)\n$/,
    );
    expect(fs.statSync(target).mode & 0o777).toBe(0o600);
    expect(contents(target)).toEqual(contents(sandbox.db));
    const copied = new Database(target, { readonly: true });
    try {
      expect(copied.prepare('SELECT u.username, m.template, m.about, m.sent_at FROM mail_notice m JOIN "user" u ON u.id = m.user_id').all()).toEqual([
        { username: 'élodie', template: 'welcome', about: '', sent_at: '2026-03-01T12:00:00.000Z' },
      ]);
    } finally {
      copied.close();
    }
    // The copy is a working database: the deleted account is still deleted, a new user gets a new id.
    expect(sandbox.run(['--db', target, 'list', '--deleted', '--format', 'count']).stdout).toBe('1\n');
    const added = sandbox.json<{ id: number }>([
      '--db',
      target,
      'add',
      '--username',
      'late',
      '--email',
      'late@example.org',
      '--firstname',
      'L',
      '--lastname',
      'T',
      '--role',
      'student',
      '--generate-password',
    ]);
    expect(added.id).toBeGreaterThan(5);
  });

  (ENGINE === 'postgres' ? it : it.skip)('copies back into an empty PostgreSQL database, whose ids then go on from the copied ones [PostgreSQL only]', () => {
    const file = path.join(sandbox.dir, 'pg-source.db');
    expect(sandbox.run(['db', 'copy', '--to', file]).code).toBe(0);
    const empty = createTestDatabase();
    try {
      const result = sandbox.run(['--db', file, 'db', 'copy', '--to', empty]);
      expect(result.code).toBe(0);
      // The target's URL came with its password on the command line, which ps shows.
      expect(result.stderr).toBe('roster: warning: the password in --to is visible to other users of this host (ps); put it in PGPASSWORD or ~/.pgpass\n');
      expect(result.stdout).toContain(':***@');
      expect(contents(empty)).toEqual(contents(sandbox.db));
      const added = sandbox.json<{ id: number }>([
        '--db',
        empty,
        'add',
        '--username',
        'later',
        '--email',
        'later@example.org',
        '--firstname',
        'L',
        '--lastname',
        'T',
        '--role',
        'student',
        '--generate-password',
      ]);
      expect(added.id).toBeGreaterThan(5);
    } finally {
      dropTestDatabase(empty);
    }
  });

  itOnSqlite('a copy that fails (the source stays busy) leaves no file behind, so that it can simply be run again', async () => {
    const target = path.join(sandbox.dir, 'failed-copy.db');
    // Another process holds the source's write lock for longer than the copy waits.
    const holder = new Database(sandbox.db);
    holder.exec('BEGIN IMMEDIATE');
    try {
      const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [BIN, 'db', 'copy', '--to', target], {
          env: { PATH: process.env.PATH, HOME: sandbox.dir, ROSTER_DB: sandbox.db, ROSTER_BUSY_TIMEOUT: '1s' },
        });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('close', (code) => resolve({ code, stderr }));
      });
      expect(result.code).toBe(8);
      expect(fs.readdirSync(sandbox.dir).filter((name) => name.startsWith('failed-copy'))).toEqual([]);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect(sandbox.run(['db', 'copy', '--to', target]).code).toBe(0);
  });

  it('refuses a target that exists or holds users, and the source itself (exit 4), writing nothing', () => {
    const existing = sandbox.file('existing.db', "not a database, and not roster's to replace\n");
    const onFile = sandbox.run(['db', 'copy', '--to', existing]);
    expect(onFile.code).toBe(4);
    expect(onFile.stderr).toContain(`${existing} already exists; db copy writes only into a new file or an empty PostgreSQL database`);
    expect(fs.readFileSync(existing, 'utf8')).toBe("not a database, and not roster's to replace\n");

    const itself = sandbox.run(['db', 'copy', '--to', sandbox.db]);
    expect(itself.code).toBe(4);
    expect(itself.stderr).toContain('--to names the database being copied');

    // A PostgreSQL database with users of its own (on SQLite, any existing file is refused, as above).
    if (ENGINE !== 'postgres') return;
    const target = createTestDatabase();
    try {
      expect(
        sandbox.run([
          '--db',
          target,
          'add',
          '--username',
          'own',
          '--email',
          'own@example.org',
          '--firstname',
          'O',
          '--lastname',
          'W',
          '--role',
          'student',
          '--generate-password',
        ]).code,
      ).toBe(0);
      const refused = sandbox.run(['db', 'copy', '--to', target]);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toContain("is not empty (table user has 1 user besides roster's fallback user); db copy writes only into an empty database");
      expect(sandbox.run(['--db', target, 'list', '--format', 'count']).stdout).toBe('1\n');
    } finally {
      dropTestDatabase(target);
    }
  });

  (ENGINE === 'postgres' ? it : it.skip)('refuses a PostgreSQL target that holds tables of another program (exit 4), writing nothing [PostgreSQL only]', () => {
    const target = createTestDatabase({ empty: true });
    try {
      execOn(target, ['CREATE TABLE invoices (id int)', 'INSERT INTO invoices VALUES (1), (2)']);
      const refused = sandbox.run(['db', 'copy', '--to', target]);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toContain('holds tables roster does not know (public.invoices)');
      // Nothing was written there, not even roster's tables.
      const tables = queryTestDatabase<{ table_name: string }>(
        target,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
        [],
      );
      expect(tables.map((t) => t.table_name)).toEqual(['invoices']);
    } finally {
      dropTestDatabase(target);
    }
  });

  itOnSqlite('refuses a source that does not exist (a mistyped --db) instead of copying an empty database, and leaves no file (exit 3)', () => {
    const missing = path.join(sandbox.dir, 'no-such.db');
    const target = path.join(sandbox.dir, 'never.db');
    const result = sandbox.run(['--db', missing, 'db', 'copy', '--to', target]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`no database at ${missing}`);
    expect(result.stdout).toBe('');
    expect(fs.existsSync(missing)).toBe(false);
    expect(fs.existsSync(target)).toBe(false);
  });
});
