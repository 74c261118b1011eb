import { Sandbox } from './helpers';

/**
 * Passwords hashed with the native bcrypt (the default where it installed) are
 * checked by bcryptjs (ROSTER_BCRYPT=bcryptjs) and the other way round: a
 * database outlives the machine that wrote it.
 */
describe('passwords across the two bcrypt backends', () => {
  const sandbox = new Sandbox();
  beforeAll(() => expect(sandbox.run(['db', 'migrate'])).toMatchObject({ code: 0 }));
  afterAll(() => sandbox.cleanup());
  const javascript = { ROSTER_BCRYPT: 'bcryptjs' };
  const auth = (user: string, password: string, env: Record<string, string> = {}) => sandbox.run(['auth', user], { input: `${password}\n`, env });

  it('imports plaintext passwords in the worker threads of the built bundle, checked by either backend', () => {
    const csv = sandbox.file(
      'term.csv',
      'LastName;FirstName;Email;UserName;Password;Status\nMcfly;Marty;marty@example.com;marty;flux capacitor;5\nBrown;Emmett;doc@example.com;doc;great scott 1955;1\n',
    );
    const imported = sandbox.run(['import', csv, '--yes']);
    expect(imported).toMatchObject({ code: 0, stderr: '' });
    const hashes = sandbox.query<{ username: string; password_hash: string }>(
      `SELECT username, password_hash FROM "user" WHERE username <> 'fallback' ORDER BY username`,
    );
    for (const { password_hash } of hashes) expect(password_hash).toMatch(/^\$2b\$04\$[./A-Za-z0-9]{53}$/);
    expect(hashes.map((h) => h.username)).toEqual(['doc', 'marty']);
    for (const env of [{}, javascript]) {
      expect(auth('marty', 'flux capacitor', env)).toMatchObject({ code: 0, stdout: expect.stringMatching(/^authenticated marty /) });
      expect(auth('doc', 'great scott 1955', env)).toMatchObject({ code: 0 });
      expect(auth('doc', 'great scott 1985', env)).toMatchObject({ code: 5, stdout: '' });
    }
  });

  it('checks with the native backend a password that bcryptjs hashed', () => {
    const added = sandbox.run(
      [
        'add',
        '--username',
        'jenny',
        '--email',
        'jenny@example.com',
        '--firstname',
        'Jennifer',
        '--lastname',
        'Parker',
        '--role',
        'student',
        '--password-stdin',
      ],
      {
        input: 'hill valley 85\n',
        env: javascript,
      },
    );
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(auth('jenny', 'hill valley 85')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^authenticated jenny /) });
    expect(auth('jenny', 'hill valley 86')).toMatchObject({ code: 5 });
    expect(auth('jenny', 'hill valley 85', javascript)).toMatchObject({ code: 0 });
  });
  it('refuses an unknown ROSTER_BCRYPT value, naming the accepted one, before it writes anything', () => {
    const misspelt = { ROSTER_BCRYPT: 'bcrypt' };
    const checked = auth('marty', 'flux capacitor', misspelt);
    expect(checked).toMatchObject({ code: 5, stdout: '' });
    expect(checked.stderr).toMatch(/ROSTER_BCRYPT must be "bcryptjs" or unset, not "bcrypt"/);
    const csv = sandbox.file('late.csv', 'LastName;FirstName;Email;UserName;Password;Status\nTannen;Biff;biff@example.com;biff;manure truck;5\n');
    const imported = sandbox.run(['import', csv, '--yes'], { env: misspelt });
    expect(imported).toMatchObject({ code: 5, stdout: '' });
    expect(imported.stderr).toMatch(/ROSTER_BCRYPT/);
    expect(sandbox.query(`SELECT username FROM "user" WHERE username = 'biff'`)).toEqual([]);
  });
});
