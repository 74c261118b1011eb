import fs from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { Sandbox } from './helpers';
import { HAS_SCRIPT, runInTerminal } from './terminal';

const maybe = HAS_SCRIPT ? describe : describe.skip;
if (!HAS_SCRIPT) process.stderr.write('interactive tests skipped: util-linux `script` is not available\n');

const ENTER = '\r';
const DOWN = '\u001b[B';
const CTRL_C = '\u0003';
const BACKSPACE = '\u007f';

maybe('on a terminal', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());
  const hashOf = (username: string) =>
    sandbox.query<{ password_hash: string }>('SELECT password_hash FROM "user" WHERE username = ?', username)[0]?.password_hash;
  const matches = (password: string, hash: string | undefined) => Boolean(hash) && bcrypt.compareSync(password, hash!.replace(/^\$2b\$/, '$2a$'));

  it('add asks for every missing value, roles as a checklist, and the password hidden and twice', async () => {
    const secret = 'Sup3r-Secret-Pw';
    const result = await runInTerminal(
      sandbox,
      ['add'],
      [
        { expect: /First name:/, send: ENTER },
        { expect: /The first name is required/, send: `Ada${ENTER}` },
        { expect: /Last name:/, send: `Lovelace${ENTER}` },
        { expect: /Email:/, send: `ada@example.org${ENTER}` },
        { expect: /Username:/, send: `ada${ENTER}` },
        // student is ticked by default; tick teacher too.
        { expect: /Roles:/, send: `${DOWN} ${ENTER}` },
        { expect: /Password for ada:/, send: `${secret}${ENTER}` },
        { expect: /Repeat the password:/, send: `${secret}${ENTER}` },
      ],
    );
    expect(result.code).toBe(0);
    expect(result.screen).toContain('added user ada (id:2): Ada Lovelace <ada@example.org>, roles: student, teacher');
    // The password never reaches the screen, not even its length.
    expect(result.raw).not.toContain(secret);
    expect(result.raw).not.toContain(secret.slice(0, 5));
    expect(result.screen).not.toMatch(/\*{3,}/);
    expect(matches(secret, hashOf('ada'))).toBe(true);
    expect(sandbox.query('SELECT role FROM user_role WHERE user_id = 2 ORDER BY role')).toEqual([{ role: 'student' }, { role: 'teacher' }]);
  });

  it('asks again when the two passwords differ', async () => {
    const result = await runInTerminal(
      sandbox,
      ['add', '--firstname', 'Grace', '--lastname', 'Hopper', '--email', 'grace@example.org', '--username', 'grace', '--role', 'admin'],
      [
        { expect: /Password for grace:/, send: `first-try-pw${ENTER}` },
        { expect: /Repeat the password:/, send: `typo-try-pw${ENTER}` },
        { expect: /The two passwords differ; try again\.[\s\S]*Password for grace:/, send: `second-try-pw${ENTER}` },
        { expect: /Repeat the password:/, send: `second-try-pw${ENTER}` },
      ],
    );
    expect(result.code).toBe(0);
    for (const secret of ['first-try', 'typo-try', 'second-try']) expect(result.raw).not.toContain(secret);
    expect(matches('second-try-pw', hashOf('grace'))).toBe(true);
  });

  it('draws prompts on stderr, so a redirected stdout holds only the result', async () => {
    const out = path.join(sandbox.dir, 'user.json');
    const result = await runInTerminal(
      sandbox,
      ['add', '--json', '--firstname', 'Alan', '--lastname', 'Turing', '--email', 'alan@example.org', '--role', 'student'],
      [
        { expect: /Username:/, send: `alan${ENTER}` },
        { expect: /Password for alan:/, send: `enigma-machine${ENTER}` },
        { expect: /Repeat the password:/, send: `enigma-machine${ENTER}` },
      ],
      { redirect: `> ${out}` },
    );
    expect(result.code).toBe(0);
    expect(result.screen).toContain('Username:');
    const user = JSON.parse(fs.readFileSync(out, 'utf8')) as { username: string };
    expect(user.username).toBe('alan');
    expect(fs.readFileSync(out, 'utf8')).not.toContain('enigma');
  });

  it('edit --reset-password asks twice, hidden', async () => {
    const before = hashOf('ada');
    const result = await runInTerminal(
      sandbox,
      ['edit', 'ada', '--reset-password'],
      [
        { expect: /Password for ada:/, send: `Brand-New-Pw${ENTER}` },
        { expect: /Repeat the password:/, send: `Brand-New-Pw${ENTER}` },
      ],
    );
    expect(result.code).toBe(0);
    expect(result.screen).toContain('password: changed');
    expect(result.raw).not.toContain('Brand-New');
    expect(hashOf('ada')).not.toBe(before);
    expect(matches('Brand-New-Pw', hashOf('ada'))).toBe(true);
  });

  it('a batch confirmation names the first users it concerns; answering no changes nothing (exit 7)', async () => {
    for (const name of ['s1', 's2', 's3', 's4', 's5', 's6', 's7']) sandbox.addUser(name, [], ['session_admin']);
    const result = await runInTerminal(sandbox, ['deactivate', '--role', 'session_admin'], [{ expect: /Deactivate 7 users\?/, send: `n${ENTER}` }]);
    expect(result.code).toBe(7);
    expect(result.screen).toContain('s1, s2, s3, s4, s5, and 2 more');
    expect(result.screen).toContain('not confirmed; nothing was changed');
    expect(sandbox.query('SELECT count(*) AS n FROM "user" WHERE username LIKE \'s_\' AND active = 1')).toEqual([{ n: 7 }]);
  });

  it('a sync from an HR file names the accounts it would deactivate, and on no writes nothing, import included', async () => {
    const rows = (numbers: number[]) => numbers.map((n) => `Tester;Hr${n};hr${n}@example.org;hr${n};hr;5`);
    const header = 'LastName;FirstName;Email;UserName;AuthSource;Status';
    expect(sandbox.run(['import', sandbox.file('hr-all.csv', [header, ...rows([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])].join('\n'))]).code).toBe(0);
    const file = sandbox.file('hr-new.csv', [header, ...rows([2, 3, 4, 5, 6, 7, 8, 9, 10, 11])].join('\n'));
    const scope = ['--deactivate-missing', '--auth-source', 'hr', '--role', 'student'];
    const no = await runInTerminal(sandbox, ['import', file, ...scope], [{ expect: /hr-new\.csv\? \(y\/N\)/, send: `n${ENTER}` }]);
    expect(no.code).toBe(7);
    expect(no.screen).toMatch(/^hr1$/m);
    expect(sandbox.query("SELECT username FROM \"user\" WHERE username IN ('hr1', 'hr11') AND active = 1")).toEqual([{ username: 'hr1' }]);
    const yes = await runInTerminal(sandbox, ['import', file, ...scope], [{ expect: /Deactivate 1 account/, send: `y${ENTER}` }]);
    expect(yes.code).toBe(0);
    expect(yes.screen).toContain('deactivated 1 of the 10 active accounts of the scope, missing from the file:');
    expect(sandbox.query("SELECT username FROM \"user\" WHERE username IN ('hr1', 'hr11') AND active = 1")).toEqual([{ username: 'hr11' }]);
  });

  it('a batch confirmation counts the users that would change, not those selected', async () => {
    for (const name of ['t1', 't2', 't3', 't4', 't5']) sandbox.addUser(name, name > 't2' ? ['--inactive'] : [], ['invitee']);
    const result = await runInTerminal(sandbox, ['deactivate', '--role', 'invitee'], [{ expect: /Deactivate 2 users\?/, send: `y${ENTER}` }]);
    expect(result.code).toBe(0);
    expect(result.screen).toContain('t1, t2 (of 5 selected, 3 need no change)');
    expect(result.screen).toContain('deactivated 2 user(s): t1, t2');
    // Nothing left to change: nothing to confirm.
    const again = await runInTerminal(sandbox, ['deactivate', '--role', 'invitee'], []);
    expect(again.code).toBe(0);
    expect(again.screen).toContain('deactivated 0 user(s)');
  });

  it('a batch edit asks about the users it would change, and changes them on yes', async () => {
    for (const name of ['e1', 'e2', 'e3']) sandbox.addUser(name, name === 'e3' ? ['--language', 'de'] : [], ['hr_manager']);
    const result = await runInTerminal(
      sandbox,
      ['edit', '--role', 'hr_manager', '--language', 'de'],
      [{ expect: /Edit 2 users \(language de\)\?/, send: `y${ENTER}` }],
    );
    expect(result.code).toBe(0);
    expect(result.screen).toContain('e1, e2 (of 3 selected, 1 need no change)');
    expect(sandbox.query("SELECT count(*) AS n FROM \"user\" WHERE username IN ('e1', 'e2', 'e3') AND language = 'de'")).toEqual([{ n: 3 }]);
  });

  it('a one-user confirmation is the question alone, with no stray line before it', async () => {
    sandbox.addUser('lonely');
    const result = await runInTerminal(sandbox, ['delete', 'lonely'], [{ expect: /Delete lonely \(roster restore undoes it\)\?/, send: `n${ENTER}` }]);
    expect(result.code).toBe(7);
    expect(result.screen.split('\n')[0]).toMatch(/^\? Delete lonely/);
  });

  it('checks the values given as options before asking anything (exit 5, no prompt)', async () => {
    const result = await runInTerminal(sandbox, ['add', '--email', 'bad@', '--username', 'ok.name'], []);
    expect(result.code).toBe(5);
    expect(result.screen).toContain('roster: error: email: "bad@" is not a valid email address');
    expect(result.screen).not.toContain('First name:');
    const roles = await runInTerminal(sandbox, ['add', '--role', 'wizard'], []);
    expect(roles.code).toBe(5);
    expect(roles.screen).toContain('unknown role "wizard"');
    expect(roles.screen).not.toContain('First name:');
  });

  it('Ctrl-C at a prompt cancels (exit 7) and writes nothing', async () => {
    const users = sandbox.query('SELECT count(*) AS n FROM "user"');
    const result = await runInTerminal(
      sandbox,
      ['add', '--firstname', 'Nobody'],
      [
        { expect: /Last name:/, send: `Who${ENTER}` },
        { expect: /Email:/, send: CTRL_C },
      ],
    );
    expect(result.code).toBe(7);
    expect(result.screen).toContain('roster: cancelled; nothing was changed');
    expect(result.screen).not.toContain('internal error');
    expect(sandbox.query('SELECT count(*) AS n FROM "user"')).toEqual(users);
  });

  it('checks each answer as it is typed: a bad email or a taken username is asked again', async () => {
    const erase = (text: string) => BACKSPACE.repeat(text.length);
    const result = await runInTerminal(
      sandbox,
      ['add', '--firstname', 'Bad', '--lastname', 'Mail', '--role', 'student', '--generate-password'],
      [
        { expect: /Email:/, send: `not-an-email${ENTER}` },
        { expect: /"not-an-email" is not a valid email address/, send: `${erase('not-an-email')}ADA@example.org${ENTER}` },
        { expect: /this email is taken by another account/, send: `${erase('ADA@example.org')}bad@example.org${ENTER}` },
        { expect: /Username:/, send: `Ada${ENTER}` },
        { expect: /this username is taken by another account/, send: `${erase('Ada')}badmail${ENTER}` },
      ],
    );
    expect(result.code).toBe(0);
    expect(result.screen).toContain('added user badmail');
    expect(sandbox.query('SELECT email FROM "user" WHERE username = \'badmail\'')).toEqual([{ email: 'bad@example.org' }]);
  });

  it('list fits the table to the terminal it draws on', async () => {
    sandbox.addUser('maximiliane.wolfeschlegelsteinhausen');
    const result = await runInTerminal(sandbox, ['list'], [], { columns: 90 });
    expect(result.code).toBe(0);
    const rows = result.screen.split('\n').filter((l) => l.startsWith('│') || l.startsWith('┌'));
    expect(rows.length).toBeGreaterThan(2);
    expect(Math.max(...rows.map((l) => [...l].length))).toBeLessThanOrEqual(90);
    expect(result.screen).toContain('…');
  });

  it('asks what an unknown column holds, showing sample values, and prints the --map options that answer it next time', async () => {
    sandbox.file(
      'french.csv',
      'Nom;Prénom;Courriel;Identifiant;Password;Couleur\nCurie;Marie;marie@example.org;mcurie;long secret 1;bleu\nPasteur;Louis;louis@example.org;lpasteur;long secret 2;vert\n',
    );
    const result = await runInTerminal(
      sandbox,
      ['import', 'french.csv'],
      [
        { expect: /"Nom" hold\?/, send: `${DOWN}${ENTER}` },
        { expect: /"Prénom" hold\?/, send: `${DOWN}${DOWN}${ENTER}` },
        { expect: /"Courriel" hold\?/, send: `${DOWN}${DOWN}${DOWN}${ENTER}` },
        { expect: /"Identifiant" hold\?/, send: `${DOWN}${DOWN}${DOWN}${DOWN}${ENTER}` },
        { expect: /"Couleur" hold\?/, send: ENTER },
      ],
    );
    expect(result.code).toBe(0);
    expect(result.screen).toContain('"Nom" hold? (e.g. Curie, Pasteur)');
    expect(result.screen).toContain('"Couleur" hold? (e.g. bleu, vert)');
    expect(result.screen).toContain(
      "next time, skip these questions with: --map Nom=LastName --map 'Prénom=FirstName' --map Courriel=Email --map Identifiant=UserName --map Couleur=ignore",
    );
    expect(sandbox.query('SELECT lastname, firstname FROM "user" WHERE username = \'mcurie\'')).toEqual([{ lastname: 'Curie', firstname: 'Marie' }]);
  });
});
