import { audit, listAudit } from '../../src/core/audit';
import { addUser, editUser } from '../../src/core/users';
import { caught, tempContext, type TestContext } from './helpers';

describe('the audit log', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await tempContext('2026-03-01T10:00:00.000Z');
  });
  afterAll(() => ctx.cleanup());

  it('never stores the before or after of a secret change, whatever the caller passed', async () => {
    await ctx.db.kysely.transaction().execute((trx) =>
      audit(trx, ctx, 'user.edit', 42, {
        changes: [
          { field: 'password', before: '$2b$10$oldhasholdhasholdhasholdhasholdhasholdhasholdhashold', after: 'plain-text-secret', secret: true },
          { field: 'firstname', before: 'A', after: 'B' },
        ],
        reason: 'test',
      }),
    );
    const row = (await ctx.row<{ details: string; at: string; actor: string; action: string; user_id: number }>('SELECT * FROM audit_log'))!;
    expect(row).toMatchObject({ at: '2026-03-01T10:00:00.000Z', actor: 'unit-tester', action: 'user.edit', user_id: 42 });
    expect(row.details).not.toContain('plain-text-secret');
    expect(row.details).not.toContain('oldhash');
    expect(JSON.parse(row.details)).toEqual({
      changes: [
        { field: 'password', before: null, after: null, secret: true },
        { field: 'firstname', before: 'A', after: 'B' },
      ],
      reason: 'test',
    });
  });

  it('writes its row in the transaction of the change: a rollback takes both away', async () => {
    const before = (await ctx.row<{ n: number }>('SELECT count(*) AS n FROM audit_log'))!.n;
    await expect(
      ctx.db.kysely.transaction().execute(async (trx) => {
        await audit(trx, ctx, 'user.edit', 1, { changes: [] });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await ctx.row('SELECT count(*) AS n FROM audit_log')).toEqual({ n: before });
  });

  it('is listed by user, action family, date and count', async () => {
    ctx.setNow('2026-03-02T10:00:00.000Z');
    const { user: ada } = await addUser(ctx, {
      firstname: 'Ada',
      lastname: 'L',
      email: 'ada@example.org',
      username: 'ada',
      roles: ['student'],
      password: 'long enough',
    });
    ctx.setNow('2026-03-03T10:00:00.000Z');
    await addUser(ctx, { firstname: 'Bob', lastname: 'M', email: 'bob@example.org', username: 'bob', roles: ['student'], password: 'long enough' });
    ctx.setNow('2026-03-04T10:00:00.000Z');
    await editUser(ctx, 'ada', { lastname: 'Lovelace' });
    await editUser(ctx, 'ada', { password: 'another secret' });

    const forAda = await listAudit(ctx, { user: 'ADA@example.org' });
    expect(forAda.map((e) => [e.action, e.at])).toEqual([
      ['user.add', '2026-03-02T10:00:00.000Z'],
      ['user.edit', '2026-03-04T10:00:00.000Z'],
      ['user.edit', '2026-03-04T10:00:00.000Z'],
    ]);
    expect(forAda.every((e) => e.userId === ada.id && e.actor === 'unit-tester')).toBe(true);
    expect(forAda[1]!.details).toEqual({ changes: [{ field: 'lastname', before: 'L', after: 'Lovelace' }] });

    expect((await listAudit(ctx, { action: 'user' })).map((e) => e.action)).toEqual(['user.edit', 'user.add', 'user.add', 'user.edit', 'user.edit']);
    expect((await listAudit(ctx, { action: 'user.add' })).length).toBe(2);
    // An action roster never writes is a usage error, not an empty list (issue 10).
    await expect(listAudit(ctx, { action: 'use' })).rejects.toMatchObject({ exitCode: 2, message: '--action: "use" is no action roster records' });
    expect(forAda.every((e) => e.username === 'ada')).toBe(true);
    expect((await listAudit(ctx, { since: '2026-03-03T00:00:00.000Z' })).map((e) => e.action)).toEqual(['user.add', 'user.edit', 'user.edit']);
  });

  it('with a limit, shows the latest entries, oldest first', async () => {
    const latest = await listAudit(ctx, { limit: 2 });
    expect(latest.map((e) => e.details?.changes?.[0]?.field)).toEqual(['lastname', 'password']);
    const all = await listAudit(ctx, {});
    expect(latest).toEqual(all.slice(-2));
  });

  it('never holds a password or a hash, in any row', async () => {
    const hashes = (await ctx.rows<{ password_hash: string }>('SELECT password_hash FROM "user" WHERE password_hash IS NOT NULL')).map((r) => r.password_hash);
    const text = (await ctx.rows<{ details: string }>('SELECT details FROM audit_log')).map((r) => r.details).join('\n');
    for (const hash of hashes) expect(text).not.toContain(hash);
    expect(text).not.toMatch(/\$2[aby]\$/);
    expect(text).not.toContain('long enough');
    expect(text).not.toContain('another secret');
  });

  it('names an unknown user, but keeps the trail of a user id that is gone', async () => {
    expect(await caught(listAudit(ctx, { user: 'nobody' }))).toMatchObject({ exitCode: 3, message: 'no user "nobody"' });
    await ctx.execute("INSERT INTO audit_log (at, actor, action, user_id, details) VALUES ('2026-03-05T00:00:00.000Z', 'x', 'user.purge', 4242, NULL)");
    expect((await listAudit(ctx, { user: 'id:4242' })).map((e) => e.action)).toEqual(['user.purge']);
  });
});
