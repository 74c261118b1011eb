import { anonymizeUsers, anonymousIdentity, REDACTED, scrubAuditDetails } from '../../src/core/anonymize';
import { planBatch, runBatch, withoutRefused } from '../../src/core/batch';
import type { ServiceContext } from '../../src/core/context';
import { assertPurgeable, deleteAction, ownedCoursesOf, purgeAction, resolveCourseReceiver, restoreAction } from '../../src/core/deletion';
import { ConflictError, NotFoundError, UsageError, ValidationError } from '../../src/shared/errors';
import { expireAction, expiringSoonFilter, expirySelection } from '../../src/core/expiry';
import { authenticate, hashToken, issueLoginToken, loginUrl } from '../../src/core/login';
import { getSetting, setSetting } from '../../src/core/settings';
import { countUsers, listUsers } from '../../src/core/users';
import { foldedKey, identityKey } from '../../src/shared/folding';
import { itOnSqlite } from '../support/engine';
import { openTestDatabase, type TestDatabase } from './helpers';

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
  let test: TestDatabase;
  let clock = new Date(NOW);
  let ctx: ServiceContext;

  /** A user as the app would store it: its key columns filled as addUser fills them (src/core/users.ts); the id is generated. */
  const seed = async (u: Seed): Promise<number> => {
    const email = `${u.username.toLowerCase()}@example.org`;
    const firstname = u.firstname ?? u.username;
    const lastname = u.lastname ?? 'Unit';
    const inserted = await test.row<{ id: number }>(
      `INSERT INTO "user" (username, username_key, email, email_key, firstname, lastname, firstname_key, lastname_key, username_fold_key, email_fold_key,
         password_hash, language, active, expires_at, registered_at, last_login_at, deleted_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'en', ?, ?, ?, ?, ?) RETURNING id`,
      u.username,
      identityKey(u.username),
      email,
      identityKey(email),
      firstname,
      lastname,
      foldedKey(firstname),
      foldedKey(lastname),
      foldedKey(u.username),
      foldedKey(email),
      u.password_hash ?? null,
      u.active ?? 1,
      u.expires_at ?? null,
      u.registered_at ?? '2026-01-01T00:00:00.000Z',
      u.last_login_at ?? null,
      u.deleted_at ?? null,
    );
    const id = Number(inserted!.id);
    for (const role of u.roles ?? ['student']) await test.execute('INSERT INTO user_role (user_id, role) VALUES (?, ?)', id, role);
    return id;
  };
  const get = (id: number) => test.row<Record<string, unknown>>('SELECT * FROM "user" WHERE id = ?', id);
  const audits = (action: string) =>
    test.rows<{ user_id: number; details: string }>('SELECT user_id, details FROM audit_log WHERE action = ? ORDER BY id', action);

  beforeEach(async () => {
    test = await openTestDatabase();
    clock = new Date(NOW);
    ctx = { db: test.db, now: () => clock, actor: 'unit' };
  });
  afterEach(() => test.cleanup());

  describe('user filters added for the lifecycle', () => {
    it('anyOf, excludeRoles and expiresAfter combine with the rest', async () => {
      await seed({ username: 'a', roles: ['admin'], expires_at: '2026-06-01T00:00:00.000Z' });
      await seed({ username: 'b', expires_at: '2026-06-20T00:00:00.000Z' });
      await seed({ username: 'c', last_login_at: '2025-01-01T00:00:00.000Z' });
      await seed({ username: 'd', expires_at: '2026-06-01T00:00:00.000Z', deleted_at: NOW });
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
      const boss = await seed({ username: 'boss', roles: ['admin'] });
      const due = await seed({ username: 'due', expires_at: '2026-06-15T11:59:59.000Z' });
      const edge = await seed({ username: 'edge', expires_at: NOW });
      const future = await seed({ username: 'future', expires_at: '2026-06-15T12:00:01.000Z' });
      expect((await run()).changed.map((u) => u.id)).toEqual([due, edge]);
      expect((await Promise.all([boss, due, edge, future].map(get))).map((u) => u!.active)).toEqual([1, 0, 0, 1]);
      expect((await run()).changed).toEqual([]);
      expect((await audits('user.expire')).map((r) => r.user_id)).toEqual([due, edge]);
      clock = new Date('2026-06-15T12:00:01.000Z');
      expect((await run()).changed.map((u) => u.id)).toEqual([future]);
    });

    it('dormant accounts: last login, else registration; admins spared unless named; deleted ones never', async () => {
      await seed({ username: 'boss', roles: ['admin'] });
      const sleepyAdmin = await seed({ username: 'sleepyadmin', roles: ['admin'], last_login_at: '2025-01-01T00:00:00.000Z' });
      const stale = await seed({ username: 'stale', last_login_at: '2025-01-01T00:00:00.000Z' });
      const neverUsed = await seed({ username: 'never', registered_at: '2025-01-01T00:00:00.000Z' });
      await seed({ username: 'recent', registered_at: '2025-01-01T00:00:00.000Z', last_login_at: '2026-06-01T00:00:00.000Z' });
      await seed({ username: 'binned', last_login_at: '2025-01-01T00:00:00.000Z', deleted_at: NOW });
      const dormantSince = '2026-01-01T00:00:00.000Z';
      expect((await run({ dormantSince })).changed.map((u) => u.id)).toEqual([stale, neverUsed]);
      expect(JSON.parse((await audits('user.expire'))[0]!.details)).toMatchObject({
        reason: 'inactive',
        lastSeenAt: '2025-01-01T00:00:00.000Z',
        inactiveSince: dormantSince,
      });
      expect((await run({ dormantSince }, ['sleepyadmin', 'recent', 'binned'])).changed.map((u) => u.id)).toEqual([sleepyAdmin]);
      const withRole = expirySelection(ctx, { kind: 'filter', filter: { roles: ['admin'] } }, { dormantSince });
      expect(withRole.kind === 'filter' && withRole.filter.anyOf?.[1]?.excludeRoles).toBeUndefined();
    });

    it('two admins due in one chunk, and no other: one is deactivated, the last is kept (the writes of a chunk come at its end)', async () => {
      const first = await seed({ username: 'a1', roles: ['admin'], last_login_at: '2025-01-01T00:00:00.000Z' });
      const second = await seed({ username: 'a2', roles: ['admin'], last_login_at: '2025-01-01T00:00:00.000Z' });
      const result = await run({ dormantSince: '2026-01-01T00:00:00.000Z' }, ['a1', 'a2']);
      expect(result.changed.map((u) => u.id)).toEqual([first]);
      expect(result.failed).toEqual([expect.objectContaining({ ref: 'a2', exitCode: 4 })]);
      expect((await Promise.all([first, second].map(get))).map((u) => u!.active)).toEqual([0, 1]);
    });

    it('refuses the last active admin with a hint, and the inactive or deleted selections', async () => {
      await seed({ username: 'boss', roles: ['admin'], expires_at: '2026-01-01T00:00:00.000Z' });
      const result = await run();
      expect(result.failed).toEqual([expect.objectContaining({ ref: 'boss', exitCode: 4, hint: expect.stringContaining('roster edit boss --expires') })]);
      expect(() => expirySelection(ctx, { kind: 'filter', filter: { active: false } })).toThrow(UsageError);
      expect(() => expirySelection(ctx, { kind: 'filter', filter: { deleted: true } })).toThrow(UsageError);
    });

    it('--warn: active accounts expiring after now and within the window', async () => {
      await seed({ username: 'past', expires_at: '2026-06-01T00:00:00.000Z' });
      await seed({ username: 'soon', expires_at: '2026-06-18T00:00:00.000Z' });
      await seed({ username: 'far', expires_at: '2026-07-18T00:00:00.000Z' });
      await seed({ username: 'off', active: 0, expires_at: '2026-06-18T00:00:00.000Z' });
      const out: string[] = [];
      for await (const u of listUsers(ctx, expiringSoonFilter(ctx, {}, 7 * 86_400_000), { sort: 'expires' })) out.push(u.username);
      expect(out).toEqual(['soon']);
    });
  });

  describe('delete, restore, purge', () => {
    it('delete and restore toggle deleted_at only; a plan pre-check refuses what is known to fail', async () => {
      await seed({ username: 'boss', roles: ['admin'] });
      const bob = await seed({ username: 'bob', active: 0 });
      const plan = await planBatch(ctx, { kind: 'refs', refs: ['bob', 'fallback'] });
      expect(withoutRefused(plan, assertPurgeable)).toMatchObject({
        count: 0,
        failed: [
          { ref: 'bob', exitCode: 4, hint: 'delete it first: roster delete bob' },
          { ref: 'fallback', exitCode: 4 },
        ],
      });
      const deleted = await runBatch(ctx, await planBatch(ctx, { kind: 'refs', refs: ['bob'] }), deleteAction(ctx));
      expect(deleted.changed).toHaveLength(1);
      expect(await get(bob)).toMatchObject({ deleted_at: NOW, active: 0 });
      await runBatch(ctx, await planBatch(ctx, { kind: 'refs', refs: ['bob'] }), restoreAction());
      expect(await get(bob)).toMatchObject({ deleted_at: null, active: 0 });
    });

    it('the receiver of the courses: the fallback user by default, else a live active account', async () => {
      await seed({ username: 'off', active: 0 });
      await seed({ username: 'binned', deleted_at: NOW });
      await seed({ username: 'ok' });
      expect(await resolveCourseReceiver(ctx)).toEqual({ id: 1, username: 'fallback', fallback: true });
      expect(await resolveCourseReceiver(ctx, 'OK@example.org')).toMatchObject({ username: 'ok', fallback: false });
      await expect(resolveCourseReceiver(ctx, 'off')).rejects.toThrow(ConflictError);
      await expect(resolveCourseReceiver(ctx, 'binned')).rejects.toThrow(ConflictError);
      await expect(resolveCourseReceiver(ctx, 'ghost')).rejects.toThrow(NotFoundError);
    });

    it('purge hands courses over, removes the row and its dependants, and reports the course ids', async () => {
      const teach = await seed({ username: 'teach', roles: ['teacher'], deleted_at: NOW });
      const course = async (code: string) =>
        Number(
          (await test.row<{ id: number }>(
            'INSERT INTO course (code, code_key, title, owner_id, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id',
            code,
            code.toLowerCase(),
            code,
            teach,
            NOW,
          ))!.id,
        );
      const a = await course('A');
      const b = await course('B');
      await test.execute('INSERT INTO course_user (course_id, user_id, role, enrolled_at) VALUES (?, ?, ?, ?)', a, teach, 'teacher', NOW);
      const plan = await planBatch(ctx, { kind: 'refs', refs: ['teach'] });
      expect(await ownedCoursesOf(ctx, plan)).toEqual({
        total: 2,
        courses: [expect.objectContaining({ code: 'A', owner: 'teach' }), expect.objectContaining({ code: 'B' })],
      });
      expect(await ownedCoursesOf(ctx, plan, 1)).toMatchObject({ total: 2, courses: [{ code: 'A' }] });
      const { action, handedOver } = purgeAction(ctx, await resolveCourseReceiver(ctx));
      expect((await runBatch(ctx, plan, action)).changed).toEqual([{ id: teach, username: 'teach' }]);
      expect(handedOver.get(teach)).toEqual([a, b]);
      expect(await get(teach)).toBeUndefined();
      expect(await test.row('SELECT count(*) AS n FROM course_user')).toEqual({ n: 0 });
      expect(await test.rows('SELECT DISTINCT owner_id FROM course')).toEqual([{ owner_id: 1 }]);
      expect(JSON.parse((await audits('user.purge'))[0]!.details)).toEqual({
        auditEntriesErased: 0,
        coursesHandedOver: [a, b],
        sessionsHandedOver: [],
        handedTo: 1,
        backupsHoldingData: { files: [], more: 0 },
      });
    });

    it('purge re-checks the receiver inside its transaction', async () => {
      const teach = await seed({ username: 'teach', deleted_at: NOW });
      await seed({ username: 'heir' });
      await test.execute("INSERT INTO course (code, code_key, title, owner_id, created_at) VALUES ('A', 'a', 'A', ?, ?)", teach, NOW);
      const receiver = await resolveCourseReceiver(ctx, 'heir');
      await test.execute(`UPDATE "user" SET active = 0 WHERE username = 'heir'`);
      const result = await runBatch(ctx, await planBatch(ctx, { kind: 'refs', refs: ['teach'] }), purgeAction(ctx, receiver).action);
      expect(result.failed).toEqual([expect.objectContaining({ exitCode: 4, message: expect.stringContaining('no longer active') })]);
      expect(await get(teach)).toBeDefined();
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
      await seed({ username: 'boss', roles: ['admin'] });
      const victim = await seed({ username: 'victim', password_hash: 'x' });
      await seed({ username: anonymousIdentity(victim).username });
      const result = await anonymizeUsers(ctx, await planBatch(ctx, { kind: 'refs', refs: ['victim'] }));
      expect(result).toMatchObject({ changed: [{ id: victim }] });
      expect(result.leftover).toBeUndefined();
      expect(await get(victim)).toMatchObject({
        username: `anonymous-${victim}-2`,
        email: `anonymous-${victim}-2@anonymized.invalid`,
        password_hash: null,
        active: 0,
        anonymized_at: NOW,
      });
    });

    // It reads SQLite's FTS5 index itself (its shadow tables, MATCH, integrity-check): PostgreSQL searches plain key columns (migration 0009).
    itOnSqlite('removes the old terms from the search index itself, not only from query results', async () => {
      await seed({ username: 'boss', roles: ['admin'] });
      const victim = await seed({ username: 'wxyzq', firstname: 'Wxyzq', lastname: 'Vbnmj' });
      const blobs = async () =>
        (await test.rows<{ block: Buffer }>('SELECT block FROM user_search_data')).map((r) => Buffer.from(r.block).toString('latin1')).join('|');
      const inIndex = async (term: string) => (await blobs()).includes(term);
      expect([await inIndex('wxy'), await inIndex('vbn')]).toEqual([true, true]);
      await anonymizeUsers(ctx, await planBatch(ctx, { kind: 'refs', refs: [`id:${victim}`] }));
      expect([await inIndex('wxy'), await inIndex('vbn')]).toEqual([false, false]);
      expect(await test.rows("SELECT rowid FROM user_search WHERE user_search MATCH 'anonymous'")).toEqual([{ rowid: victim }]);
      await expect(test.execute("INSERT INTO user_search(user_search) VALUES ('integrity-check')")).resolves.toBeUndefined();
      // Secure-delete stays on for every connection (migration 0005): no delete leaves old terms behind.
      expect(await test.row("SELECT v FROM user_search_config WHERE k = 'secure-delete'")).toEqual({ v: 1 });
    });
  });

  describe('login-as and auth', () => {
    it('stores only the SHA-256 of the token; the token logs in once, before it expires', async () => {
      const { hashPassword } = await import('../../src/core/passwords');
      await seed({ username: 'stu', password_hash: await hashPassword('secret words') });
      const issued = await issueLoginToken(ctx, 'stu', { reason: 'support' });
      expect(issued.expiresAt).toBe('2026-06-15T12:15:00.000Z');
      expect(await test.rows('SELECT token_hash FROM login_token')).toEqual([{ token_hash: hashToken(issued.token!) }]);
      clock = new Date('2026-06-15T12:15:00.000Z');
      await expect(authenticate(ctx, 'stu', { kind: 'token', token: issued.token! })).rejects.toThrow(ValidationError);
      clock = new Date('2026-06-15T12:14:59.000Z');
      expect(await authenticate(ctx, 'stu', { kind: 'token', token: issued.token! })).toMatchObject({
        username: 'stu',
        lastLoginAt: '2026-06-15T12:14:59.000Z',
      });
      await expect(authenticate(ctx, 'stu', { kind: 'token', token: issued.token! })).rejects.toThrow(ValidationError);
      expect(await authenticate(ctx, 'STU', { kind: 'password', password: 'secret words' })).toMatchObject({ username: 'stu' });
      await expect(authenticate(ctx, 'stu', { kind: 'password', password: 'secret word' })).rejects.toThrow(
        'authentication failed: unknown user or wrong password',
      );
      await expect(authenticate(ctx, 'nobody', { kind: 'password', password: 'secret words' })).rejects.toThrow(
        'authentication failed: unknown user or wrong password',
      );
    });

    it('two tokens never collide, and the TTL is bounded', async () => {
      await seed({ username: 'stu' });
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
      expect(await audits('config.set')).toHaveLength(1);
      await setSetting(ctx, 'base-url', null);
      expect(await getSetting(ctx, 'base-url')).toBeNull();
    });
  });
});
