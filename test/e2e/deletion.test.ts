import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { BIN, Sandbox } from './helpers';
import { PASSWORD, addCourse, auditRows, enrol, seedUsers, type BatchJson } from './seed';
import { ENGINE, itOnSqlite } from '../support/engine';

const env = { ROSTER_TEST_NOW: '2026-06-15T12:00:00.000Z' };

describe('roster delete, list --deleted, restore, purge and the fallback user', () => {
  const sandbox = new Sandbox();
  let ids: Record<string, number>;
  let courses: Record<string, number>;
  let fallbackId: number;
  const row = (username: string) =>
    sandbox.query<{ id: number; active: number; deleted_at: string | null }>('SELECT id, active, deleted_at FROM "user" WHERE username = ?', username)[0];
  const listed = (args: string[] = []) => sandbox.json<{ username: string }[]>(['list', ...args], { env }).map((u) => u.username);

  beforeAll(() => {
    const users = [
      { username: 'boss', roles: ['admin'] },
      { username: 'teach', roles: ['teacher'], firstname: 'Terry', lastname: 'Teacher' },
      { username: 'prof', roles: ['teacher'] },
      { username: 'stu' },
      { username: 'keeper', roles: ['teacher'] },
      { username: 'sleepy', active: false },
      { username: 'old1', deletedAt: '2026-01-10T00:00:00.000Z' },
      { username: 'new1', deletedAt: '2026-06-10T00:00:00.000Z' },
    ];
    const list = seedUsers(sandbox, users);
    ids = Object.fromEntries(users.map((u, i) => [u.username, list[i]!]));
    courses = {
      MATH: addCourse(sandbox, 'MATH', ids.teach!, 'Mathematics'),
      PHY: addCourse(sandbox, 'PHY', ids.teach!, 'Physics'),
      CHEM: addCourse(sandbox, 'CHEM', ids.prof!, 'Chemistry'),
    };
    enrol(sandbox, courses.MATH!, ids.stu!);
    enrol(sandbox, courses.CHEM!, ids.teach!);
    fallbackId = sandbox.query<{ id: number }>('SELECT id FROM "user" WHERE is_system = 1 AND username = \'fallback\'')[0]!.id;
  });
  afterAll(() => sandbox.cleanup());

  it('delete names the courses the user owns, then needs a confirmation (exit 7 without a terminal or --yes)', () => {
    const result = sandbox.run(['delete', 'teach'], { env });
    expect(result.code).toBe(7);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      [
        'roster: warning: teach owns courses: MATH "Mathematics", PHY "Physics"',
        'roster: warning: courses and coached sessions stay with them while deleted; a purge hands them to the fallback user (or to --reassign-to <user>)',
        'roster: error: Delete teach (roster restore undoes it): confirmation needed, but stdin is not a terminal',
        '  hint: pass --yes to confirm, or --dry-run to see what would change',
        '',
      ].join('\n'),
    );
    expect(row('teach')!.deleted_at).toBeNull();
  });

  it('delete --dry-run needs no confirmation and changes nothing', () => {
    const result = sandbox.run(['delete', 'teach', '--dry-run'], { env });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('dry run: would delete 1 user(s): teach; nothing was changed\n');
    expect(row('teach')!.deleted_at).toBeNull();
  });

  it('delete --yes soft-deletes: gone from list and search, shown by list --deleted, data kept, one audit row', () => {
    const result = sandbox.json<BatchJson>(['delete', 'teach', '--yes'], { env });
    expect(result).toMatchObject({ changed: 1, failed: [], users: [{ username: 'teach', deletedAt: env.ROSTER_TEST_NOW }] });
    expect(listed()).not.toContain('teach');
    expect(sandbox.run(['search', 'Terry'], { env })).toMatchObject({ code: 0, stdout: '', stderr: 'no users match\n' });
    expect(listed(['--deleted'])).toEqual(['new1', 'old1', 'teach']);
    const table = sandbox.run(['list', '--deleted'], { env }).stdout;
    expect(table).toMatch(/Teacher, Terry .* teach .* deleted/);
    expect(sandbox.query('SELECT role FROM user_role WHERE user_id = ?', ids.teach)).toEqual([{ role: 'teacher' }]);
    expect(sandbox.query('SELECT code FROM course WHERE owner_id = ? ORDER BY code', ids.teach)).toEqual([{ code: 'MATH' }, { code: 'PHY' }]);
    expect(auditRows(sandbox, 'user.delete')).toEqual([
      {
        user_id: ids.teach,
        actor: expect.any(String),
        details: { changes: [{ field: 'deleted_at', before: null, after: env.ROSTER_TEST_NOW }], ownedCourses: [courses.MATH, courses.PHY] },
      },
    ]);
    expect(sandbox.run(['delete', 'teach', '--yes'], { env }).stdout).toContain('unchanged 1 user(s) (already deleted): teach');
  });

  it('a deleted account cannot log in, and its username and email stay reserved', () => {
    const auth = sandbox.run(['auth', 'teach'], { env, input: `${PASSWORD}\n` });
    expect(auth).toMatchObject({ code: 4, stderr: 'roster: error: teach may not log in: the account is deleted\n' });
    const clash = sandbox.run(
      ['add', '--username', 'TEACH', '--email', 'teach@example.org', '--firstname', 'X', '--lastname', 'Y', '--role', 'student', '--password-stdin'],
      { env, input: 'another password\n' },
    );
    expect(clash.code).toBe(4);
    expect(clash.stderr).toContain('is taken by user teach (id:');
  });

  it('restore brings the account back exactly as it was', () => {
    const result = sandbox.run(['restore', 'teach'], { env });
    expect(result).toMatchObject({ code: 0, stdout: 'restored 1 user(s): teach\n' });
    expect(row('teach')).toEqual({ id: ids.teach, active: 1, deleted_at: null });
    expect(listed()).toContain('teach');
    expect(sandbox.run(['auth', 'teach'], { env, input: `${PASSWORD}\n` }).code).toBe(0);
    expect(auditRows(sandbox, 'user.restore')).toEqual([
      { user_id: ids.teach, actor: expect.any(String), details: { changes: [{ field: 'deleted_at', before: env.ROSTER_TEST_NOW, after: null }] } },
    ]);
    expect(sandbox.run(['restore', 'teach'], { env }).stdout).toContain('unchanged 1 user(s) (not deleted): teach');
  });

  it('restore selects among the deleted users when given filters', () => {
    // --role student selects deleted students only (new1, old1), not the live stu.
    const result = sandbox.json<BatchJson>(['restore', '--role', 'student', '--dry-run'], { env });
    expect(result.users.map((u) => u.username)).toEqual(['old1', 'new1']);
    expect(sandbox.run(['restore'], { env })).toMatchObject({ code: 2, stderr: expect.stringContaining('no users given') });
  });

  it('delete refuses the fallback user and the last active admin (exit 4), before any confirmation', () => {
    const fallback = sandbox.run(['delete', 'fallback'], { env });
    expect(fallback).toMatchObject({ code: 4, stderr: 'roster: error: fallback: fallback is the system fallback account; it cannot be deleted\n' });
    const boss = sandbox.run(['delete', 'boss', '--yes'], { env });
    expect(boss.code).toBe(4);
    expect(boss.stderr).toContain('boss is the last active admin; the platform must keep one');
    expect(row('boss')!.deleted_at).toBeNull();
  });

  it('purge refuses an account that is not deleted (exit 4), before asking anything', () => {
    const result = sandbox.run(['purge', 'stu'], { env });
    expect(result.code).toBe(4);
    expect(result.stderr).toBe('roster: error: stu: stu is not deleted; purge removes deleted accounts only\n  hint: delete it first: roster delete stu\n');
    expect(row('stu')).toBeDefined();
  });

  it('purge confirms, suggesting a backup, and checks --reassign-to before changing anything', () => {
    sandbox.run(['delete', 'teach', '--yes'], { env });
    const unconfirmed = sandbox.run(['purge', 'teach'], { env });
    expect(unconfirmed.code).toBe(7);
    expect(unconfirmed.stderr).toContain('roster: warning: on purge these courses and sessions are handed to the fallback user');
    // Beside the SQLite file; a pg_dump file in the working directory for PostgreSQL.
    const snapshot = ENGINE === 'sqlite' ? path.join(sandbox.dir, 'roster-before-purge-2026-06-15.db') : 'roster-before-purge-2026-06-15.dump';
    expect(unconfirmed.stderr).toContain(`Purge teach permanently (this cannot be undone; take a snapshot first: roster db backup ${snapshot})`);
    expect(sandbox.run(['purge', 'teach', '--reassign-to', 'nobody', '--yes'], { env })).toMatchObject({
      code: 3,
      stderr: expect.stringContaining('no user "nobody"'),
    });
    for (const [receiver, state] of [
      ['sleepy', 'inactive'],
      ['new1', 'deleted'],
    ]) {
      const result = sandbox.run(['purge', 'teach', '--reassign-to', receiver!, '--yes'], { env });
      expect(result.code).toBe(4);
      expect(result.stderr).toContain(`--reassign-to: ${receiver} is ${state}`);
    }
    expect(row('teach')).toBeDefined();
    expect(auditRows(sandbox, 'user.purge')).toEqual([]);
  });

  it('purge removes the account with its roles, extra values, enrolments and tokens, and hands its courses to the fallback user', () => {
    expect(sandbox.run(['field', 'add', 'cohort', '--type', 'text']).code).toBe(0);
    sandbox.transaction([
      { sql: "INSERT INTO user_extra_value (user_id, field_id, value) SELECT ?, id, '2026' FROM extra_field WHERE name = 'cohort'", params: [ids.teach] },
      {
        sql: "INSERT INTO login_token (user_id, token_hash, created_at, expires_at, created_by, reason) VALUES (?, 'x', '2026-06-15', '2026-06-16', 'a', 'b')",
        params: [ids.teach],
      },
    ]);
    const dry = sandbox.run(['purge', 'teach', '--dry-run'], { env });
    expect(dry.stdout).toBe(`dry run: would purge 1 user(s): teach; nothing was changed\nwould hand 2 course(s) to fallback (id:${fallbackId})\n`);
    expect(row('teach')).toBeDefined();

    const result = sandbox.run(['purge', 'teach', '--yes'], { env });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`purged 1 user(s): teach\nhanded 2 course(s) to fallback (id:${fallbackId})\n`);
    for (const table of ['user', 'user_role', 'user_extra_value', 'course_user', 'login_token']) {
      const column = table === 'user' ? 'id' : 'user_id';
      expect([table, sandbox.query(`SELECT count(*) AS n FROM "${table}" WHERE ${column} = ?`, ids.teach)]).toEqual([table, [{ n: 0 }]]);
    }
    expect(sandbox.query('SELECT code, owner_id FROM course ORDER BY code')).toEqual([
      { code: 'CHEM', owner_id: ids.prof },
      { code: 'MATH', owner_id: fallbackId },
      { code: 'PHY', owner_id: fallbackId },
    ]);
    // The enrolments of others in those courses stay.
    expect(sandbox.query('SELECT user_id FROM course_user WHERE course_id = ?', courses.MATH)).toEqual([{ user_id: ids.stu }]);
    // SQLite's search index holds no entry of the row (PostgreSQL's indexes are the table's own).
    if (ENGINE === 'sqlite') expect(sandbox.query("SELECT rowid FROM user_search WHERE user_search MATCH 'Terry'")).toEqual([]);
    expect(sandbox.run(['search', 'terry', '--format', 'count'], { env }).stdout).toBe('0\n');
    expect(auditRows(sandbox, 'user.purge')).toEqual([
      {
        user_id: ids.teach,
        actor: expect.any(String),
        details: {
          auditEntriesErased: 0,
          coursesHandedOver: [courses.MATH, courses.PHY],
          sessionsHandedOver: [],
          handedTo: fallbackId,
          backupsHoldingData: { files: [], more: 0 },
        },
      },
    ]);
    expect(sandbox.run(['show', 'teach'], { env }).code).toBe(3);
  });

  it('show says what the fallback user holds; list hides it unless --system', () => {
    const text = sandbox.run(['show', 'fallback'], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Status        system account');
    expect(text.stdout).toContain('Owned courses (2)\n  MATH  Mathematics\n  PHY  Physics\n');
    expect(text.stdout).toContain('This is the system fallback account: it holds the 2 course(s) above, handed over when their owners were purged.');
    const json = sandbox.json<{ system: boolean; ownedCourses: { code: string }[] }>(['show', 'fallback'], { env });
    expect(json).toMatchObject({ system: true, ownedCourses: [{ code: 'MATH' }, { code: 'PHY' }] });
    expect(listed()).not.toContain('fallback');
    expect(listed(['--system'])).toContain('fallback');
    expect(sandbox.run(['search', 'fallback'], { env }).stdout).toBe('');
  });

  it('the fallback user cannot log in, be purged, anonymized or impersonated (exit 4, or 5 for a login)', () => {
    expect(sandbox.run(['auth', 'fallback'], { env, input: 'anything\n' })).toMatchObject({
      code: 5,
      stderr: 'roster: error: authentication failed: unknown user or wrong password\n',
    });
    expect(sandbox.run(['purge', 'fallback', '--yes'], { env })).toMatchObject({ code: 4, stderr: expect.stringContaining('it cannot be purged') });
    expect(sandbox.run(['anonymize', 'fallback', '--yes'], { env })).toMatchObject({ code: 4, stderr: expect.stringContaining('it cannot be anonymized') });
    expect(sandbox.run(['login-as', 'fallback', '--reason', 'test'], { env })).toMatchObject({
      code: 4,
      stderr: expect.stringContaining('cannot log in as fallback'),
    });
    expect(sandbox.query('SELECT deleted_at, anonymized_at, password_hash FROM "user" WHERE id = ?', fallbackId)).toEqual([
      { deleted_at: null, anonymized_at: null, password_hash: null },
    ]);
  });

  it('purge --reassign-to hands the courses to that account; --json lists each purged user and its courses', () => {
    sandbox.run(['delete', 'prof', '--yes'], { env });
    const result = sandbox.json<BatchJson & { users: { id: number; username: string; coursesHandedOver: number[]; handedTo: number }[] }>(
      ['purge', 'prof', '--reassign-to', 'keeper', '--yes'],
      { env },
    );
    expect(result).toMatchObject({
      changed: 1,
      failed: [],
      users: [{ id: ids.prof, username: 'prof', coursesHandedOver: [courses.CHEM], handedTo: ids.keeper }],
    });
    expect(sandbox.query('SELECT owner_id FROM course WHERE code = ?', 'CHEM')).toEqual([{ owner_id: ids.keeper }]);
  });

  it('purge --deleted-before takes only the accounts deleted before that date or that long ago', () => {
    const result = sandbox.run(['purge', '--deleted-before', '30d', '--yes'], { env });
    expect(result).toMatchObject({ code: 0, stdout: 'purged 1 user(s): old1\n' });
    expect(row('old1')).toBeUndefined();
    expect(row('new1')).toBeDefined();
    expect(sandbox.run(['purge', '--deleted-before', 'lately', '--yes'], { env }).code).toBe(5);
    expect(sandbox.run(['purge', 'new1', '--deleted-before', '30d'], { env }).code).toBe(2);
  });
});

describe('roster db backup', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());

  itOnSqlite('writes a consistent snapshot readable by its owner only, and never overwrites', () => {
    seedUsers(sandbox, [{ username: 'ann' }, { username: 'ben' }]);
    const target = path.join(sandbox.dir, 'snap.db');
    const result = sandbox.run(['db', 'backup', target]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^backed up .*roster\\.db to ${target} \\(\\d+ bytes\\)\\n$`));
    expect(fs.statSync(target).mode & 0o777).toBe(0o600);
    const copy = new Database(target, { readonly: true });
    expect(copy.prepare('SELECT username FROM "user" WHERE is_system = 0 ORDER BY id').all()).toEqual([{ username: 'ann' }, { username: 'ben' }]);
    copy.close();
    expect(sandbox.run(['db', 'backup', target])).toMatchObject({ code: 4, stderr: expect.stringContaining('already exists') });
    expect(sandbox.run(['db', 'backup', path.join(sandbox.dir, 'no', 'such', 'dir.db')])).toMatchObject({
      code: 3,
      stderr: expect.stringContaining('no directory'),
    });
  });

  itOnSqlite('stays consistent while another process writes', async () => {
    seedUsers(
      sandbox,
      Array.from({ length: 10000 }, (_, i) => ({ username: `s${i}` })),
    );
    const writer = new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'deactivate', '--role', 'student', '--yes'], {
        env: { PATH: process.env.PATH, HOME: sandbox.dir, ROSTER_DB: sandbox.db },
        stdio: 'ignore',
      });
      child.on('close', resolve);
    });
    const target = path.join(sandbox.dir, 'during.db');
    const backup = sandbox.run(['db', 'backup', target]);
    expect(backup.code).toBe(0);
    expect(await writer).toBe(0);
    const copy = new Database(target, { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    // Either before or after the whole deactivation chunk, never half a chunk's rows without their audit.
    const inactive = (copy.prepare('SELECT count(*) AS n FROM "user" WHERE active = 0 AND is_system = 0').get() as { n: number }).n;
    const audited = (copy.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'user.deactivate'").get() as { n: number }).n;
    expect(inactive).toBe(audited);
    copy.close();
  });
});
