import { escapeValue } from '../cli/terminal-text';
import type { CommandRegistry } from '../cli/registry';
import { inContext, type CommandContext, type Outcome } from '../cli/context';
import { filterFromOptions } from '../cli/filters';
import { line, write } from '../cli/io';
import { examples } from '../cli/options';
import { renderJsonStream } from '../cli/render-users';
import { mailJson, reportMail } from '../cli/notify';
import { addSelectionOptions, renderBatch, selectionFromCommand, type BatchCliOptions } from '../cli/selection';
import { UsageError } from '../shared/errors';
import type { User } from '../core/user-model';

interface ExpireOptions extends BatchCliOptions {
  warn?: string;
  notify?: boolean;
  quiet?: boolean;
}

export function register(commands: CommandRegistry): void {
  commands.add(
    'expire [users...]',
    'deactivate the active accounts whose expiration date has passed (for cron: never prompts, safe to run concurrently)',
    (command) => {
      command
        .option('--warn <duration>', 'change nothing: list the active accounts that expire within this time, e.g. 7d, 2w')
        .option('--notify', 'with --warn: mail each of them a warning, once per expiration date (safe to run daily)')
        .option('--quiet', 'print nothing when there was nothing to do (cron mails only real news)');
      addSelectionOptions(command, { omit: ['inactive', 'deleted'] });
      command.addHelpText(
        'after',
        `
  With --inactive-since <duration>, accounts without a login (or registration, if never
  used) for that long are deactivated too; admins and system accounts are spared unless
  named (as users, or with --role admin). Other filters narrow what expire looks at.
  With --warn --notify, an account already warned about the same expiration date is not
  mailed again; a changed date is warned about anew.
  Exit codes: 0 done (also when nothing expired), 4 the only account due is the last active
  admin, 6 some accounts could not be deactivated, or some warnings not mailed (each is
  named on stderr).`,
      );
      command.action(
        inContext((ctx, users: string[], opts: ExpireOptions) => {
          if (opts.notify && opts.warn === undefined) throw new UsageError('--notify mails the warnings of --warn', 'e.g. roster expire --warn 7d --notify');
          return opts.warn !== undefined ? runWarn(ctx, users, opts) : runExpire(ctx, users, opts);
        }),
      );
      examples(command, [
        'roster expire',
        'roster expire --quiet --actor cron',
        'roster expire --warn 7d --json',
        'roster expire --warn 7d --notify --quiet --actor cron',
        'roster expire --inactive-since 365d --role student --dry-run',
      ]);
    },
  );
}

export async function runExpire(ctx: CommandContext, users: string[], opts: ExpireOptions): Promise<Outcome> {
  const [{ planBatch, runBatch }, { expireAction, expirySelection }, { parseDormancy }] = await Promise.all([
    import('../core/batch'),
    import('../core/expiry'),
    import('../core/time'),
  ]);
  const dormantSince = opts.inactiveSince ? new Date(ctx.now().getTime() - parseDormancy(opts.inactiveSince, '--inactive-since')).toISOString() : undefined;
  const selection = expirySelection(ctx, await selectionFromCommand(ctx, users, { ...opts, inactiveSince: undefined }), { dormantSince });
  const plan = await planBatch(ctx, selection);
  // No confirmation: expiry applies dates that people set beforehand, and cron cannot answer.
  const result = await runBatch(ctx, plan, expireAction(ctx, { dormantSince }), { dryRun: opts.dryRun, atomic: opts.atomic });
  if (opts.quiet && !ctx.json && !result.changed.length && !result.failed.length) return;
  return renderBatch(ctx, result, { done: 'expired', would: 'expire', unchanged: 'not due' });
}

export async function runWarn(ctx: CommandContext, users: string[], opts: ExpireOptions): Promise<Outcome> {
  if (users.length) throw new UsageError('--warn lists by filters; name no users', 'narrow it with the filters of roster list, e.g. --role student');
  if (opts.inactiveSince) throw new UsageError('--warn lists accounts by expiration date; it does not combine with --inactive-since');
  const [{ expiringSoonFilter }, { listUsers }, { parseDaysAhead }] = await Promise.all([
    import('../core/expiry'),
    import('../core/users'),
    import('../core/time'),
  ]);
  let within: number;
  try {
    within = parseDaysAhead(opts.warn!, '--warn');
  } catch {
    // A malformed option value, as before: exit 2.
    throw new UsageError(`--warn expects how far ahead to look, such as 7d, 2w or 7 (days), not "${opts.warn}"`);
  }
  const days = Math.round(within / 86_400_000);
  const filter = expiringSoonFilter(ctx, await filterFromOptions(opts, ctx.now()), within);
  const expiring = listUsers(ctx, filter, { sort: 'expires' });
  if (opts.notify) return warnByMail(ctx, expiring, days, opts);
  if (ctx.json) {
    await renderJsonStream(ctx.io, expiring);
    return;
  }
  let count = 0;
  for await (const user of expiring) {
    if (count++ === 0) line(ctx.io.stdout, `accounts that expire within ${days} day(s):`);
    await write(ctx.io.stdout, `${warnLine(user)}\n`);
  }
  if (count) line(ctx.io.stdout, `${count} account(s)`);
  else if (!opts.quiet) line(ctx.io.stdout, `no account expires within ${days} day(s)`);
}

/** --warn --notify: the list, then a mail to each account not yet warned about its date. */
async function warnByMail(ctx: CommandContext, expiring: AsyncIterable<User>, days: number, opts: ExpireOptions): Promise<Outcome> {
  const { Mailer, recipientOf } = await import('../core/notify');
  // Settings and templates are checked before anything is listed.
  const mailer = await Mailer.open(ctx, 'expiry-warning');
  const users: User[] = [];
  for await (const user of expiring) users.push(user);
  const recipients = users.map((u) => recipientOf(u));
  const outcome = opts.dryRun
    ? { sent: [], failed: [], alreadySent: (await mailer.due(recipients)).alreadySent }
    : await mailer.sendAll(recipients, { skipAlreadySent: true });
  if (ctx.json) {
    line(ctx.io.stdout, JSON.stringify({ users, mail: mailJson(outcome), dryRun: Boolean(opts.dryRun) }, null, 2));
    return reportMail(ctx, outcome);
  }
  if (!users.length) {
    if (!opts.quiet) line(ctx.io.stdout, `no account expires within ${days} day(s)`);
    return;
  }
  // --quiet: cron mails the admins only when a mail went out or failed.
  if (opts.quiet && !outcome.sent.length && !outcome.failed.length) return;
  line(ctx.io.stdout, `accounts that expire within ${days} day(s):`);
  for (const user of users) await write(ctx.io.stdout, `${warnLine(user)}\n`);
  line(ctx.io.stdout, `${users.length} account(s)`);
  if (opts.dryRun) {
    const due = users.length - outcome.alreadySent.length;
    line(ctx.io.stdout, `no mail sent (dry run): ${due} to warn, ${outcome.alreadySent.length} warned already about the same date`);
  }
  return reportMail(ctx, outcome);
}

function warnLine(user: User): string {
  return `  ${user.expiresAt!.slice(0, 16).replace('T', ' ')} UTC  ${escapeValue(user.username)}  <${escapeValue(user.email)}>  ${escapeValue(`${user.firstname} ${user.lastname}`)}`;
}
