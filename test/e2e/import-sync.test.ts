import { Sandbox } from './helpers';

/**
 * `roster import <file> --deactivate-missing`: the nightly file from HR is
 * the whole truth about a scope; the active accounts of the scope it lacks
 * are deactivated, within a safety limit.
 */
describe('import --deactivate-missing (sync from an HR file)', () => {
  let sandbox: Sandbox;
  const run = (args: string[], input?: string) => sandbox.run(args, { input });
  const HEADER = 'LastName;FirstName;Email;UserName;AuthSource;Status';
  const row = (n: number) => `Tester;Student${n};s${n}@example.org;s${n};hr;5`;
  /** The HR file: students s1…s20 but those left out. */
  const hrFile = (name: string, without: number[] = [], extra: string[] = []) =>
    sandbox.file(
      name,
      [
        HEADER,
        ...Array.from({ length: 20 }, (_, i) => i + 1)
          .filter((n) => !without.includes(n))
          .map(row),
        ...extra,
      ].join('\n') + '\n',
    );
  const active = () => sandbox.query<{ username: string }>('SELECT username FROM "user" WHERE active = 1 AND is_system = 0 ORDER BY id').map((u) => u.username);
  const SCOPE = ['--deactivate-missing', '--role', 'student', '--auth-source', 'hr'];

  beforeEach(() => {
    sandbox = new Sandbox();
    expect(run(['import', hrFile('first.csv')]).code).toBe(0);
    // Outside the scope: a teacher and a student of another source, neither in the HR file.
    sandbox.addUser('tina', [], ['teacher']);
    sandbox.addUser('manu');
  });
  afterEach(() => sandbox.cleanup());

  it('lists in a dry run what it would deactivate, and writes nothing', () => {
    const before = active();
    const result = run(['import', hrFile('hr.csv', [19, 20], [row(21)]), ...SCOPE, '--dry-run']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(
      [
        `checked ${sandbox.dir}/hr.csv (dry run, nothing written): would create 1, update 0, skip 18; 0 failed`,
        'would deactivate 2 of the 20 active accounts of the scope, missing from the file:',
        '  s19',
        '  s20',
        '',
      ].join('\n'),
    );
    expect(active()).toEqual(before);
    expect(sandbox.query('SELECT id FROM audit_log WHERE action = ?', 'user.sync')).toEqual([]);
  });

  it('deactivates the active accounts of the scope the file lacks, once, and audits the run', () => {
    const file = hrFile('hr.csv', [19, 20], [row(21)]);
    const result = run(['import', file, ...SCOPE, '--yes']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(
      [
        `imported ${file}: 1 created, 0 updated, 18 skipped, 0 failed`,
        'deactivated 2 of the 20 active accounts of the scope, missing from the file:',
        '  s19',
        '  s20',
        '',
      ].join('\n'),
    );
    const left = active();
    expect(left).not.toContain('s19');
    expect(left).not.toContain('s20');
    expect(left).toEqual(expect.arrayContaining(['s1', 's18', 's21', 'tina', 'manu']));
    const rows = sandbox.query<{ action: string; user_id: number | null; details: string }>(
      "SELECT action, user_id, details FROM audit_log WHERE action IN ('user.sync', 'user.deactivate') ORDER BY id",
    );
    expect(rows.map((r) => r.action)).toEqual(['user.deactivate', 'user.deactivate', 'user.sync']);
    expect(JSON.parse(rows[2]!.details)).toMatchObject({
      file,
      inScope: 20,
      missing: 2,
      deactivated: 2,
      created: 1,
      skipped: 18,
      rejected: 0,
      limit: '10%',
    });
    // Again: nothing left to deactivate, nothing to confirm.
    const again = run(['import', file, ...SCOPE]);
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(again.stdout).toMatch(/\ndeactivated 0 of the 19 active accounts of the scope: all are in the file\n$/);
    expect(active()).toEqual(left);
  });

  it('refuses, writing nothing, when the file lacks more than --max-deactivate of the scope', () => {
    const before = active();
    const truncated = hrFile('truncated.csv', [11, 12, 13, 14, 15, 16, 17, 18, 19, 20], [row(21)]);
    const result = run(['import', truncated, ...SCOPE, '--yes']);
    expect(result.code).toBe(5);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `roster: error: ${truncated} lacks 10 of the 20 active accounts of the scope (50.0%), more than --max-deactivate 10%: nothing was imported or deactivated\n` +
        `  hint: check that ${truncated} is complete (a truncated export?); --dry-run lists the accounts; if they have all left, raise the limit, e.g. --max-deactivate 50%\n`,
    );
    expect(active()).toEqual(before);
    expect(sandbox.query('SELECT id FROM "user" WHERE username = ?', 's21')).toEqual([]);
    // The dry run the hint offers lists them all, says the run would be refused, and ends as it would.
    const dry = run(['import', truncated, ...SCOPE, '--dry-run']);
    expect(dry.code).toBe(5);
    expect(dry.stdout).toBe(
      [
        `checked ${truncated} (dry run, nothing written): would create 1, update 0, skip 10; 0 failed`,
        'would deactivate 10 of the 20 active accounts of the scope, missing from the file:',
        ...[11, 12, 13, 14, 15, 16, 17, 18, 19, 20].map((n) => `  s${n}`),
        '',
      ].join('\n'),
    );
    expect(dry.stderr).toBe(
      `roster: error: ${truncated} lacks 10 of the 20 active accounts of the scope (50.0%), more than --max-deactivate 10%: without --dry-run, nothing would be imported or deactivated\n` +
        `  hint: check that ${truncated} is complete (a truncated export?); if they have all left, raise the limit, e.g. --max-deactivate 50%\n`,
    );
    const dryJson = run(['import', truncated, ...SCOPE, '--dry-run', '--json']);
    expect(dryJson.code).toBe(5);
    expect((JSON.parse(dryJson.stdout) as { sync: unknown }).sync).toMatchObject({
      dryRun: true,
      refused: expect.stringContaining('more than --max-deactivate 10%'),
      deactivated: expect.arrayContaining([expect.objectContaining({ username: 's11' })]),
    });
    expect(active()).toEqual(before);
    // Raised on purpose, as a share or as a number of accounts.
    expect(run(['import', truncated, ...SCOPE, '--yes', '--max-deactivate', '9']).code).toBe(5);
    const raised = run(['import', truncated, ...SCOPE, '--yes', '--max-deactivate', '50%']);
    expect(raised).toMatchObject({ code: 0, stderr: '' });
    expect(active()).not.toContain('s11');
  });

  it('asks before deactivating, and stops without a terminal unless --yes', () => {
    const before = active();
    const result = run(['import', hrFile('hr.csv', [20], [row(21)]), ...SCOPE]);
    expect(result.code).toBe(7);
    expect(result.stderr).toMatch(
      /^roster: error: Deactivate 1 account of the scope, missing from .*hr\.csv: confirmation needed, but stdin is not a terminal\n/,
    );
    expect(result.stderr).toMatch(/hint: pass --yes to confirm, or --dry-run to see what would change/);
    expect(active()).toEqual(before);
    expect(sandbox.query('SELECT id FROM "user" WHERE username = ?', 's21')).toEqual([]);
  });

  it('keeps the account of a row that fails, and of a row that names it by its email', () => {
    const file = hrFile('hr.csv', [5, 7], ['Tester;Student5;not-an-email;s5;hr;5', 'Tester;Seven;s7@example.org;seven.new;hr;5']);
    const result = run(['import', file, ...SCOPE, '--yes']);
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/row 20: .*not-an-email/);
    expect(result.stdout).toMatch(/\ndeactivated 0 of the 20 active accounts of the scope: all are in the file\n$/);
    expect(active()).toEqual(expect.arrayContaining(['s5', 's7']));
  });

  it('deactivates nothing when an --atomic import is rolled back', () => {
    const before = active();
    const result = run(['import', hrFile('hr.csv', [20], ['Tester;Bad;not-an-email;bad;hr;5']), ...SCOPE, '--yes', '--atomic']);
    expect(result.code).toBe(5);
    expect(result.stdout).toMatch(/\nnothing deactivated: nothing was imported \(--atomic\)\n$/);
    expect(active()).toEqual(before);
  });

  it('reports the sync in the JSON of the import', () => {
    const result = sandbox.json<{ created: number; sync: unknown }>(['import', hrFile('hr.csv', [20]), ...SCOPE, '--yes']);
    expect(result).toMatchObject({
      created: 0,
      sync: { inScope: 20, limit: '10%', deactivated: [{ id: expect.any(Number), username: 's20' }], unchanged: [], failed: [], dryRun: false },
    });
  });

  it('selects by authentication source in list and the batches (edit spells it --where-auth-source)', () => {
    expect(run(['list', '--auth-source', 'hr', '--format', 'count'])).toMatchObject({ code: 0, stdout: '20\n' });
    expect(run(['list', '--auth-source', 'platform', '--format', 'ids']).stdout.trim().split('\n')).toHaveLength(2);
    const edit = run(['edit', '--where-auth-source', 'hr', '--expires', '2027-08-31', '--yes']);
    expect(edit).toMatchObject({ code: 0, stderr: '' });
    expect(sandbox.query('SELECT count(*) AS n FROM "user" WHERE expires_at IS NOT NULL')).toEqual([{ n: 20 }]);
    const unscoped = run(['edit', '--auth-source', 'ldap']);
    expect(unscoped.code).toBe(2);
    expect(unscoped.stderr).toContain('here --auth-source sets a value; to select users by it, use --where-auth-source ldap');
  });

  it('refuses a sync without a scope, and a scope or limit without the sync', () => {
    const file = hrFile('hr.csv');
    const cases: [string[], RegExp][] = [
      [['--deactivate-missing', '--yes'], /--deactivate-missing needs the scope the file covers/],
      [['--role', 'student'], /the filters of list give the scope of --deactivate-missing, which is not given\n {2}hint: add --deactivate-missing/],
      [['--max-deactivate', '5%'], /--max-deactivate goes with --deactivate-missing/],
      [[...SCOPE, '--max-deactivate', 'ten'], /--max-deactivate "ten" is neither a share \(10%\) nor a number of accounts/],
      [[...SCOPE, '--max-deactivate', '150%'], /--max-deactivate "150%" is neither/],
    ];
    for (const [args, message] of cases) {
      const result = run(['import', file, ...args]);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toMatch(message);
    }
  });
});
