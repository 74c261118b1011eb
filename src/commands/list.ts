import { Option, type Command } from 'commander';
import type { CommandRegistry } from '../cli/registry';
import { UsageError } from '../core/errors';
import { withContext, type CommandContext } from '../cli/context';
import { addFilterOptions, addOrderOptions, filterFromOptions, orderFromOptions, type FilterOptions, type OrderOptions } from '../cli/filters';
import { line } from '../cli/io';
import { examples } from '../cli/options';
import { renderIds, renderJsonStream, renderUserCsv, renderUserTable, type ListFormat } from '../cli/render-users';
import type { UserFilter } from '../core/user-filter';

export interface ListOptions extends FilterOptions, OrderOptions {
  format?: ListFormat;
}

export function register(commands: CommandRegistry): void {
  commands.add('list', 'the user list: filter, sort, page; as a table, JSON, CSV, ids or a count', (command) => {
    addFilterOptions(command, { anonymized: true });
    addOrderOptions(command);
    addFormatOption(command);
    command.action(async (opts: ListOptions, cmd: Command) =>
      withContext(cmd, async (ctx) => renderSelection(ctx, await filterFromOptions(opts, ctx.now()), opts)),
    );
    examples(command, [
      'roster list --role teacher --active',
      'roster list --never-logged-in --registered-before 2026-01-01 --format csv > dormant.csv',
      'roster list --deleted',
      'roster list --field cohort=2026 --format count',
    ]);
  });
}

export function addFormatOption(command: Command): Command {
  return command
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv', 'ids', 'count']))
    .hook('preAction', (_command, action) => {
      // --json with a format that is not JSON would silently lose one of the two (checked before the database is opened).
      const { json, format } = action.optsWithGlobals<{ json?: boolean; format?: ListFormat }>();
      if (json && (format === 'table' || format === 'csv' || format === 'ids')) {
        throw new UsageError(`--json and --format ${format} ask for two different outputs`, 'use one of them (--format count --json gives {"count": n})');
      }
    });
}

/** Renders a selection in the format asked for; shared by list and search. */
export async function renderSelection(ctx: CommandContext, filter: UserFilter, opts: ListOptions): Promise<void> {
  const { listUsers, countUsers } = await import('../core/users');
  const format: ListFormat = opts.format ?? (ctx.json ? 'json' : 'table');
  if (format === 'count') {
    // What the same command would list: --offset and --limit apply to the count too.
    const matching = await countUsers(ctx, filter);
    const count = Math.max(0, Math.min(opts.limit ?? Infinity, matching - (opts.offset ?? 0)));
    line(ctx.io.stdout, ctx.json ? JSON.stringify({ count }) : String(count));
    return;
  }
  const users = listUsers(ctx, filter, orderFromOptions(opts));
  if (format === 'json') await renderJsonStream(ctx.io, users);
  else if (format === 'csv') await renderUserCsv(ctx.io, users);
  else if (format === 'ids') await renderIds(ctx.io, users);
  else await renderUserTable(ctx.io, users, ctx.now());
}
