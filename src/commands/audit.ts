import { Option } from 'commander';
import type { CommandRegistry } from '../cli/registry';
import { inContext, type CommandContext } from '../cli/context';
import { BlockWriter, line, type Io } from '../cli/io';
import { UsageError } from '../shared/errors';
import { examples, wholeNumber } from '../cli/options';
import type { AuditEntry } from '../core/audit';
import { describeChange } from '../cli/describe-change';

interface AuditOptions {
  user?: string;
  action?: string;
  by?: string;
  since?: string;
  limit?: number;
  format?: 'text' | 'csv';
}

export function register(commands: CommandRegistry): void {
  commands.add('audit', 'the audit log: who changed what, and when', (command) => {
    command
      .option('--user <user>', 'entries about this user')
      .option('--action <action>', 'this action (user.edit) or family (user)')
      .option('--by <actor>', 'what this person did (the actor: --actor, $SUDO_USER or a login; any case)')
      .option('--since <date|duration>', 'entries from this date, or from 7d, 12h… ago')
      .option('--limit <n>', 'the latest n entries', wholeNumber)
      .addOption(new Option('--format <format>', 'text (default) or csv (one entry a row, details as JSON)').choices(['text', 'csv']))
      .action(inContext((ctx, opts: AuditOptions) => runAudit(ctx, opts)));
    examples(command, [
      'roster audit --user ada',
      'roster audit --action user.login-as --since 30d --json',
      'roster audit --by alice --since 7d',
      'roster audit --since 30d --format csv > audit.csv',
    ]);
  });
}

export async function runAudit(ctx: CommandContext, opts: AuditOptions): Promise<void> {
  const [{ listAudit }, { parseDateOrAgo }] = await Promise.all([import('../core/audit'), import('../core/time')]);
  const since = opts.since ? parseDateOrAgo(opts.since, '--since', ctx.now()) : undefined;
  const entries = await listAudit(ctx, { user: opts.user, action: opts.action, actor: opts.by, since, limit: opts.limit });
  if (ctx.json && opts.format === 'csv') throw new UsageError('--json and --format csv ask for two different outputs', 'use one of them');
  if (ctx.json) return line(ctx.io.stdout, JSON.stringify(entries, null, 2));
  if (opts.format === 'csv') return writeCsv(ctx.io, entries);
  if (!entries.length) return line(ctx.io.stderr, 'no audit entries match');
  for (const entry of entries) line(ctx.io.stdout, formatEntry(entry));
}

async function writeCsv(io: Io, entries: AuditEntry[]): Promise<void> {
  const { formatCsvLine } = await import('../formats/csv-writer');
  const out = new BlockWriter(io.stdout, Boolean(io.stdout.isTTY));
  await out.write(formatCsvLine(['id', 'at', 'actor', 'action', 'userId', 'username', 'details']));
  for (const e of entries) {
    await out.write(
      formatCsvLine([
        String(e.id),
        e.at,
        e.actor,
        e.action,
        e.userId === null ? '' : String(e.userId),
        e.username ?? '',
        e.details ? JSON.stringify(e.details) : '',
      ]),
    );
  }
  await out.flush();
}

function formatEntry(entry: AuditEntry): string {
  // The username as the account has it today; id alone once it is purged.
  const target = entry.userId === null ? '' : entry.username ? ` user ${entry.username} (id:${entry.userId})` : ` user id:${entry.userId}`;
  const head = `${entry.at}  ${entry.actor}  ${entry.action}${target}`;
  const { changes, ...rest } = entry.details ?? {};
  const parts = (changes ?? []).map(describeChange);
  const other = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const tail = [...parts, ...other];
  return tail.length ? `${head}\n    ${tail.join('\n    ')}` : head;
}
