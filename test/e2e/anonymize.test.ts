import fs from 'node:fs';
import { Sandbox } from './helpers';
import { PASSWORD, addCourse, auditRows, enrol, seedUsers, type BatchJson } from './seed';
import { itOnSqlite } from '../support/engine';

const env = { ROSTER_TEST_NOW: '2026-06-15T12:00:00.000Z' };

/** Every personal value the account held at some point, as given to roster. */
const OLD = [
  'Zelda',
  'Quixotic',
  'Quixotique',
  'zelda.q',
  'zelda.quixote@example.org',
  'zelda.old.mail@example.org',
  'ZB-99881',
  '+33-611-223344',
  'pics.example.org/zelda',
  'Orbis-Tertius',
];

describe('roster anonymize', () => {
  const sandbox = new Sandbox();
  let id: number;
  let owned: number;
  let enrolled: number;

  /** The database file and its write-ahead log, as bytes a forensic tool would read. */
  const fileText = () =>
    [sandbox.db, `${sandbox.db}-wal`]
      .filter((f) => fs.existsSync(f))
      .map((f) => fs.readFileSync(f).toString('latin1'))
      .join('\n')
      .toLowerCase();

  beforeAll(() => {
    // Enough other users for the tables and the search index to span many pages.
    seedUsers(sandbox, [
      { username: 'boss', roles: ['admin'] },
      ...Array.from({ length: 2000 }, (_, i) => ({ username: `other${i}`, firstname: `First${i}`, lastname: `Last${i}` })),
    ]);
    expect(sandbox.run(['field', 'add', 'motto', '--type', 'text']).code).toBe(0);
    expect(sandbox.run(['field', 'add', 'alumni', '--type', 'boolean']).code).toBe(0);
    id = sandbox.addUser(
      'zelda.q',
      [
        '--email',
        'zelda.quixote@example.org',
        '--firstname',
        'Zelda',
        '--lastname',
        'Quixotic',
        '--official-code',
        'ZB-99881',
        '--phone',
        '+33-611-223344',
        '--picture',
        'https://pics.example.org/zelda.png',
        '--field',
        'motto=Orbis-Tertius',
        '--field',
        'alumni=yes',
      ],
      ['teacher'],
    );
    expect(sandbox.run(['edit', 'zelda.q', '--email', 'zelda.old.mail@example.org', '--lastname', 'Quixotique']).code).toBe(0);
    expect(sandbox.run(['edit', 'zelda.q', '--email', 'zelda.quixote@example.org', '--lastname', 'Quixotic']).code).toBe(0);
    expect(sandbox.run(['login-as', 'zelda.q', '--reason', 'Zelda Quixotic called the helpdesk', '--actor', 'helpdesk'], { env }).code).toBe(0);
    expect(sandbox.run(['auth', 'zelda.q'], { env, input: `${PASSWORD}\n` }).code).toBe(0);
    owned = addCourse(sandbox, 'LIT', id, 'Literature');
    enrolled = addCourse(sandbox, 'ART', null, 'Art');
    enrol(sandbox, enrolled, id);
  });
  afterAll(() => sandbox.cleanup());

  itOnSqlite('(the checks below can see personal data: before, the file holds it and search finds it)', () => {
    const text = fileText();
    expect(OLD.filter((v) => !text.includes(v.toLowerCase()))).toEqual([]);
    expect(sandbox.json<{ id: number }[]>(['search', 'quixot']).map((u) => u.id)).toEqual([id]);
  });

  it('needs a confirmation that says it cannot be undone (exit 7); --dry-run changes nothing', () => {
    const result = sandbox.run(['anonymize', 'zelda.q'], { env });
    expect(result.code).toBe(7);
    expect(result.stderr).toContain(
      'Anonymize zelda.q for good (names, username, email, official code, phone, picture, extra fields and password are erased; this cannot be undone)',
    );
    const dry = sandbox.run(['anonymize', 'zelda.q', '--dry-run'], { env });
    expect(dry).toMatchObject({ code: 0, stdout: 'dry run: would anonymize 1 user(s): zelda.q; nothing was changed\n' });
    expect(sandbox.query('SELECT username, anonymized_at FROM "user" WHERE id = ?', id)).toEqual([{ username: 'zelda.q', anonymized_at: null }]);
  });

  it('replaces the personal data with neutral unique values, deactivates, and keeps enrolments and owned courses', () => {
    const result = sandbox.json<BatchJson & { users: Record<string, unknown>[] }>(['anonymize', 'zelda.q', '--yes'], { env });
    expect(result).toMatchObject({ changed: 1, failed: [] });
    expect(result.users[0]).toMatchObject({
      id,
      username: `anonymous-${id}`,
      email: `anonymous-${id}@anonymized.invalid`,
      firstname: 'Anonymous',
      lastname: 'User',
      officialCode: null,
      phone: null,
      picture: null,
      extra: {},
      roles: ['teacher'],
      active: false,
      anonymizedAt: env.ROSTER_TEST_NOW,
      lastLoginAt: env.ROSTER_TEST_NOW,
    });
    expect(sandbox.query('SELECT password_hash FROM "user" WHERE id = ?', id)).toEqual([{ password_hash: null }]);
    for (const table of ['user_extra_value', 'login_token'])
      expect(sandbox.query(`SELECT count(*) AS n FROM ${table} WHERE user_id = ?`, id)).toEqual([{ n: 0 }]);
    expect(sandbox.query('SELECT owner_id FROM course WHERE id = ?', owned)).toEqual([{ owner_id: id }]);
    expect(sandbox.query('SELECT user_id FROM course_user WHERE course_id = ?', enrolled)).toEqual([{ user_id: id }]);
  });

  itOnSqlite('leaves no trace of any old value: not in search, not in a MATCH query, not in the audit log, not in the file', () => {
    for (const keyword of ['zelda', 'quixotic', 'zelda.quixote@example.org', 'ZB-99881']) {
      expect([keyword, sandbox.run(['search', keyword, '--system']).stdout]).toEqual([keyword, '']);
    }
    expect(sandbox.run(['search', '--email', 'old.mail']).stdout).toBe('');
    for (const value of OLD) {
      const phrase = `"${value.replace(/"/g, '""')}"`;
      expect([value, sandbox.query('SELECT rowid FROM user_search WHERE user_search MATCH ?', phrase)]).toEqual([value, []]);
    }
    expect(sandbox.query("SELECT count(*) AS n FROM user_search WHERE user_search MATCH 'anonymous'")).toEqual([{ n: 1 }]);
    const audit = sandbox
      .query<{ details: string | null; actor: string }>('SELECT details, actor FROM audit_log')
      .map((r) => `${r.actor} ${r.details}`.toLowerCase());
    expect(OLD.filter((v) => audit.some((d) => d.includes(v.toLowerCase())))).toEqual([]);
    const text = fileText();
    expect(OLD.filter((v) => text.includes(v.toLowerCase()))).toEqual([]);
    expect(sandbox.query("SELECT count(*) AS n FROM user_search WHERE user_search MATCH 'first1999'")).toEqual([{ n: 1 }]);
  });

  it('erases the personal values from the earlier audit entries, keeping the other facts', () => {
    const history = sandbox.json<{ action: string; actor: string; details: { changes?: Record<string, unknown>[]; [key: string]: unknown } }[]>([
      'audit',
      '--user',
      `id:${id}`,
    ]);
    expect(history.map((e) => e.action)).toEqual(['user.add', 'user.edit', 'user.edit', 'user.login-as', 'user.login', 'user.anonymize']);
    const added = Object.fromEntries(history[0]!.details.changes!.map((c) => [c.field, c]));
    for (const field of ['username', 'email', 'firstname', 'lastname', 'official_code', 'phone', 'picture', 'extra.motto', 'extra.alumni']) {
      expect(added[field]).toEqual({ field, before: null, after: null, erased: true });
    }
    expect(added.roles).toEqual({ field: 'roles', before: null, after: ['teacher'] });
    expect(added.language).toEqual({ field: 'language', before: null, after: 'en' });
    expect(history[3]).toMatchObject({ actor: 'helpdesk', details: { reason: '[anonymized] called the helpdesk' } });
    expect(history[5]!.details).toMatchObject({ auditEntriesErased: 4, tokensRevoked: 1, changes: [{ field: 'active', before: 1, after: 0 }] });
    expect(sandbox.run(['audit', '--user', `id:${id}`]).stdout).toContain('username: changed (values erased by anonymization)');
  });

  it('the account can no longer log in, be impersonated or edited; anonymizing again changes nothing', () => {
    expect(sandbox.run(['auth', `anonymous-${id}`], { env, input: `${PASSWORD}\n` })).toMatchObject({
      code: 5,
      stderr: 'roster: error: authentication failed: unknown user or wrong password\n',
    });
    expect(sandbox.run(['auth', 'zelda.q'], { env, input: `${PASSWORD}\n` }).code).toBe(5);
    expect(sandbox.run(['login-as', `id:${id}`, '--reason', 'x'], { env })).toMatchObject({
      code: 4,
      stderr: expect.stringContaining('the account is anonymized'),
    });
    expect(sandbox.run(['edit', `id:${id}`, '--firstname', 'Back'], { env }).code).toBe(4);
    expect(sandbox.run(['anonymize', `id:${id}`, '--yes'], { env })).toMatchObject({
      code: 0,
      stdout: `anonymized 0 user(s)\nunchanged 1 user(s) (already anonymized): anonymous-${id}\n`,
    });
    expect(auditRows(sandbox, 'user.anonymize')).toHaveLength(1);
  });

  it('filters of batch commands leave anonymized accounts out: a cron job does not fail on them every run', () => {
    // zelda was the only teacher: the filter now selects nobody, twice in a row.
    for (const verb of ['deactivate', 'activate', 'deactivate']) {
      const result = sandbox.run([verb, '--role', 'teacher', '--yes'], { env });
      expect([verb, result.code, result.stderr]).toEqual([verb, 0, '']);
      expect(result.stdout).not.toContain('anonymous');
    }
    // Named, it is still refused with its reason.
    expect(sandbox.run(['activate', `id:${id}`], { env })).toMatchObject({ code: 4, stderr: expect.stringContaining('is anonymized') });
    // list agrees with the batches (issue 10): it leaves the account out, and --anonymized shows it.
    expect(sandbox.json<{ id: number }[]>(['list', '--role', 'teacher']).map((u) => u.id)).toEqual([]);
    expect(sandbox.json<{ id: number }[]>(['list', '--role', 'teacher', '--anonymized']).map((u) => u.id)).toEqual([id]);
    expect(sandbox.run(['list', '--format', 'ids']).stdout).not.toContain(`id:${id}\n`);
  });

  it('refuses the last active admin (exit 4); a deleted account can be anonymized, then purged', () => {
    expect(sandbox.run(['anonymize', 'boss', '--yes'], { env })).toMatchObject({ code: 4, stderr: expect.stringContaining('boss is the last active admin') });
    expect(sandbox.run(['delete', 'other5', '--yes'], { env }).code).toBe(0);
    expect(sandbox.run(['anonymize', 'other5', '--yes'], { env }).code).toBe(0);
    const deleted = sandbox.json<{ username: string }[]>(['list', '--deleted']);
    expect(deleted.map((u) => u.username)).toEqual([expect.stringMatching(/^anonymous-\d+$/)]);
    expect(sandbox.run(['purge', deleted[0]!.username, '--yes'], { env }).code).toBe(0);
  });
});
