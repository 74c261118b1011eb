import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, Sandbox } from './helpers';

/**
 * Mail to users through a fake mail command that keeps what it receives: its
 * arguments and its standard input, one file per mail. A message to an
 * address with "bounce" in it is refused, as a mail server refuses one.
 */
const FAKE_MAIL = `#!/bin/sh
outbox="$(dirname "$0")/outbox"
mkdir -p "$outbox"
file="$outbox/$(date +%s%N)-$$"
for arg in "$@"; do printf '%s\\n' "$arg"; done > "$file.args"
cat > "$file.eml"
if grep -q '^To:.*bounce' "$file.eml"; then echo "fake-mail: 550 mailbox unavailable" >&2; rm "$file.eml"; exit 75; fi
`;

interface Mail {
  args: string[];
  headers: Record<string, string>;
  /** The raw header block, as written to the command. */
  head: string;
  body: string;
}

/** RFC 2047 encoded words (B and Q) in a header value, decoded. */
function decodeWords(value: string): string {
  return value.replace(/\s*=\?UTF-8\?([BQ])\?([^?]*)\?=/gi, (_all, kind: string, text: string) =>
    kind.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : Buffer.from(
          text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_h, hex: string) => String.fromCharCode(parseInt(hex, 16))),
          'latin1',
        ).toString('utf8'),
  );
}

function decodeQuotedPrintable(text: string): string {
  const bytes = text.replace(/=\n/g, '').replace(/=([0-9A-F]{2})/gi, (_h, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

class Outbox {
  constructor(private readonly dir: string) {}

  get command(): string {
    return path.join(this.dir, 'fake-mail');
  }

  install(): void {
    fs.writeFileSync(this.command, FAKE_MAIL, { mode: 0o755 });
  }

  mails(): Mail[] {
    const outbox = path.join(this.dir, 'outbox');
    if (!fs.existsSync(outbox)) return [];
    return fs
      .readdirSync(outbox)
      .filter((f) => f.endsWith('.eml'))
      .sort()
      .map((f) => {
        const raw = fs.readFileSync(path.join(outbox, f), 'utf8');
        const [head, ...rest] = raw.split('\n\n');
        const headers: Record<string, string> = {};
        for (const line of head!.replace(/\n[ \t]+/g, ' ').split('\n')) {
          const colon = line.indexOf(':');
          headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
        }
        const encoded = rest.join('\n\n');
        const body = headers['content-transfer-encoding'] === 'quoted-printable' ? decodeQuotedPrintable(encoded) : encoded;
        const args = fs
          .readFileSync(path.join(outbox, f.replace(/\.eml$/, '.args')), 'utf8')
          .split('\n')
          .filter(Boolean);
        return { args, headers, head: head!, body };
      });
  }

  clear(): void {
    fs.rmSync(path.join(this.dir, 'outbox'), { recursive: true, force: true });
  }
}

function addArgs(username: string, extra: string[] = []): string[] {
  return ['add', '--username', username, '--email', `${username}@example.org`, '--firstname', 'Zoë', '--lastname', 'Ångström', '--role', 'student', ...extra];
}

describe('mail to users (a fake mail command)', () => {
  const sandbox = new Sandbox();
  const outbox = new Outbox(sandbox.dir);
  const configDir = path.join(sandbox.dir, 'config');
  const env = { ROSTER_CONFIG_DIR: configDir };
  const run = (args: string[], options: { input?: string; env?: Record<string, string> } = {}) =>
    sandbox.run(args, { input: options.input, env: { ...env, ...options.env } });
  /** Every text the database holds, to look for a password where none may be. */
  const everythingStored = () =>
    JSON.stringify([
      sandbox.query('SELECT * FROM "user"'),
      sandbox.query('SELECT * FROM audit_log'),
      sandbox.query('SELECT * FROM setting'),
      sandbox.query('SELECT * FROM mail_notice'),
    ]);

  beforeAll(() => {
    outbox.install();
    expect(run(['db', 'migrate'])).toMatchObject({ code: 0 });
  });
  afterAll(() => sandbox.cleanup());
  beforeEach(() => outbox.clear());

  it('refuses --notify until mail.command and mail.from are set, and creates nobody', () => {
    const refused = run(addArgs('early', ['--generate-password', '--notify']));
    expect(refused).toMatchObject({ code: 3, stdout: '' });
    expect(refused.stderr).toMatch(/mail\.command is not set/);
    expect(refused.stderr).toMatch(/roster config set mail\.command/);
    expect(sandbox.query(`SELECT id FROM "user" WHERE username = 'early'`)).toEqual([]);
  });

  it('checks the settings: an absolute program, closed quotes, a valid sender', () => {
    for (const bad of ['sendmail -t', '/usr/sbin/sendmail "-t', '']) {
      const result = run(['config', 'set', 'mail.command', bad]);
      expect(result.code).toBe(5);
      expect(result.stderr).toMatch(/mail\.command/);
    }
    for (const bad of ['noreply', 'Campus <noreply>', 'Campus <>']) {
      const result = run(['config', 'set', 'mail.from', bad]);
      expect(result.code).toBe(5);
      expect(result.stderr).toMatch(/mail\.from/);
    }
    expect(sandbox.query(`SELECT key FROM setting WHERE key LIKE 'mail.%'`)).toEqual([]);
    // An argument with spaces and shell syntax reaches the command as it is: no shell reads it.
    expect(run(['config', 'set', 'mail.command', `${outbox.command} -t -f 'bounces@campus.example.org' '$HOME;echo x'`])).toMatchObject({ code: 0 });
    expect(run(['config', 'set', 'mail.from', 'Campus Ünï <noreply@campus.example.org>'])).toMatchObject({ code: 0 });
  });

  it('add --generate-password --notify mails the username and password, which appear nowhere else', () => {
    const added = run(addArgs('zoe', ['--generate-password', '--notify']));
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toMatch(/^added user zoe \(id:\d+\)/);
    expect(added.stdout).toContain('mailed zoe@example.org');
    const [mail, ...more] = outbox.mails();
    expect(more).toEqual([]);
    expect(mail!.args).toEqual(['-t', '-f', 'bounces@campus.example.org', '$HOME;echo x']);
    expect(mail!.headers['mime-version']).toBe('1.0');
    expect(mail!.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(mail!.headers['auto-submitted']).toBe('auto-generated');
    expect(mail!.headers.date).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    expect(mail!.headers['message-id']).toMatch(/^<[^@\s]+@campus\.example\.org>$/);
    // Beyond ASCII, headers are encoded words; the raw header block is ASCII only.
    expect(mail!.head).toMatch(/^[\x20-\x7e\n]*$/);
    expect(decodeWords(mail!.headers.from!)).toBe('Campus Ünï <noreply@campus.example.org>');
    expect(decodeWords(mail!.headers.to!)).toBe('Zoë Ångström <zoe@example.org>');
    expect(mail!.headers.subject).toBe('Your account zoe');
    expect(mail!.body).toContain('Hello Zoë Ångström,');
    expect(mail!.body).toContain('Username: zoe');
    const password = /^Password: (\S+)$/m.exec(mail!.body)![1]!;
    expect(password).toMatch(/^[A-Za-z0-9]{16}$/);
    // The mailed password is the account's, and it was printed and stored nowhere.
    expect(run(['auth', 'zoe'], { input: `${password}\n` })).toMatchObject({ code: 0 });
    expect(added.stdout + added.stderr).not.toContain(password);
    expect(everythingStored()).not.toContain(password);
    const audit = sandbox.query<{ details: string }>(`SELECT details FROM audit_log WHERE action = 'mail.sent'`);
    expect(audit.map((a) => JSON.parse(a.details))).toEqual([{ template: 'welcome', to: 'zoe@example.org', language: 'en', file: 'built-in' }]);
  });

  it('add --notify with a password of its own mails the username without a password line', () => {
    const added = run(addArgs('yann', ['--password-stdin', '--notify', '--json']), { input: 'my own secret 1\n' });
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(added.stdout).mail).toEqual({ sent: ['yann'], failed: [], alreadySent: [] });
    const [mail] = outbox.mails();
    expect(mail!.body).toContain('Username: yann');
    expect(mail!.body).not.toMatch(/Password/);
    expect(mail!.body).not.toContain('my own secret 1');
  });

  it('reports a failed mail (exit 6) with how to give a new password, audits it, and keeps the account', () => {
    const added = run([
      'add',
      '--username',
      'bob',
      '--email',
      'bob.bounce@example.org',
      '--firstname',
      'Bob',
      '--lastname',
      'B',
      '--role',
      'student',
      '--generate-password',
      '--notify',
    ]);
    expect(added.code).toBe(6);
    expect(added.stdout).toMatch(/^added user bob/);
    expect(added.stderr).toContain('roster: error: bob: mail to bob.bounce@example.org failed: ');
    // What the program printed may hold the mail, password and all, encoded: it is not kept.
    expect(added.stderr).toContain('exited with status 75: what it printed is not shown, since the mail held a password');
    expect(added.stderr).not.toContain('550');
    // Without a generated password in the mail, the program's complaint is shown.
    const own = run(addArgs('bob2.bounce', ['--password-stdin', '--notify']), { input: 'bob2 own secret\n' });
    expect(own).toMatchObject({ code: 6, stderr: expect.stringContaining('exited with status 75: fake-mail: 550 mailbox unavailable') });
    expect(added.stderr).toContain('roster edit bob --reset-password --generate-password');
    expect(outbox.mails()).toEqual([]);
    const failed = sandbox.query<{ details: string }>(
      `SELECT a.details FROM audit_log a JOIN "user" u ON u.id = a.user_id WHERE a.action = 'mail.failed' AND u.username = 'bob'`,
    );
    expect(failed).toHaveLength(1);
    expect(JSON.parse(failed[0]!.details)).toMatchObject({ template: 'welcome', to: 'bob.bounce@example.org', error: expect.stringContaining('status 75') });
    expect(sandbox.query(`SELECT username FROM "user" WHERE username = 'bob'`)).toHaveLength(1);
  });

  it('refuses --notify with --inactive, and a mail program missing on this host, before creating anyone', () => {
    expect(run(addArgs('idle', ['--generate-password', '--notify', '--inactive']))).toMatchObject({ code: 2 });
    const moved = `${outbox.command}.moved`;
    fs.renameSync(outbox.command, moved);
    try {
      const missing = run(addArgs('nomail', ['--generate-password', '--notify']));
      expect(missing.code).toBe(3);
      expect(missing.stderr).toContain(`mail.command: ${outbox.command} does not exist or cannot be run on this host`);
    } finally {
      fs.renameSync(moved, outbox.command);
    }
    expect(sandbox.query(`SELECT username FROM "user" WHERE username IN ('idle', 'nomail')`)).toEqual([]);
  });

  it('import --notify mails each new active user in their language, a failure is exit 6, and a rerun mails nobody', () => {
    fs.mkdirSync(path.join(configDir, 'mail'), { recursive: true });
    fs.writeFileSync(
      path.join(configDir, 'mail', 'welcome.fr.txt'),
      'Subject: Votre compte {username} — bienvenue\n\nBonjour {firstname},\n\nIdentifiant : {username}\nMot de passe : {password}\nCode : {officialCode}\n',
    );
    const csv = sandbox.file(
      'term.csv',
      [
        'LastName;FirstName;Email;UserName;Password;Status;Language;Active',
        'Dupont;Élodie;elodie@example.org;elodie;;5;french;1',
        'Smith;John;john@example.org;john;chosen by john;5;english;1',
        'Idle;Ian;ian@example.org;ian;;5;english;0',
        'Bounce;Bea;bea.bounce@example.org;bea;;5;english;1',
      ].join('\n'),
    );
    const imported = run(['import', csv, '--notify', '--json']);
    expect(imported.code).toBe(6);
    const summary = JSON.parse(imported.stdout) as { mail: { sent: string[]; failed: unknown[] } };
    expect(summary).toMatchObject({ created: 4, failed: 0, generatedPasswords: 3 });
    expect(summary.mail.sent.sort()).toEqual(['elodie', 'john']);
    expect(summary.mail.failed).toEqual([
      { username: 'bea', email: 'bea.bounce@example.org', message: expect.stringContaining('status 75'), passwordLost: true },
    ]);
    expect(imported.stderr).toContain('roster: error: bea: mail to bea.bounce@example.org failed');
    // Ian's account is inactive (no mail) and Bea's mail failed: their generated passwords are nowhere, and it says so.
    expect(imported.stderr).toContain(
      'roster: warning: 3 passwords generated, 1 mailed; the other 2 (inactive and expired accounts get no mail, and each failed mail is named) are kept nowhere: give those accounts one with roster edit <user> --reset-password --generate-password when they need it',
    );
    const mails = outbox.mails();
    const french = mails.find((m) => m.headers.to!.includes('elodie@example.org'))!;
    expect(decodeWords(french.headers.subject!)).toBe('Votre compte elodie — bienvenue');
    expect(french.body).toMatch(/^Bonjour Élodie,\n\nIdentifiant : elodie\nMot de passe : [A-Za-z0-9]{16}\n$/);
    const english = mails.find((m) => m.headers.to!.includes('john@example.org'))!;
    expect(english.body).toContain('Username: john');
    expect(english.body).not.toContain('chosen by john');
    expect(mails).toHaveLength(2);
    const elodiePassword = /Mot de passe : (\S+)/.exec(french.body)![1]!;
    expect(run(['auth', 'elodie'], { input: `${elodiePassword}\n` })).toMatchObject({ code: 0 });
    expect(imported.stdout + imported.stderr).not.toContain(elodiePassword);
    expect(everythingStored()).not.toContain(elodiePassword);

    outbox.clear();
    const again = run(['import', csv, '--notify']);
    expect(again).toMatchObject({ code: 0 });
    expect(again.stdout).toMatch(/0 created, 0 updated, 4 skipped/);
    expect(outbox.mails()).toEqual([]);
  });

  it('import --notify refuses --credentials, and a dry run checks the templates but mails nobody', () => {
    const csv = sandbox.file('more.csv', 'LastName;FirstName;Email;UserName;Password;Status\nNew;Nina;nina@example.org;nina;;5\n');
    const both = run(['import', csv, '--notify', '--credentials', path.join(sandbox.dir, 'pw.csv')]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--notify .* --credentials/);
    const dry = run(['import', csv, '--notify', '--dry-run']);
    expect(dry).toMatchObject({ code: 0 });
    expect(dry.stdout).toContain('no mail sent (dry run)');
    expect(outbox.mails()).toEqual([]);
    expect(sandbox.query(`SELECT username FROM "user" WHERE username = 'nina'`)).toEqual([]);
    const real = run(['import', csv, '--notify']);
    expect(real).toMatchObject({ code: 0, stderr: '' });
    expect(real.stdout).toContain('1 password generated, each mailed to its user and kept nowhere else\n');
    expect(outbox.mails().map((m) => m.body)).toEqual([expect.stringMatching(/^Password: [A-Za-z0-9]{16}$/m)]);
  });

  it('stops at a template with an unknown placeholder, naming the file and line, before writing', () => {
    const file = path.join(configDir, 'mail', 'welcome.de.txt');
    fs.writeFileSync(file, 'Subject: Ihr Konto\n\nHallo {firstname},\nKennwort: {passwort}\n');
    try {
      const csv = sandbox.file('de.csv', 'LastName;FirstName;Email;UserName;Password;Status\nMeier;Max;max@example.org;max;;5\n');
      const result = run(['import', csv, '--notify']);
      expect(result.code).toBe(5);
      expect(result.stderr).toContain(`mail template ${file}: line 4: unknown placeholder {passwort}`);
      expect(sandbox.query(`SELECT username FROM "user" WHERE username = 'max'`)).toEqual([]);
    } finally {
      fs.rmSync(file);
    }
  });

  it('refuses a welcome template without {password}, which would lose a generated password, before creating anyone', () => {
    const file = path.join(configDir, 'mail', 'welcome.en.txt');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'Subject: Welcome {username}\n\nHello {firstname}, your username is {username}.\n');
    try {
      const added = run(addArgs('nopw', ['--generate-password', '--notify']));
      expect(added.code).toBe(5);
      expect(added.stderr).toContain(`mail template ${file}: the body has no {password}`);
      const csv = sandbox.file('nopw.csv', 'LastName;FirstName;Email;UserName;Password;Status\nNo;Pat;pat@example.org;pat;;5\n');
      expect(run(['import', csv, '--notify'])).toMatchObject({ code: 5, stderr: expect.stringContaining('the body has no {password}') });
      expect(sandbox.query(`SELECT username FROM "user" WHERE username IN ('nopw', 'pat')`)).toEqual([]);
      expect(outbox.mails()).toEqual([]);
    } finally {
      fs.rmSync(file);
    }
  });

  it('expire --warn --notify warns each account once per expiration date; a new date is warned about anew', () => {
    const now = '2026-12-04T09:00:00.000Z';
    const clock = { ROSTER_TEST_NOW: now };
    run(addArgs('soon', ['--password-stdin', '--expires', '2026-12-08']), { input: 'soon password 1\n', env: clock });
    run(addArgs('later', ['--password-stdin', '--expires', '2027-03-01']), { input: 'later password 1\n', env: clock });
    const first = run(['expire', '--warn', '7d', '--notify'], { env: clock });
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toContain('soon@example.org');
    expect(first.stdout).not.toContain('later@example.org');
    expect(first.stdout).toContain('mailed soon@example.org');
    const [warning, ...others] = outbox.mails();
    expect(others).toEqual([]);
    expect(warning!.headers.subject).toBe('Your account soon expires on 2026-12-08 23:59 UTC');
    expect(warning!.body).toContain('(in 4 day(s))');

    outbox.clear();
    const second = run(['expire', '--warn', '7d', '--notify', '--quiet'], { env: clock });
    expect(second).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(outbox.mails()).toEqual([]);
    const json = JSON.parse(run(['expire', '--warn', '7d', '--notify', '--json'], { env: clock }).stdout) as { mail: unknown; users: { username: string }[] };
    expect(json.mail).toEqual({ sent: [], failed: [], alreadySent: ['soon'] });
    expect(json.users.map((u) => u.username)).toEqual(['soon']);

    // A dry run tells who would be warned and who was already, and mails nobody.
    const dry = run(['expire', '--warn', '7d', '--notify', '--dry-run'], { env: clock });
    expect(dry).toMatchObject({ code: 0, stderr: '' });
    expect(dry.stdout).toContain('no mail sent (dry run): 0 to warn, 1 warned already about the same date\n');
    const dryJson = JSON.parse(run(['expire', '--warn', '7d', '--notify', '--dry-run', '--json'], { env: clock }).stdout) as { mail: unknown; dryRun: boolean };
    expect(dryJson).toMatchObject({ dryRun: true, mail: { sent: [], failed: [], alreadySent: ['soon'] } });
    expect(outbox.mails()).toEqual([]);

    expect(run(['edit', 'soon', '--expires', '2026-12-09'], { env: clock })).toMatchObject({ code: 0 });
    const third = run(['expire', '--warn', '7d', '--notify'], { env: clock });
    expect(third.stdout).toContain('mailed soon@example.org');
    expect(outbox.mails()).toHaveLength(1);
    expect(sandbox.query(`SELECT about FROM mail_notice n JOIN "user" u ON u.id = n.user_id WHERE u.username = 'soon' ORDER BY about`)).toEqual([
      { about: '2026-12-08T23:59:59.999Z' },
      { about: '2026-12-09T23:59:59.999Z' },
    ]);
  });

  /** Runs roster in the background and sends it SIGINT once the first mail is in the outbox. */
  async function interruptedAtFirstMail(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH, HOME: sandbox.dir, ROSTER_DB: sandbox.db, ROSTER_BCRYPT_COST: '4', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    while (!fs.existsSync(path.join(sandbox.dir, 'outbox')) || outbox.mails().length === 0) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    return { code: await exited, stdout, stderr };
  }

  it('a Ctrl-C while the mails of an import go out lets them all go out (exit 0, the import was done)', async () => {
    // A slow mail program: the import is committed long before its mails are sent.
    const slow = path.join(sandbox.dir, 'slow-mail');
    fs.writeFileSync(slow, `#!/bin/sh\nsleep 0.4\nexec ${outbox.command} "$@"\n`, { mode: 0o755 });
    expect(run(['config', 'set', 'mail.command', slow])).toMatchObject({ code: 0 });
    try {
      const rows = ['c1', 'c2', 'c3', 'c4'].map((u) => `L;F;${u}@example.org;${u};;5`);
      const csv = sandbox.file('ctrl-c.csv', ['LastName;FirstName;Email;UserName;Password;Status', ...rows].join('\n') + '\n');
      const first = await interruptedAtFirstMail(['import', csv, '--notify']);
      expect(first.code).toBe(0);
      expect(outbox.mails()).toHaveLength(4);
      expect(first.stdout).toContain('4 passwords generated, each mailed to its user and kept nowhere else');

      // With a sync, the Ctrl-C stops roster before it deactivates anybody: exit 130, and says so.
      outbox.clear();
      const activeStudents = () =>
        sandbox.query(`SELECT count(*) AS n FROM "user" u JOIN user_role r ON r.user_id = u.id AND r.role = 'student' WHERE u.active = 1`);
      const before = activeStudents();
      const more = sandbox.file(
        'ctrl-c-2.csv',
        ['LastName;FirstName;Email;UserName;Password;Status', 'L;F;c5@example.org;c5;;5', 'L;F;c6@example.org;c6;;5'].join('\n') + '\n',
      );
      const syncing = await interruptedAtFirstMail([
        'import',
        more,
        '--notify',
        '--deactivate-missing',
        '--role',
        'student',
        '--max-deactivate',
        '100%',
        '--yes',
      ]);
      expect(syncing.code).toBe(130);
      expect(syncing.stderr).toContain('the accounts missing from the file were not deactivated');
      expect(activeStudents()).toEqual([{ n: Number((before[0] as { n: number }).n) + 2 }]);
      expect(outbox.mails()).toHaveLength(2);
    } finally {
      expect(run(['config', 'set', 'mail.command', outbox.command])).toMatchObject({ code: 0 });
    }
  });

  it('edit --reset-password --generate-password --notify mails the new password, which appears nowhere else', () => {
    expect(run(['edit', 'zoe', '--phone', '123', '--notify'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--notify mails a new password') });
    expect(run(['edit', 'zoe', '--notify'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--notify mails a new password: it goes with --reset-password'),
    });
    const reset = run(['edit', 'zoe', '--reset-password', '--generate-password', '--notify']);
    expect(reset).toMatchObject({ code: 0, stderr: '' });
    expect(reset.stdout).toMatch(/^changed user zoe \(id:\d+\):\n {2}password: changed\nmailed zoe@example.org\n$/);
    const [mail, ...others] = outbox.mails();
    expect(others).toEqual([]);
    expect(mail!.headers.subject).toBe('A new password for zoe');
    const password = /^Password: (\S+)$/m.exec(mail!.body)![1]!;
    expect(run(['auth', 'zoe'], { input: `${password}\n` })).toMatchObject({ code: 0 });
    expect(everythingStored()).not.toContain(password);
    // Not to an account that cannot log in: refused before anything changes.
    expect(run(['edit', 'zoe', '--reset-password', '--generate-password', '--notify', '--deactivate']).code).toBe(2);
    expect(run(['deactivate', 'zoe'])).toMatchObject({ code: 0 });
    outbox.clear();
    const hashOfZoe = () => sandbox.query(`SELECT password_hash FROM "user" WHERE username = 'zoe'`);
    const hashBefore = hashOfZoe();
    const inactive = run(['edit', 'zoe', '--reset-password', '--generate-password', '--notify']);
    expect(inactive).toMatchObject({ code: 4, stderr: expect.stringContaining('zoe is inactive: --notify would mail a password nobody can use') });
    expect(hashOfZoe()).toEqual(hashBefore);
    expect(outbox.mails()).toEqual([]);
    const activated = run(['edit', 'zoe', '--reset-password', '--generate-password', '--notify', '--activate']);
    expect(activated).toMatchObject({ code: 0, stderr: '' });
    expect(outbox.mails()).toHaveLength(1);
    // A failed mail leaves the new password nowhere: exit 6, and how to give another.
    const bounced = run(['edit', 'bob', '--reset-password', '--generate-password', '--notify', '--json']);
    expect(bounced.code).toBe(6);
    expect(JSON.parse(bounced.stdout)).toMatchObject({ changed: 1, mail: { sent: [], failed: [{ username: 'bob', passwordLost: true }] } });
    expect(bounced.stdout).not.toContain('generatedPassword');
    expect(bounced.stderr).toContain('roster edit bob --reset-password --generate-password');
  });

  it('does not mail an address written to the database by other means that is not one', () => {
    const clock = { ROSTER_TEST_NOW: '2026-12-04T09:00:00.000Z' };
    expect(run(addArgs('forged', ['--password-stdin', '--expires', '2026-12-07']), { input: 'forged password 1\n', env: clock }).code).toBe(0);
    sandbox.execute(`UPDATE "user" SET email = ? WHERE username = 'forged'`, 'forged@example.org\r\nBcc: evil@x.org');
    outbox.clear();
    const warned = run(['expire', '--warn', '7d', '--notify'], { env: clock });
    expect(warned.code).toBe(6);
    expect(warned.stderr).toContain(
      'roster: error: forged: mail to forged@example.org\\u000d\\u000aBcc: evil@x.org failed: not sent: the address is not a valid email address',
    );
    expect(warned.stdout + warned.stderr).not.toMatch(/\r/);
    expect(outbox.mails().filter((m) => m.head.includes('evil'))).toEqual([]);
  });

  it('mails no password to an account whose expiration date has passed', () => {
    outbox.clear();
    const clock = { ROSTER_TEST_NOW: '2026-12-04T09:00:00.000Z' };
    expect(run(addArgs('late', ['--generate-password', '--notify', '--expires', '2020-01-01']), { env: clock })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('an account whose expiration date has passed cannot log in'),
    });
    expect(sandbox.query(`SELECT id FROM "user" WHERE username = 'late'`)).toEqual([]);
    const csv = sandbox.file('expired.csv', 'LastName;FirstName;Email;UserName;Password;Status;ExpiryDate\nOld;Olga;olga@example.org;olga;;5;2020-01-01\n');
    const imported = run(['import', csv, '--notify'], { env: clock });
    expect(imported.code).toBe(0);
    expect(imported.stderr).toContain('1 password generated, 0 mailed');
    expect(outbox.mails()).toEqual([]);
    expect(run(['edit', 'olga', '--reset-password', '--generate-password', '--notify'], { env: clock })).toMatchObject({
      code: 4,
      stderr: expect.stringContaining('olga has expired: --notify would mail a password nobody can use'),
    });
    expect(run(['edit', 'olga', '--reset-password', '--generate-password', '--notify', '--expires', '2027-06-30'], { env: clock })).toMatchObject({ code: 0 });
    expect(outbox.mails()).toHaveLength(1);
  });

  it('refuses, before anything changes, what hostile input found: a replaceable program, a second sender, a huge template, an address literal', () => {
    // A program in a folder other accounts may write to could be replaced under roster's feet.
    const open = path.join(sandbox.dir, 'open');
    fs.mkdirSync(open, { mode: 0o777 });
    fs.chmodSync(open, 0o777);
    fs.copyFileSync(outbox.command, path.join(open, 'fake-mail'));
    expect(run(['config', 'set', 'mail.command', path.join(open, 'fake-mail')]).code).toBe(0);
    const replaceable = run(addArgs('h1', ['--generate-password', '--notify']));
    expect(replaceable).toMatchObject({
      code: 4,
      stderr: expect.stringContaining(`mail.command: ${open} may be changed by other accounts than its owner (mode 777)`),
    });
    expect(run(['config', 'set', 'mail.command', outbox.command]).code).toBe(0);
    expect(run(['config', 'set', 'mail.from', 'IT <it@example.org>, Evil <evil@x.org>'])).toMatchObject({
      code: 5,
      stderr: expect.stringContaining('holds <, > or @'),
    });
    const big = path.join(configDir, 'mail', 'welcome.en.txt');
    fs.mkdirSync(path.dirname(big), { recursive: true });
    fs.writeFileSync(big, `Subject: Big\n\nPassword: {password}\n${'{firstname}\n'.repeat(7000)}`);
    try {
      expect(run(addArgs('h2', ['--generate-password', '--notify']))).toMatchObject({ code: 5, stderr: expect.stringContaining('is larger than 64 kB') });
    } finally {
      fs.rmSync(big);
    }
    const literal = run(addArgs('h3', ['--generate-password', '--notify']).map((a) => (a === 'h3@example.org' ? 'h3@[evil.org]' : a)));
    expect(literal).toMatchObject({ code: 5, stderr: expect.stringContaining('"h3@[evil.org]" is not a valid email address') });
    expect(sandbox.query(`SELECT username FROM "user" WHERE username IN ('h1', 'h2', 'h3')`)).toEqual([]);
    expect(outbox.mails()).toEqual([]);
  });

  it('--notify belongs to --warn; login-as never mails', () => {
    expect(run(['expire', '--notify']).code).toBe(2);
    expect(run(['config', 'set', 'base-url', 'https://campus.example.org/'])).toMatchObject({ code: 0 });
    const login = run(['login-as', 'john', '--reason', 'ticket 42', '--yes']);
    expect(login.code).toBe(0);
    expect(outbox.mails()).toEqual([]);
  });

  it('anonymize erases the address from the mail entries of the audit log', () => {
    expect(run(['anonymize', 'zoe', '--yes'])).toMatchObject({ code: 0 });
    const entries = sandbox.query<{ details: string }>(`SELECT details FROM audit_log WHERE action = 'mail.sent'`);
    expect(entries.length).toBeGreaterThan(0);
    expect(JSON.stringify(entries)).not.toContain('zoe@example.org');
  });
});
