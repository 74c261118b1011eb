import { activateAction, deactivateAction } from '../../src/core/activation';
import { planBatch, previewPlan, runBatch, type BatchAction, type Outcome } from '../../src/core/batch';
import { ConflictError, UsageError } from '../../src/shared/errors';
import { addUser } from '../../src/core/users';
import { tempContext, type TestContext } from './helpers';

describe('batch runner', () => {
  let ctx: TestContext;

  beforeEach(async () => {
    ctx = await tempContext('2026-06-01T00:00:00.000Z');
    for (const name of ['ann', 'ben', 'cid', 'dan']) {
      await addUser(ctx, { firstname: name, lastname: 'Test', email: `${name}@example.org`, username: name, roles: ['student'], password: 'long enough pw' });
    }
  });
  afterEach(() => ctx.cleanup());

  const activeOf = async (username: string) => (await ctx.row<{ active: number }>('select active from "user" where username = ?', username))!.active;
  const auditCount = async (action: string) => (await ctx.row<{ n: number }>('select count(*) n from audit_log where action = ?', action))!.n;

  it('previews the first users of a plan by username, and how many more', async () => {
    const named = await planBatch(ctx, { kind: 'refs', refs: ['dan', 'ann', 'ghost'] });
    expect(await previewPlan(ctx, named)).toEqual({ usernames: ['dan', 'ann'], more: 0 });
    const filtered = await planBatch(ctx, { kind: 'filter', filter: { roles: ['student'] } });
    expect(await previewPlan(ctx, filtered, 3)).toEqual({ usernames: ['ann', 'ben', 'cid'], more: 1 });
    const none = await planBatch(ctx, { kind: 'filter', filter: { roles: ['admin'] } });
    expect(await previewPlan(ctx, none)).toEqual({ usernames: [], more: 0 });
  });

  it('reports unknown references and still changes the others', async () => {
    const plan = await planBatch(ctx, { kind: 'refs', refs: ['ann', 'ghost', 'BEN@example.org', 'ann'] });
    expect(plan.count).toBe(2);
    expect(plan.failed).toEqual([{ ref: 'ghost', message: 'no such user', exitCode: 3 }]);
    const result = await runBatch(ctx, plan, deactivateAction(ctx));
    expect(result.changed.map((u) => u.username)).toEqual(['ann', 'ben']);
    expect(await activeOf('ann')).toBe(0);
    expect(await activeOf('ben')).toBe(0);
    expect(await auditCount('user.deactivate')).toBe(2);
  });

  it('counts users already in the target state as unchanged, without an audit row', async () => {
    await runBatch(ctx, await planBatch(ctx, { kind: 'refs', refs: ['ann'] }), deactivateAction(ctx));
    const again = await runBatch(ctx, await planBatch(ctx, { kind: 'refs', refs: ['ann'] }), deactivateAction(ctx));
    expect(again.changed).toEqual([]);
    expect(again.unchanged.map((u) => u.username)).toEqual(['ann']);
    expect(await auditCount('user.deactivate')).toBe(1);
  });

  it('rolls a refused user back to its savepoint and keeps the rest of the chunk', async () => {
    const halfDone: BatchAction = {
      async apply(user, { trx }): Promise<Outcome> {
        // In the user's savepoint, as an action writes.
        await trx.updateTable('user').set({ firstname: 'CHANGED' }).where('id', '=', user.id).execute();
        if (user.username === 'ben') throw new ConflictError('ben refuses');
        return 'changed';
      },
    };
    const result = await runBatch(ctx, await planBatch(ctx, { kind: 'refs', refs: ['ann', 'ben', 'cid'] }), halfDone);
    expect(result.failed).toEqual([{ ref: 'ben', message: 'ben refuses', exitCode: 4 }]);
    const names = await ctx.rows('select username, firstname from "user" where username in (?, ?, ?) order by username', 'ann', 'ben', 'cid');
    expect(names).toEqual([
      { username: 'ann', firstname: 'CHANGED' },
      { username: 'ben', firstname: 'ben' },
      { username: 'cid', firstname: 'CHANGED' },
    ]);
  });

  it('--atomic changes nothing when one user fails', async () => {
    const plan = await planBatch(ctx, { kind: 'refs', refs: ['ann', 'ben', 'ghost'] });
    const result = await runBatch(ctx, plan, deactivateAction(ctx), { atomic: true });
    expect(result.rolledBack).toBe(true);
    expect(await activeOf('ann')).toBe(1);

    await ctx.execute("update \"user\" set expires_at = '2020-01-01T00:00:00.000Z', active = 0 where username = 'cid'");
    await ctx.execute('update "user" set active = 0 where username = \'dan\'');
    const refused = await runBatch(ctx, await planBatch(ctx, { kind: 'refs', refs: ['dan', 'cid'] }), activateAction(ctx), { atomic: true });
    expect(refused.rolledBack).toBe(true);
    expect(refused.failed[0]?.ref).toBe('cid');
    expect(await activeOf('dan')).toBe(0);
  });

  it('--dry-run reports the changes and writes nothing, audit included', async () => {
    const result = await runBatch(ctx, await planBatch(ctx, { kind: 'filter', filter: { roles: ['student'] } }), deactivateAction(ctx), { dryRun: true });
    expect(result.changed).toHaveLength(4);
    expect(await activeOf('ann')).toBe(1);
    expect(await auditCount('user.deactivate')).toBe(0);
  });

  it('walks a filter selection in small chunks while changing what the filter reads', async () => {
    const plan = await planBatch(ctx, { kind: 'filter', filter: { active: true } });
    expect(plan.count).toBe(4);
    const result = await runBatch(ctx, plan, deactivateAction(ctx), { chunkSize: 1 });
    expect(result.changed).toHaveLength(4);
    expect(await ctx.row('select count(*) n from "user" where active = 1 and is_system = 0')).toEqual({ n: 0 });
  });

  it('refuses a selection without references or filters: never everybody by accident', async () => {
    await expect(planBatch(ctx, { kind: 'filter', filter: {} })).rejects.toBeInstanceOf(UsageError);
    await expect(planBatch(ctx, { kind: 'filter', filter: { system: true } })).rejects.toBeInstanceOf(UsageError);
    await expect(planBatch(ctx, { kind: 'refs', refs: [] })).rejects.toBeInstanceOf(UsageError);
  });

  it('refuses to deactivate the last active admin', async () => {
    await ctx.execute(`insert into user_role (user_id, role) select id, 'admin' from "user" where username in ('ann', 'ben')`);
    const result = await runBatch(ctx, await planBatch(ctx, { kind: 'refs', refs: ['ann', 'ben'] }), deactivateAction(ctx));
    expect(result.changed.map((u) => u.username)).toEqual(['ann']);
    expect(result.failed).toEqual([expect.objectContaining({ ref: 'ben', exitCode: 4, message: expect.stringContaining('last active admin') })]);
  });
});

describe('references that could name two users', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await tempContext('2026-06-01T00:00:00.000Z');
    // id 2 is "two"; "3" is the username of id 4, while id 3 is "three".
    for (const name of ['two', 'three', '3']) {
      await addUser(ctx, { firstname: 'N', lastname: 'T', email: `u${name}@example.org`, username: name, roles: ['student'], password: 'long enough pw' });
    }
  });
  afterAll(() => ctx.cleanup());

  it('takes a bare number as a username when an account has it, else as an id; id:N is always the id', async () => {
    const plan = await planBatch(ctx, { kind: 'refs', refs: ['2', '3', 'id:3'] });
    expect(plan.targets?.map((u) => u.username)).toEqual(['two', '3', 'three']);
    expect(plan.failed).toEqual([]);
  });

  it('refuses a username that is another user’s email, so references stay unambiguous', async () => {
    await expect(
      addUser(ctx, {
        firstname: 'M',
        lastname: 'T',
        email: 'mallory@example.org',
        username: 'utwo@example.org',
        roles: ['student'],
        password: 'long enough pw',
      }),
    ).rejects.toThrow(/is the email of user two/);
    await expect(
      addUser(ctx, { firstname: 'M', lastname: 'T', email: 'two@example.org', username: 'mallory', roles: ['student'], password: 'long enough pw' }),
    ).resolves.toBeDefined();
    await expect(
      addUser(ctx, { firstname: 'M', lastname: 'T', email: 'x@example.org', username: 'two@example.org', roles: ['student'], password: 'long enough pw' }),
    ).rejects.toThrow(/is the email of user mallory/);
  });

  it('treats an empty list from stdin as nothing to do, and no references at all as a usage error', async () => {
    await expect(planBatch(ctx, { kind: 'refs', refs: [], fromStdin: true })).resolves.toMatchObject({ count: 0, failed: [] });
    await expect(planBatch(ctx, { kind: 'refs', refs: [] })).rejects.toBeInstanceOf(UsageError);
  });

  it('foretells an --atomic rollback in a dry run', async () => {
    const plan = await planBatch(ctx, { kind: 'refs', refs: ['two', 'ghost'] });
    expect(await runBatch(ctx, plan, deactivateAction(ctx), { atomic: true, dryRun: true })).toMatchObject({ rolledBack: true, changed: [] });
    const refused: BatchAction = {
      apply(user) {
        if (user.username === 'three') throw new ConflictError('no');
        return 'changed';
      },
    };
    const both = await planBatch(ctx, { kind: 'refs', refs: ['two', 'three'] });
    expect(await runBatch(ctx, both, refused, { atomic: true, dryRun: true })).toMatchObject({ rolledBack: true, changed: [] });
    expect(await runBatch(ctx, both, refused, { dryRun: true })).toMatchObject({ rolledBack: false, changed: [{ username: 'two' }] });
  });
});
