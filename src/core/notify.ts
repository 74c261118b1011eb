import { mailNoticesOf, recordMailNotice } from '../db/mail-repository';
import { checkMailProgram, parseMailCommand, runMailCommand } from '../mail/command';
import { composeMessage, splitSender } from '../mail/message';
import { configDirectory, renderTemplate, TemplateSet, type TemplateName } from '../mail/templates';
import { audit } from './audit';
import { Problems, checkEmail } from './validation';
import { nowIso, type ServiceContext } from './context';
import { requireSetting } from './settings';
import type { User } from './user-model';

/** Who a mail goes to, and the values its template may use. */
export interface MailRecipient {
  userId: number;
  username: string;
  email: string;
  firstname: string;
  lastname: string;
  language: string;
  officialCode?: string | null;
  /** A password roster generated: in the welcome mail, and nowhere else. */
  password?: string;
  expiresAt?: string | null;
}

export function recipientOf(user: User, password?: string): MailRecipient {
  return {
    userId: user.id,
    username: user.username,
    email: user.email,
    firstname: user.firstname,
    lastname: user.lastname,
    language: user.language,
    officialCode: user.officialCode,
    expiresAt: user.expiresAt,
    password,
  };
}

export interface MailFailure {
  userId: number;
  username: string;
  email: string;
  message: string;
  /** The mail carried a password roster generated, which is now nowhere: the account needs another. */
  passwordLost: boolean;
}

export interface MailOutcome {
  /** `withPassword`: the mail carried a password roster generated. */
  sent: { userId: number; username: string; email: string; withPassword: boolean }[];
  failed: MailFailure[];
  /** Already sent this very mail (an expiry warning about the same date): not sent again. */
  alreadySent: { userId: number; username: string }[];
}

/**
 * Sends the mails of one template through mail.command, one user at a
 * time, each audited: `mail.sent` (template, address, template file), or
 * `mail.failed` with the reason. A failed mail is not retried: it is
 * reported, and the caller exits 6. Everything that can be checked before
 * the first mail (the settings, the command, every template file) is checked
 * by `open`, so that a command with --notify stops before it changes anything.
 */
export class Mailer {
  private constructor(
    private readonly ctx: ServiceContext,
    private readonly templates: TemplateSet,
    private readonly command: string[],
    private readonly from: { name: string; address: string },
  ) {}

  static async open(ctx: ServiceContext, template: TemplateName, env: NodeJS.ProcessEnv = process.env): Promise<Mailer> {
    const command = parseMailCommand(await requireSetting(ctx, 'mail.command'));
    checkMailProgram(command);
    const from = splitSender(await requireSetting(ctx, 'mail.from'));
    return new Mailer(ctx, new TemplateSet(template, configDirectory(env)), command, from);
  }

  get template(): TemplateName {
    return this.templates.name;
  }

  /** The recipients that already had this mail about the same thing (`about`), by user id and about. */
  async alreadySent(recipients: readonly MailRecipient[]): Promise<Set<string>> {
    return mailNoticesOf(
      this.ctx.db.kysely,
      this.template,
      recipients.map((r) => r.userId),
    );
  }

  /** `about` of a mail: what makes two of them the same mail (an expiry warning: the date). */
  aboutOf(recipient: MailRecipient): string {
    return this.template === 'expiry-warning' ? (recipient.expiresAt ?? '') : '';
  }

  /** The recipients still due this mail, and those that already had it (about the same thing). */
  async due(recipients: readonly MailRecipient[]): Promise<{ due: MailRecipient[]; alreadySent: MailOutcome['alreadySent'] }> {
    const sentBefore = await this.alreadySent(recipients);
    const due: MailRecipient[] = [];
    const alreadySent: MailOutcome['alreadySent'] = [];
    for (const recipient of recipients) {
      if (sentBefore.has(`${recipient.userId}:${this.aboutOf(recipient)}`)) alreadySent.push({ userId: recipient.userId, username: recipient.username });
      else due.push(recipient);
    }
    return { due, alreadySent };
  }

  /** Sends to each in turn; never throws for one user's failure. */
  async sendAll(recipients: readonly MailRecipient[], options: { skipAlreadySent?: boolean } = {}): Promise<MailOutcome> {
    const { due, alreadySent } = options.skipAlreadySent ? await this.due(recipients) : { due: recipients, alreadySent: [] };
    const outcome: MailOutcome = { sent: [], failed: [], alreadySent };
    for (const recipient of due) {
      const failure = await this.send(recipient);
      if (failure) outcome.failed.push(failure);
      else
        outcome.sent.push({ userId: recipient.userId, username: recipient.username, email: recipient.email, withPassword: recipient.password !== undefined });
    }
    return outcome;
  }

  /** One mail; undefined when it went out, else the failure (audited either way). */
  async send(recipient: MailRecipient): Promise<MailFailure | undefined> {
    const template = this.templates.forLanguage(recipient.language);
    const details = { template: this.template, to: recipient.email, language: template.language, file: template.source };
    try {
      // The program is checked again before each mail: a long import gives time to swap it.
      checkMailProgram(this.command);
      // Checked again here: a value written to the database by other means than roster is not trusted.
      const problems = new Problems();
      checkEmail(recipient.email, problems);
      if (!problems.empty) throw new Error('not sent: the address is not a valid email address (fix it with roster edit --email)');
      const mail = renderTemplate(template, valuesOf(recipient, nowIso(this.ctx)));
      const message = await composeMessage(this.from, { name: `${recipient.firstname} ${recipient.lastname}`.trim(), address: recipient.email }, mail);
      await runMailCommand(this.command, message, { hideOutput: recipient.password !== undefined });
    } catch (error) {
      // Never the password: runMailCommand keeps nothing the program printed when the mail held one.
      const message = (error as Error).message;
      await audit(this.ctx.db.kysely, this.ctx, 'mail.failed', recipient.userId, { ...details, error: message });
      return { userId: recipient.userId, username: recipient.username, email: recipient.email, message, passwordLost: recipient.password !== undefined };
    }
    const sentAt = nowIso(this.ctx);
    await this.ctx.db.kysely.transaction().execute(async (trx) => {
      await recordMailNotice(trx, { userId: recipient.userId, template: this.template, about: this.aboutOf(recipient), sentAt });
      await audit(trx, this.ctx, 'mail.sent', recipient.userId, details);
    });
    return undefined;
  }
}

function valuesOf(recipient: MailRecipient, now: string): Record<string, string | undefined> {
  const expires = recipient.expiresAt ?? undefined;
  return {
    username: recipient.username,
    email: recipient.email,
    firstname: recipient.firstname,
    lastname: recipient.lastname,
    language: recipient.language,
    officialCode: recipient.officialCode || undefined,
    password: recipient.password,
    expiresAt: expires && `${expires.slice(0, 16).replace('T', ' ')} UTC`,
    // Calendar days (UTC), as people count them: an account that ends tonight expires in 0 days.
    days: expires && String(Math.max(0, Math.round((Date.parse(expires.slice(0, 10)) - Date.parse(now.slice(0, 10))) / 86_400_000))),
  };
}

/**
 * Mails sent one after another while the caller goes on (an import writes
 * its next chunks meanwhile); `finish` waits for the last and tells what
 * happened. A recipient's password is dropped once its mail is sent.
 */
export class MailQueue {
  private chain: Promise<void> = Promise.resolve();
  private error: Error | undefined;
  private readonly outcome: MailOutcome = { sent: [], failed: [], alreadySent: [] };

  constructor(private readonly mailer: Mailer) {}

  add(recipients: readonly MailRecipient[]): void {
    this.chain = this.chain.then(async () => {
      if (this.error !== undefined) return;
      try {
        const done = await this.mailer.sendAll(recipients);
        this.outcome.sent.push(...done.sent);
        this.outcome.failed.push(...done.failed);
      } catch (error) {
        // Not one user's mail but roster itself (the audit could not be written): reported by finish.
        this.error = error instanceof Error ? error : new Error(String(error));
      }
    });
  }

  async finish(): Promise<MailOutcome> {
    await this.chain;
    if (this.error !== undefined) throw this.error;
    return this.outcome;
  }
}
