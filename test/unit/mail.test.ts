import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkMailProgram, parseMailCommand, runMailCommand } from '../../src/mail/command';
import { SETTINGS } from '../../src/core/settings';
import { composeMessage, splitSender } from '../../src/mail/message';
import { configDirectory, parseTemplate, renderTemplate, TemplateSet } from '../../src/mail/templates';
import { caught } from './helpers';

describe('mail.command', () => {
  it('is split into words without a shell, quotes keeping spaces together', () => {
    expect(parseMailCommand('/usr/sbin/sendmail -t')).toEqual(['/usr/sbin/sendmail', '-t']);
    expect(parseMailCommand(`  /opt/mail tool/send  -f "a b"  'c;$(d)' ""`)).toEqual(['/opt/mail', 'tool/send', '-f', 'a b', 'c;$(d)', '']);
    expect(parseMailCommand(`'/opt/mail tool/send' -t`)).toEqual(['/opt/mail tool/send', '-t']);
  });

  it('is refused when relative, empty, unclosed or holding a control character', async () => {
    for (const bad of ['sendmail -t', '', '   ', '/usr/sbin/sendmail "-t', '/usr/sbin/sendmail\n-t']) {
      const error = await caught(() => parseMailCommand(bad));
      expect(error.exitCode).toBe(5);
      expect(error.message).toMatch(/^mail\.command: /);
    }
  });

  it('runs with the message on stdin, and says how it failed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-mail-'));
    try {
      const copy = path.join(dir, 'copy');
      fs.writeFileSync(copy, `#!/bin/sh\ncat > "${dir}/received"\n`, { mode: 0o755 });
      await runMailCommand([copy], Buffer.from('Subject: x\n\nbody ü\n'));
      expect(fs.readFileSync(path.join(dir, 'received'), 'utf8')).toBe('Subject: x\n\nbody ü\n');
      const refuse = path.join(dir, 'refuse');
      fs.writeFileSync(refuse, '#!/bin/sh\necho "no   route\nto host" >&2\nexit 69\n', { mode: 0o755 });
      await expect(runMailCommand([refuse], Buffer.from('x'))).rejects.toThrow(`${refuse} exited with status 69: no route to host`);
      await expect(runMailCommand([path.join(dir, 'absent')], Buffer.from('x'))).rejects.toThrow('does not exist');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops a program that does not answer in time, with the programs it started', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-mail-'));
    try {
      // sh waits for its sleep: stopping sh alone would leave the sleep holding stderr open for 30 s.
      const hang = path.join(dir, 'hang');
      fs.writeFileSync(hang, '#!/bin/sh\nsleep 30\necho done\n', { mode: 0o755 });
      const start = Date.now();
      await expect(runMailCommand([hang], Buffer.from('x'), { timeoutMs: 300 })).rejects.toThrow(`${hang} was stopped by SIGTERM (no answer within 0.3 s?)`);
      expect(Date.now() - start).toBeLessThan(5_000);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps nothing of what the program said when the mail held a password, which it may print back encoded', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-mail-'));
    try {
      const echo = path.join(dir, 'echo');
      fs.writeFileSync(echo, '#!/bin/sh\nbase64 >&2\nexit 75\n', { mode: 0o755 });
      const message = Buffer.from('Subject: x\n\nPassword: Secret1234567890\n');
      const hidden = await caught(() => runMailCommand([echo], message, { hideOutput: true }));
      expect(hidden.message).toBe(`${echo} exited with status 75: what it printed is not shown, since the mail held a password`);
      expect((await caught(() => runMailCommand([echo], message))).message).toContain(message.toString('base64').slice(0, 20));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is refused when another account could change the program roster would run', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-mail-'));
    try {
      const program = path.join(dir, 'sendmail');
      fs.writeFileSync(program, '#!/bin/sh\ncat > /dev/null\n', { mode: 0o755 });
      expect(() => checkMailProgram([program])).not.toThrow();
      fs.chmodSync(program, 0o775);
      const writable = await caught(() => checkMailProgram([program]));
      expect(writable.exitCode).toBe(4);
      expect(writable.message).toContain(`${program} may be changed by other accounts than its owner (mode 775)`);
      fs.chmodSync(program, 0o755);
      // A folder others may write to lets them replace the program, unless it is sticky (as /tmp is).
      fs.chmodSync(dir, 0o777);
      expect((await caught(() => checkMailProgram([program]))).message).toContain(
        `mail.command: ${dir} may be changed by other accounts than its owner (mode 777)`,
      );
      fs.chmodSync(dir, 0o1777);
      expect(() => checkMailProgram([program])).not.toThrow();
      fs.chmodSync(dir, 0o700);
      if (process.getuid?.() === 0) {
        // As root, a program of another account (nobody's) is refused; root's own are not.
        fs.chownSync(program, 65534, 65534);
        expect((await caught(() => checkMailProgram([program]))).message).toContain('belongs to another account (uid 65534)');
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not wait for a helper the program left running with its output open', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-mail-'));
    try {
      // setsid: a session of its own, beyond the signals of the program's group.
      const leaves = path.join(dir, 'leaves');
      fs.writeFileSync(leaves, '#!/bin/sh\ncat > /dev/null\nsetsid sleep 20 &\nexit 0\n', { mode: 0o755 });
      const start = Date.now();
      await runMailCommand([leaves], Buffer.from('x'));
      expect(Date.now() - start).toBeLessThan(5_000);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves no timer behind when the program cannot be started', async () => {
    // A timer left running would hold roster open for the whole mail timeout after its work is done.
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timers();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-mail-'));
    try {
      await expect(runMailCommand([path.join(dir, 'absent')], Buffer.from('x'))).rejects.toThrow('does not exist');
      expect(timers()).toBe(before);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('mail templates', () => {
  it('are a Subject line, an empty line and a body, with known placeholders only', async () => {
    const template = parseTemplate('welcome', 'Subject: Hi {firstname}\n\nUser {username}\nPassword: {password}\n', 'w.txt', 'en');
    expect(template.subject).toBe('Hi {firstname}');
    for (const [text, problem] of [
      ['Hi\n\nbody', 'the first line must be "Subject: <the subject>"'],
      ['Subject: \n\nbody', 'the first line must be'],
      ['Subject: Hi\nbody', 'the subject must be followed by an empty line'],
      ['Subject: Hi\n\n  \n', 'the body is empty'],
      ['Subject: Hi\n\nDays: {days}', 'line 3: unknown placeholder {days}'],
      ['Subject: {password}\n\nPassword: {password}', 'a password must not be put in the subject'],
      ['Subject: Hi\n\nUser {username}', 'the body has no {password}'],
      ['Subject: Code {officialCode}\n\nPassword: {password}', '{officialCode} may be absent, and cannot be in the subject'],
      ['Subject: Hi\n\nLogin {username}, password {password}, code {officialCode}', 'line 3: {password} shares its line with {officialCode}'],
    ]) {
      const error = await caught(() => parseTemplate('welcome', text!, 'w.txt', 'en'));
      expect(error.exitCode).toBe(5);
      expect(error.message).toContain(`mail template w.txt: ${problem}`);
    }
    // A file in another encoding: the hint says how to fix that, not which placeholders exist.
    const latin1 = await caught(() => parseTemplate('welcome', 'Subject: Caf\uFFFD\n\nPassword: {password}', 'w.txt', 'en'));
    expect(latin1.message).toContain('mail template w.txt: is not UTF-8 text');
    expect((latin1 as { suggestion?: string }).suggestion).toContain('save it as UTF-8');
    // {days} belongs to the expiry warning, {password} only to the welcome.
    expect(() => parseTemplate('expiry-warning', 'Subject: {expiresAt}\n\nin {days} days', 'e.txt', 'en')).not.toThrow();
    expect((await caught(() => parseTemplate('expiry-warning', 'Subject: x\n\n{password}', 'e.txt', 'en'))).exitCode).toBe(5);
  });

  it('leave out the body lines whose value is absent, and fill the rest', () => {
    const template = parseTemplate(
      'welcome',
      'Subject: Account {username}\n\nHello {firstname},\nPassword: {password}\nCode: {officialCode}\n{literal braces} stay\n',
      't',
      'en',
    );
    expect(renderTemplate(template, { username: 'ada', firstname: 'Ada' })).toEqual({
      subject: 'Account ada',
      body: 'Hello Ada,\n{literal braces} stay\n',
    });
    expect(renderTemplate(template, { username: 'ada', firstname: 'Ada', password: 'pw', officialCode: 'C1' }).body).toBe(
      'Hello Ada,\nPassword: pw\nCode: C1\n{literal braces} stay\n',
    );
  });

  it('are chosen by language, then base language, then the English file, then the built-in text', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-templates-'));
    try {
      expect(new TemplateSet('welcome', dir).forLanguage('fr').source).toBe('built-in');
      fs.mkdirSync(path.join(dir, 'mail'));
      const write = (name: string, subject: string) =>
        fs.writeFileSync(path.join(dir, 'mail', name), `Subject: ${subject}\n\n${name.startsWith('welcome') ? 'Password: {password}' : 'body'}\n`);
      write('welcome.fr.txt', 'français');
      write('welcome.pt-BR.txt', 'brasileiro');
      write('welcome.en.txt', 'english file');
      write('expiry-warning.fr.txt', 'expiration');
      const set = new TemplateSet('welcome', dir);
      expect(set.forLanguage('fr').subject).toBe('français');
      expect(set.forLanguage('fr-CA').subject).toBe('français');
      expect(set.forLanguage('pt-BR').subject).toBe('brasileiro');
      expect(set.forLanguage('pt').subject).toBe('english file');
      expect(set.forLanguage('de').subject).toBe('english file');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('are refused beyond 64 kB, before any mail', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-templates-'));
    try {
      fs.mkdirSync(path.join(dir, 'mail'));
      const file = path.join(dir, 'mail', 'welcome.en.txt');
      fs.writeFileSync(file, `Subject: Big\n\nPassword: {password}\n${'{firstname}\n'.repeat(7000)}`);
      const error = await caught(() => new TemplateSet('welcome', dir));
      expect(error.exitCode).toBe(5);
      expect(error.message).toBe(`mail template ${file}: is larger than 64 kB`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('live in $ROSTER_CONFIG_DIR, else $XDG_CONFIG_HOME/roster, else ~/.config/roster', () => {
    expect(configDirectory({ ROSTER_CONFIG_DIR: '/etc/roster' })).toBe('/etc/roster');
    expect(configDirectory({ XDG_CONFIG_HOME: '/home/a/.cfg' })).toBe('/home/a/.cfg/roster');
    expect(configDirectory({})).toBe(path.join(os.homedir(), '.config', 'roster'));
  });
});

describe('mail messages', () => {
  it('take mail.from as one sender only', () => {
    const parse = (value: string) => SETTINGS['mail.from']!.parse(value);
    expect(parse('Campus IT <it@example.org>')).toBe('Campus IT <it@example.org>');
    expect(() => parse('IT <it@example.org>, Evil <evil@x.org>')).toThrow('holds <, > or @');
    expect(() => parse('it@example.org <evil@x.org>')).toThrow('holds <, > or @');
  });

  it('split mail.from into name and address', () => {
    expect(splitSender('noreply@campus.example.org')).toEqual({ name: '', address: 'noreply@campus.example.org' });
    expect(splitSender('"Campus, Admissions" <a@b.org>')).toEqual({ name: 'Campus, Admissions', address: 'a@b.org' });
  });

  it('encode names and subjects beyond ASCII, and keep a subject on its header line whatever it holds', async () => {
    const message = (
      await composeMessage(
        { name: 'Campus, Admissions', address: 'noreply@campus.example.org' },
        { name: 'Zoë Ångström', address: 'zoe@example.org' },
        { subject: 'Bienvenue\r\nBcc: everyone@example.org', body: 'Bonjour Zoë\n' },
      )
    ).toString('utf8');
    const head = message.split('\n\n')[0]!;
    expect(head).toMatch(/^[\x20-\x7e\n]*$/);
    expect(head).not.toMatch(/^Bcc:/m);
    expect(head).toContain('From: "Campus, Admissions" <noreply@campus.example.org>');
    expect(head).toContain('To: =?UTF-8?Q?Zo=C3=AB_=C3=85ngstr=C3=B6m?= <zoe@example.org>');
    expect(message).not.toContain('\r');
  });
});
