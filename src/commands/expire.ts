import type { CommandRegistry } from '../cli/registry';
import { inContext, type CommandContext, type Outcome } from '../cli/context';
import { filterFromOptions } from '../cli/filters';
import { line, write } from '../cli/io';
import { examples } from '../cli/options';
import { renderJsonStream } from '../cli/render-users';
import { addSelectionOptions, renderBatch, selectionFromCommand, type BatchCliOptions } from '../cli/selection';
import { UsageError } from '../shared/errors';
import type { User } from '../core/user-model';

interface ExpireOptions extends BatchCliOptions {
  warn?: string;
  quiet?: boolean;
}

export function register(commands: CommandRegistry): void {
  commands.add(
    'expire [users...]',
    'deactivate the active accounts whose expiration date has passed (for cron: never prompts, safe to run concurrently)',
    (command) => {
      command
        .option('--warn <duration>', 'change nothing: list the active accounts that expire within this time, e.g. 7d, 2w')
        .option('--quiet', 'print nothing when there was nothing to do (cron mails only real news)');
      addSelectionOptions(command, { omit: ['inactive', 'deleted'] });
      command.addHelpText(
        'after',
        `
  With --inactive-since <duration>, accounts without a login (or registration, if never
  used) for that long are deactivated too; admins and system accounts are spared unless
  named (as users, or with --role admin). Other filters narrow what expire looks at.
  Exit codes: 0 done (also when nothing expired), 4 the only account due is the last active
  admin, 6 some accounts could not be deactivated (each is named on stderr).`,
      );
      command.action(
        inContext((ctx, users: string[], opts: ExpireOptions) => (opts.warn !== undefined ? runWarn(ctx, users, opts) : runExpire(ctx, users, opts))),
      );
      examples(command, [
        'roster expire',
        'roster expire --quiet --actor cron',
        'roster expire --warn 7d --json',
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

function warnLine(user: User): string {
  return `  ${user.expiresAt!.slice(0, 16).replace('T', ' ')} UTC  ${user.username}  <${user.email}>  ${user.firstname} ${user.lastname}`;
}
