import type { ColumnLayout } from '../../src/core/import-columns';
import { parseDeactivationLimit, planSync } from '../../src/core/import-sync';
import { addUser } from '../../src/core/users';
import type { UserFile } from '../../src/formats/user-file';
import { caught, tempContext, type TestContext } from './helpers';

/** A file of username;email rows, as scanUserFile gives it. */
function userFile(rows: [string, string][]): UserFile {
  return {
    name: 'hr.csv',
    format: 'csv',
    columns: ['UserName', 'Email'],
    rows: rows.length,
    async *records() {
      for (const [i, values] of rows.entries()) yield { row: i + 2, values };
    },
  };
}
const LAYOUT: ColumnLayout = { standard: { username: 0, email: 1 }, extras: [], labels: new Map() };

describe('the deactivation limit of a sync', () => {
  it('reads a share or a number of accounts, and nothing else', async () => {
    expect(parseDeactivationLimit('10%')).toEqual({ percent: 10 });
    expect(parseDeactivationLimit(' 2.5 % ')).toEqual({ percent: 2.5 });
    expect(parseDeactivationLimit('100%')).toEqual({ percent: 100 });
    expect(parseDeactivationLimit('0')).toEqual({ count: 0 });
    expect(parseDeactivationLimit('25')).toEqual({ count: 25 });
    for (const bad of ['', 'ten', '10 percent', '-5', '101%', '1e3', '%']) {
      expect(await caught(() => parseDeactivationLimit(bad))).toMatchObject({ name: 'UsageError', exitCode: 2 });
    }
  });
});

describe('what a sync finds missing', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await tempContext();
    for (let n = 1; n <= 10; n++) {
      await addUser(ctx, { firstname: `S${n}`, lastname: 'T', email: `s${n}@example.org`, username: `s${n}`, roles: ['student'], password: 'long enough pw' });
    }
    await addUser(ctx, { firstname: 'T', lastname: 'T', email: 't@example.org', username: 'teach', roles: ['teacher'], password: 'long enough pw' });
  });
  afterAll(() => ctx.cleanup());

  const everyone = (): [string, string][] => Array.from({ length: 10 }, (_, i) => [`s${i + 1}`, `s${i + 1}@example.org`]);

  it('the active accounts of the scope that no row names, by username or email, whatever their case', async () => {
    const rows = everyone().filter(([u]) => u !== 's3');
    rows[0] = ['S1', ''];
    rows[1] = ['renamed', 'S2@EXAMPLE.ORG'];
    const plan = await planSync(ctx, userFile(rows), LAYOUT, { roles: ['student'] }, { percent: 10 });
    expect(plan).toMatchObject({ inScope: 10, missing: [{ id: expect.any(Number), username: 's3' }] });
  });

  it('refuses above the limit, share or number, before anything is written', async () => {
    const file = userFile(everyone().slice(0, 8));
    expect((await planSync(ctx, file, LAYOUT, { roles: ['student'] }, { percent: 20 })).missing).toHaveLength(2);
    expect(await caught(planSync(ctx, file, LAYOUT, { roles: ['student'] }, { percent: 19.9 }))).toMatchObject({
      name: 'ValidationError',
      exitCode: 5,
      message: expect.stringContaining('hr.csv lacks 2 of the 10 active accounts of the scope (20.0%), more than --max-deactivate 19.9%'),
    });
    expect(await caught(planSync(ctx, file, LAYOUT, { roles: ['student'] }, { count: 1 }))).toMatchObject({
      message: expect.stringContaining('more than --max-deactivate 1 account:'),
    });
  });

  it('needs a scope: a sync never means every account', async () => {
    expect(await caught(planSync(ctx, userFile(everyone()), LAYOUT, {}, { percent: 100 }))).toMatchObject({ name: 'UsageError', exitCode: 2 });
    expect(await caught(planSync(ctx, userFile(everyone()), LAYOUT, { system: true }, { percent: 100 }))).toMatchObject({ name: 'UsageError' });
  });
});
