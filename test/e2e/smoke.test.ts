import { spawnSync } from 'node:child_process';
import { BIN, Sandbox } from './helpers';
import { itOnSqlite } from '../support/engine';

describe('roster smoke', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());

  it('prints help and exits 0', () => {
    const result = sandbox.run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: roster');
  });

  it('adds a user and lists it', () => {
    const id = sandbox.addUser('ada', [], ['teacher']);
    const users = sandbox.json<{ id: number; roles: string[] }[]>(['list']);
    expect(users).toEqual([expect.objectContaining({ id, roles: ['teacher'] })]);
  });

  it('stops quietly when the reader of its output goes away (roster list | head)', () => {
    // Enough rows to overflow the pipe's buffer after head has gone.
    const insert = `insert into "user" (username, username_key, email, email_key, firstname, lastname, registered_at) values (?, ?, ?, ?, 'F', 'L', '2026-01-01T00:00:00Z')`;
    sandbox.transaction(
      Array.from({ length: 5000 }, (_, i) => ({ sql: insert, params: [`bulk${i}`, `bulk${i}`, `bulk${i}@example.org`, `bulk${i}@example.org`] })),
    );
    const piped = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" list --format csv | head -1`], {
      env: { PATH: process.env.PATH, ROSTER_DB: sandbox.db, HOME: sandbox.dir },
      encoding: 'utf8',
    });
    expect(piped.stdout).toMatch(/^UserId;LastName;FirstName;Email;UserName;/);
    expect(piped.stderr).toBe('');
  });
});

describe('a new database', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());

  itOnSqlite('is announced once on stderr, so a mistyped --db or ROSTER_DB is noticed', () => {
    const first = sandbox.run(['list', '--format', 'count']);
    expect(first).toMatchObject({ code: 0, stdout: '0\n', stderr: `roster: created a new, empty database at ${sandbox.db}\n` });
    expect(sandbox.run(['list', '--format', 'count'])).toMatchObject({ code: 0, stderr: '' });
  });
});
