import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { anonymizeUsers, anonymousIdentity, REDACTED, scrubAuditDetails } from '../../src/core/anonymize';
import { planBatch, runBatch, withoutRefused } from '../../src/core/batch';
import type { ServiceContext } from '../../src/core/context';
import { assertPurgeable, deleteAction, ownedCoursesOf, purgeAction, resolveCourseReceiver, restoreAction } from '../../src/core/deletion';
import { ConflictError, NotFoundError, UsageError, ValidationError } from '../../src/shared/errors';
import { expireAction, expiringSoonFilter, expirySelection } from '../../src/core/expiry';
import { authenticate, hashToken, issueLoginToken, loginUrl } from '../../src/core/login';
import { getSetting, setSetting } from '../../src/core/settings';
import { countUsers, listUsers } from '../../src/core/users';
import { openSqlite as openDatabase, type SqliteDb as RosterDb } from '../../src/db/database';

process.env.ROSTER_BCRYPT_COST = '4';
const NOW = '2026-06-15T12:00:00.000Z';

interface Seed {
  username: string;
  roles?: string[];
  active?: number;
  firstname?: string;
  lastname?: string;
  expires_at?: string | null;
  registered_at?: string;
  last_login_at?: string | null;
  deleted_at?: string | null;
  password_hash?: string | null;
}

describe('lifecycle core', () => {
  let dir: string;
  let db: RosterDb;
  let clock = new Date(NOW);
  let ctx: ServiceContext;

  const seed = (u: Seed): number => {
    const id = Number(
      db.raw
        .prepare(
          `INSERT INTO user (username, username_key, email, email_key, firstname, lastname, firstname_key, lastname_key, password_hash, language, active, expires_at, registered_at, last_login_at, deleted_at)
           VALUES (@username, @key, @email, @email, @firstname, @lastname, lower(@firstname), lower(@lastname), @password_hash, 'en', @active, @expires_at, @registered_at, @last_login_at, @deleted_at)`,
        )
        .run({
          username: u.username,
          key: u.username.toLowerCase(),
          email: `${u.username.toLowerCase()}@example.org`,
          firstname: u.firstname ?? u.username,
          lastname: u.lastname ?? 'Unit',
          password_hash: u.password_hash ?? null,
          active: u.active ?? 1,
          expires_at: u.expires_at ?? null,
          registered_at: u.registered_at ?? '2026-01-01T00:00:00.000Z',
          last_login_at: u.last_login_at ?? null,
          deleted_at: u.deleted_at ?? null,
        }).lastInsertRowid,
    );
    for (const role of u.roles ?? ['student']) db.raw.prepare('INSERT INTO user_role (user_id, role) VALUES (?, ?)').run(id, role);
    return id;
  };
  const get = (id: number) => db.raw.prepare('SELECT * FROM user WHERE id = ?').get(id) as Record<string, unknown> | undefined;
  const audits = (action: string) => db.raw.prepare('SELECT user_id, details FROM audit_log WHERE action = ? ORDER BY id').all(action) as { user_id: number; details: string }[];

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-unit-'));
    db = await openDatabase(path.join(dir, 'roster.db'));
    clock = new Date(NOW);
    ctx = { db, now: () => clock, actor: 'unit' };
  });
  afterEach(async () => {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('user filters added for the lifecycle', () => {
    it('anyOf, excludeRoles and expiresAfter combine with the rest', async () => {
      seed({ username: 'a', roles: ['admin'], expires_at: '2026-06-01T00:00:00.000Z' });
      seed({ username: 'b', expires_at: '2026-06-20T00:00:00.000Z' });
      seed({ username: 'c', last_login_at: '2025-01-01T00:00:00.000Z' });
      seed({ username: 'd', expires_at: '2026-06-01T00:00:00.000Z', deleted_at: NOW });
      const names = async (filter: Parameters<typeof listUsers>[1]) => {
        const out: string[] = [];
        for await (const u of listUsers(ctx, filter, { sort: 'username' })) out.push(u.username);
        return out;
      };
      expect(await names({ anyOf: [{ expiredAt: NOW }, { dormantSince: '2025-06-01T00:00:00.000Z' }] })).toEqual(['a', 'c']);
      expect(await names({ anyOf: [{ expiredAt: NOW }], excludeRoles: ['admin'] })).toEqual([]);
      expect(await names({ expiresAfter: NOW })).toEqual(['b']);
      expect(await names({ anyOf: [] })).toEqual([]);
      expect(await countUsers(ctx, { deleted: true, anyOf: [{ expiredAt: NOW }] })).toBe(1);
    });
  });

  describe('expiry', () => {
    const run = async (options: { dormantSince?: string } = {}, refs?: string[]) => {
      const selection = expirySelection(ctx, refs ? { kind: 'refs', refs } : { kind: 'filter', filter: {} }, options);
      return runBatch(ctx, await planBatch(ctx, selection), expireAction(ctx, options));
    };

    it('deactivates active accounts whose date has passed, once; a second run finds nothing', async () => {
      const boss = seed({ username: 'boss', roles: ['admin'] });
      const due = seed({ username: 'due', expires_at: '2026-06-15T11:59:59.000Z' });
      const edge = seed({ username: 'edge', expires_at: NOW });
      const future = seed({ username: 'future', expires_at: '2026-06-15T12:00:01.000Z' });
      expect((await run()).changed.map((u) => u.id)).toEqual([due, edge]);
      expect([boss, due, edge, future].map((id) => get(id)!.active)).toEqual([1, 0, 0, 1]);
      expect((await run()).changed).toEqual([]);
      expect(audits('user.expire').map((r) => r.user_id)).toEqual([due, edge]);
      clock = new Date('2026-06-15T12:00:01.000Z');
      expect((await run()).changed.map((u) => u.id)).toEqual([future]);
    });

    it('dormant accounts: last login, else registration; admins spared unless named; deleted ones never', async () => {
      seed({ username: 'boss', roles: ['admin'] });
      const sleepyAdmin = seed({ username: 'sleepyadmin', roles: ['admin'], last_login_at: '2025-01-01T00:00:00.000Z' });
      const stale = seed({ username: 'stale', last_login_at: '2025-01-01T00:00:00.000Z' });
      const neverUsed = seed({ username: 'never', registered_at: '2025-01-01T00:00:00.000Z' });
      seed({ username: 'recent', registered_at: '2025-01-01T00:00:00.000Z', last_login_at: '2026-06-01T00:00:00.000Z' });
      seed({ username: 'binned', last_login_at: '2025-01-01T00:00:00.000Z', deleted_at: NOW });
      const dormantSince = '2026-01-01T00:00:00.000Z';
      expect((await run({ dormantSince })).changed.map((u) => u.id)).toEqual([stale, neverUsed]);
      expect(JSON.parse(audits('user.expire')[0]!.details)).toMatchObject({ reason: 'inactive', lastSeenAt: '2025-01-01T00:00:00.000Z', inactiveSince: dormantSince });
      expect((await run({ dormantSince }, ['sleepyadmin', 'recent', 'binned'])).changed.map((u) => u.id)).toEqual([sleepyAdmin]);
      const withRole = expirySelection(ctx, { kind: 'filter', filter: { roles: ['admin'] } }, { dormantSince });
      expect(withRole.kind === 'filter' && withRole.filter.anyOf?.[1]?.excludeRoles).toBeUndefined();
    });

    it('two admins due in one chunk, and no other: one is deactivated, the last is kept (the writes of a chunk come at its end)', async () => {
      const first = seed({ username: 'a1', roles: ['admin'], last_login_at: '2025-01-01T00:00:00.000Z' });
      const second = seed({ username: 'a2', roles: ['admin'], last_login_at: '2025-01-01T00:00:00.000Z' });
      const result = await run({ dormantSince: '2026-01-01T00:00:00.000Z' }, ['a1', 'a2']);
      expect(result.changed.map((u) => u.id)).toEqual([first]);
      expect(result.failed).toEqual([expect.objectContaining({ ref: 'a2', exitCode: 4 })]);
      expect([first, second].map((id) => get(id)!.active)).toEqual([0, 1]);
    });

    it('refuses the last active admin with a hint, and the inactive or deleted selections', async () => {
      seed({ username: 'boss', roles: ['admin'], expires_at: '2026-01-01T00:00:00.000Z' });
      const result = await run();
      expect(result.failed).toEqual([expect.objectContaining({ ref: 'boss', exitCode: 4, hint: expect.stringContaining('roster edit boss --expires') })]);
      expect(() => expirySelection(ctx, { kind: 'filter', filter: { active: false } })).toThrow(UsageError);
      expect(() => expirySelection(ctx, { kind: 'filter', filter: { deleted: true } })).toThrow(UsageError);
    });

    it('--warn: active accounts expiring after now and within the window', async () => {
      seed({ username: 'past', expires_at: '2026-06-01T00:00:00.000Z' });
      seed({ username: 'soon', expires_at: '2026-06-18T00:00:00.000Z' });
      seed({ username: 'far', expires_at: '2026-07-18T00:00:00.000Z' });
      seed({ username: 'off', active: 0, expires_at: '2026-06-18T00:00:00.000Z' });
      const out: string[] = [];
      for await (const u of listUsers(ctx, expiringSoonFilter(ctx, {}, 7 * 86_400_000), { sort: 'expires' })) out.push(u.username);
      expect(out).toEqual(['soon']);
    });
  });

  describe('delete, restore, purge', () => {
    it('delete and restore toggle deleted_at only; a plan pre-check refuses what is known to fail', async () => {
      seed({ username: 'boss', roles: ['admin'] });
      const bob = seed({ username: 'bob', active: 0 });
      const plan = await planBatch(ctx, { kind: 'refs', refs: ['bob', 'fallback'] });
      expect(withoutRefused(plan, assertPurgeable)).toMatchObject({ count: 0, failed: [{ ref: 'bob', exitCode: 4, hint: 'delete it first: roster delete bob' }, { ref: 'fallback', exitCode: 4 }] });
      const deleted = await runBatch(ctx, await planBatch(ctx, { kind: 'refs', refs: ['bob'] }), deleteAction(ctx));
      expect(deleted.changed).toHaveLength(1);
      expect(get(bob)).toMatchObject({ deleted_at: NOW, active: 0 });
      await runBatch(ctx, await planBatch(ctx, { kind: 'refs', refs: ['bob'] }), restoreAction());
      expect(get(bob)).toMatchObject({ deleted_at: null, active: 0 });
    });

    it('the receiver of the courses: the fallback user by default, else a live active account', async () => {
      seed({ username: 'off', active: 0 });
      seed({ username: 'binned', deleted_at: NOW });
      seed({ username: 'ok' });
      expect(await resolveCourseReceiver(ctx)).toEqual({ id: 1, username: 'fallback', fallback: true });
      expect(await resolveCourseReceiver(ctx, 'OK@example.org')).toMatchObject({ username: 'ok', fallback: false });
      await expect(resolveCourseReceiver(ctx, 'off')).rejects.toThrow(ConflictError);
      await expect(resolveCourseReceiver(ctx, 'binned')).rejects.toThrow(ConflictError);
      await expect(resolveCourseReceiver(ctx, 'ghost')).rejects.toThrow(NotFoundError);
    });

    it('purge hands courses over, removes the row and its dependants, and reports the course ids', async () => {
      const teach = seed({ username: 'teach', roles: ['teacher'], deleted_at: NOW });
      const course = (code: string) => Number(db.raw.prepare("INSERT INTO course (code, code_key, title, owner_id, created_at) VALUES (?, ?, ?, ?, ?)").run(code, code.toLowerCase(), code, teach, NOW).lastInsertRowid);
      const a = course('A');
      const b = course('B');
      db.raw.prepare('INSERT INTO course_user (course_id, user_id, role, enrolled_at) VALUES (?, ?, ?, ?)').run(a, teach, 'teacher', NOW);
      const plan = await planBatch(ctx, { kind: 'refs', refs: ['teach'] });
      expect(await ownedCoursesOf(ctx, plan)).toEqual({ total: 2, courses: [expect.objectContaining({ code: 'A', owner: 'teach' }), expect.objectContaining({ code: 'B' })] });
      expect(await ownedCoursesOf(ctx, plan, 1)).toMatchObject({ total: 2, courses: [{ code: 'A' }] });
      const { action, handedOver } = purgeAction(ctx, await resolveCourseReceiver(ctx));
      expect((await runBatch(ctx, plan, action)).changed).toEqual([{ id: teach, username: 'teach' }]);
      expect(handedOver.get(teach)).toEqual([a, b]);
      expect(get(teach)).toBeUndefined();
      expect(db.raw.prepare('SELECT count(*) AS n FROM course_user').get()).toEqual({ n: 0 });
      expect(db.raw.prepare('SELECT DISTINCT owner_id FROM course').all()).toEqual([{ owner_id: 1 }]);
      expect(JSON.parse(audits('user.purge')[0]!.details)).toEqual({ auditEntriesErased: 0, coursesHandedOver: [a, b], sessionsHandedOver: [], handedTo: 1, backupsHoldingData: { files: [], more: 0 } });
    });

    it('purge re-checks the receiver inside its transaction', async () => {
      const teach = seed({ username: 'teach', deleted_at: NOW });
      seed({ username: 'heir' });
      db.raw.prepare("INSERT INTO course (code, code_key, title, owner_id, created_at) VALUES ('A', 'a', 'A', ?, ?)").run(teach, NOW);
      const receiver = await resolveCourseReceiver(ctx, 'heir');
      db.raw.prepare("UPDATE user SET active = 0 WHERE username = 'heir'").run();
      const result = await runBatch(ctx, await planBatch(ctx, { kind: 'refs', refs: ['teach'] }), purgeAction(ctx, receiver).action);
      expect(result.failed).toEqual([expect.objectContaining({ exitCode: 4, message: expect.stringContaining('no longer active') })]);
      expect(get(teach)).toBeDefined();
    });
  });

  describe('anonymize', () => {
    it('scrubAuditDetails erases personal fields and personal text, keeps the rest, and returns the same object when clean', () => {
      const details = {
        changes: [
          { field: 'email', before: 'a@x.org', after: 'b@x.org' },
          { field: 'extra.cohort', before: null, after: '2026' },
          { field: 'roles', before: ['student'], after: ['teacher'] },
          { field: 'password', before: null, after: null, secret: true },
        ],
        reason: 'Ada Lovelace asked; ada.l said Adamant',
        nested: { note: ['call ADA LOVELACE'] },
      };
      expect(scrubAuditDetails(details, ['Ada Lovelace', 'ada.l', 'Ada', 'L'])).toEqual({
        changes: [
          { field: 'email', before: null, after: null, erased: true },
          { field: 'extra.cohort', before: null, after: null, erased: true },
          { field: 'roles', before: ['student'], after: ['teacher'] },
          { field: 'password', before: null, after: null, secret: true },
        ],
        reason: `${REDACTED} asked; ${REDACTED} said Adamant`,
        nested: { note: [`call ${REDACTED}`] },
      });
      const clean = { reason: 'nothing personal', changes: [{ field: 'active', before: 1, after: 0 }] };
      expect(scrubAuditDetails(clean, ['Ada'])).toBe(clean);
    });

    it('scrubAuditDetails never cuts into a date: a personal 2027 leaves 2027-06-30 alone, a personal date is erased whole', () => {
      const details = {
        changes: [{ field: 'expires_at', before: null, after: '2027-06-30T23:59:59.999Z' }],
        expiresAt: '2027-11-29T05:29:50Z',
        birthday: '1990-04-01',
        reason: 'code 2027 asked',
      };
      expect(scrubAuditDetails(details, ['2027', '1990-04-01'])).toEqual({
        changes: [{ field: 'expires_at', before: null, after: '2027-06-30T23:59:59.999Z' }],
        expiresAt: '2027-11-29T05:29:50Z',
        birthday: REDACTED,
        reason: `code ${REDACTED} asked`,
      });
    });

    it('keeps identities unique even when a real account holds anonymous-<id>', async () => {
      seed({ username: 'boss', roles: ['admin'] });
      const victim = seed({ username: 'victim', password_hash: 'x' });
      seed({ username: anonymousIdentity(victim).username });
      const result = await anonymizeUsers(ctx, await planBatch(ctx, { kind: 'refs', refs: ['victim'] }));
      expect(result).toMatchObject({ changed: [{ id: victim }] });
      expect(result.leftover).toBeUndefined();
      expect(get(victim)).toMatchObject({ username: `anonymous-${victim}-2`, email: `anonymous-${victim}-2@anonymized.invalid`, password_hash: null, active: 0, anonymized_at: NOW });
    });

    it('removes the old terms from the search index itself, not only from query results', async () => {
      seed({ username: 'boss', roles: ['admin'] });
      const victim = seed({ username: 'wxyzq', firstname: 'Wxyzq', lastname: 'Vbnmj' });
      const blobs = () => (db.raw.prepare('SELECT block FROM user_search_data').all() as { block: Buffer }[]).map((r) => Buffer.from(r.block).toString('latin1')).join('|');
      const inIndex = (term: string) => blobs().includes(term);
      expect([inIndex('wxy'), inIndex('vbn')]).toEqual([true, true]);
      await anonymizeUsers(ctx, await planBatch(ctx, { kind: 'refs', refs: [`id:${victim}`] }));
      expect([inIndex('wxy'), inIndex('vbn')]).toEqual([false, false]);
      expect(db.raw.prepare("SELECT rowid FROM user_search WHERE user_search MATCH 'anonymous'").all()).toEqual([{ rowid: victim }]);
      expect(() => db.raw.prepare("INSERT INTO user_search(user_search) VALUES ('integrity-check')").run()).not.toThrow();
      // Secure-delete stays on for every connection (migration 0005): no delete leaves old terms behind.
      expect(db.raw.prepare("SELECT v FROM user_search_config WHERE k = 'secure-delete'").get()).toEqual({ v: 1 });
    });
  });

  describe('login-as and auth', () => {
    it('stores only the SHA-256 of the token; the token logs in once, before it expires', async () => {
      const { hashPassword } = await import('../../src/core/passwords');
      seed({ username: 'stu', password_hash: await hashPassword('secret words') });
      const issued = await issueLoginToken(ctx, 'stu', { reason: 'support' });
      expect(issued.expiresAt).toBe('2026-06-15T12:15:00.000Z');
      expect(db.raw.prepare('SELECT token_hash FROM login_token').all()).toEqual([{ token_hash: hashToken(issued.token!) }]);
      clock = new Date('2026-06-15T12:15:00.000Z');
      await expect(authenticate(ctx, 'stu', { kind: 'token', token: issued.token! })).rejects.toThrow(ValidationError);
      clock = new Date('2026-06-15T12:14:59.000Z');
      expect(await authenticate(ctx, 'stu', { kind: 'token', token: issued.token! })).toMatchObject({ username: 'stu', lastLoginAt: '2026-06-15T12:14:59.000Z' });
      await expect(authenticate(ctx, 'stu', { kind: 'token', token: issued.token! })).rejects.toThrow(ValidationError);
      expect(await authenticate(ctx, 'STU', { kind: 'password', password: 'secret words' })).toMatchObject({ username: 'stu' });
      await expect(authenticate(ctx, 'stu', { kind: 'password', password: 'secret word' })).rejects.toThrow('authentication failed: unknown user or wrong password');
      await expect(authenticate(ctx, 'nobody', { kind: 'password', password: 'secret words' })).rejects.toThrow('authentication failed: unknown user or wrong password');
    });

    it('two tokens never collide, and the TTL is bounded', async () => {
      seed({ username: 'stu' });
      const a = await issueLoginToken(ctx, 'stu', { reason: 'r' });
      const b = await issueLoginToken(ctx, 'stu', { reason: 'r' });
      expect(a.token).not.toBe(b.token);
      await expect(issueLoginToken(ctx, 'stu', { reason: 'r', ttlMs: 59_000 })).rejects.toThrow(ValidationError);
      await expect(issueLoginToken(ctx, 'stu', { reason: 'r', ttlMs: 86_400_001 })).rejects.toThrow(ValidationError);
      await expect(issueLoginToken(ctx, 'stu', { reason: ' ' })).rejects.toThrow(UsageError);
    });

    it('builds login URLs from the base URL, with or without placeholders', () => {
      expect(loginUrl('https://c.example.org/', 'a b', 'T')).toBe('https://c.example.org/?user=a%20b&token=T');
      expect(loginUrl('https://c.example.org/login?lang=fr', 'ann', 'T')).toBe('https://c.example.org/login?lang=fr&user=ann&token=T');
      expect(loginUrl('https://c.example.org/as/{user}?t={token}', 'ann', 'T')).toBe('https://c.example.org/as/ann?t=T');
    });

    it('settings: validated, audited, unchanged values write nothing', async () => {
      await expect(setSetting(ctx, 'base-url', 'campus.example.org')).rejects.toThrow(ValidationError);
      await expect(setSetting(ctx, 'theme', 'dark')).rejects.toThrow(UsageError);
      expect(await setSetting(ctx, 'base-url', ' https://c.example.org/ ')).toEqual({ key: 'base-url', before: null, after: 'https://c.example.org/' });
      await setSetting(ctx, 'base-url', 'https://c.example.org/');
      expect(await getSetting(ctx, 'base-url')).toBe('https://c.example.org/');
      expect(audits('config.set')).toHaveLength(1);
      await setSetting(ctx, 'base-url', null);
      expect(await getSetting(ctx, 'base-url')).toBeNull();
    });
  });
});
