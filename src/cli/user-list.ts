import { Option, type Command } from 'commander';
import type { CommandContext } from './context';
import { orderFromOptions, type FilterOptions, type OrderOptions } from './filters';
import { line, write } from './io';
import { collectList } from './options';
import { renderIds, renderJsonStream, renderUserTable, userFieldsFor, type ListFormat } from './render-users';
import { forTerminal } from './terminal-text';
import { UsageError } from '../shared/errors';
import type { UserFilter } from '../shared/user-filter';

/** The options of list and search that shape their output. */
export interface ListOptions extends FilterOptions, OrderOptions {
  format?: ListFormat;
  fields?: string[];
  delimiter?: string;
}

export function addListOutputOptions(command: Command): Command {
  return command
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv', 'ids', 'count']))
    .option('--fields <a,b,…>', 'these fields, in this order, in the table, JSON or CSV (any column name of export, extra fields)', collectList)
    .option('--delimiter <char>', 'with --format csv: ; (default) , | or tab')
    .hook('preAction', (_command, action) => {
      // Contradictions are refused before the database is opened.
      const { json, format, fields, delimiter } = action.optsWithGlobals<{ json?: boolean; format?: ListFormat; fields?: string[]; delimiter?: string }>();
      if (json && (format === 'table' || format === 'csv' || format === 'ids')) {
        throw new UsageError(`--json and --format ${format} ask for two different outputs`, 'use one of them (--format count --json gives {"count": n})');
      }
      if (fields && (format === 'ids' || format === 'count'))
        throw new UsageError(`--fields does not apply to --format ${format}`, 'use it with the table, --json or --format csv');
      if (delimiter !== undefined && format !== 'csv') throw new UsageError('--delimiter applies to --format csv only');
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
  const order = orderFromOptions(opts);
  if (format === 'csv') return renderCsv(ctx, filter, opts);
  const fields = opts.fields ? await userFieldsFor(ctx, opts.fields) : undefined;
  const users = listUsers(ctx, filter, order);
  if (format === 'json') await renderJsonStream(ctx.io, users, fields);
  else if (format === 'ids') await renderIds(ctx.io, users);
  else await renderUserTable(ctx.io, users, ctx.now(), fields);
}

/** The CSV of export (its columns, its writer), in the list's order and page. */
async function renderCsv(ctx: CommandContext, filter: UserFilter, opts: ListOptions): Promise<void> {
  const [{ planExport }, { parseDelimiter }] = await Promise.all([import('../core/export'), import('../formats/csv-reader')]);
  const delimiter = opts.delimiter === undefined ? undefined : parseDelimiter(opts.delimiter);
  const plan = await planExport(ctx, { filter, format: 'csv', columns: opts.fields, delimiter, order: orderFromOptions(opts) });
  // Data for a program, written as it is; escaped only for a person reading it on a terminal.
  for await (const text of plan.chunks()) await write(ctx.io.stdout, ctx.io.stdout.isTTY ? forTerminal(text) : text);
}
