import type { CommandRegistry } from '../cli/registry';
import { Interrupted, listenForStop } from '../cli/interrupt';
import { extname } from 'node:path';
import { Option, type Command } from 'commander';
import { inContext, type CommandContext } from '../cli/context';
import { addFilterOptions, filterFromOptions, type FilterOptions } from '../cli/filters';
import { line, write } from '../cli/io';
import { forTerminal } from '../cli/terminal-text';
import { collectList, examples } from '../cli/options';
import { createProgress, noProgress } from '../cli/progress';
import { UsageError } from '../shared/errors';
import type { FileFormat } from '../formats/user-file';

interface ExportOptions extends FilterOptions {
  format?: FileFormat;
  fields?: string[];
  /** The name --fields had before list took it too; still accepted. */
  columns?: string[];
  includePasswordHashes?: boolean;
  raw?: boolean;
  delimiter?: string;
  force?: boolean;
}

export function register(commands: CommandRegistry): void {
  commands.add('export [file]', "export users to CSV (Chamilo's columns), XML (Chamilo's layout) or JSON, with the filters of list", defineExport, {
    file: 'the output file, or - for standard output (default)',
  });
}

function defineExport(command: Command): void {
  command
    .addOption(new Option('--format <format>', 'csv, xml or json (default: from the file extension, else csv)').choices(['csv', 'xml', 'json']))
    .option('--fields <a,b,…>', 'CSV and XML: these columns, in this order (Chamilo or roster names, extra fields)', collectList)
    .addOption(new Option('--columns <a,b,…>', 'the same as --fields').argParser(collectList).hideHelp())
    .option('--include-password-hashes', 'add the bcrypt hashes, for a migration (the file is created with mode 0600)')
    .option('--raw', 'CSV: do not neutralise cells a spreadsheet would run as formulas')
    .option('--delimiter <char>', 'CSV: the delimiter, ; (default) , | or tab')
    .option('--force', 'replace the output file if it exists');
  addFilterOptions(command, { anonymized: true });
  command.hook('preAction', (_command, action) => {
    // To standard output, --json is the format of the users; another --format would contradict it.
    const file = action.args[0];
    const { json, format } = action.optsWithGlobals<{ json?: boolean; format?: string }>();
    if ((file === undefined || file === '-') && json && format && format !== 'json') {
      throw new UsageError(
        `--json and --format ${format} ask for two different outputs`,
        'use one of them; with an output file, --json prints a summary of the export',
      );
    }
  });
  command.action(inContext((ctx, file: string | undefined, opts: ExportOptions) => runExport(ctx, file, opts)));
  examples(command, [
    'roster export users.csv',
    'roster export teachers.xml --role teacher --active',
    'roster export - --format json --course MATH101 | jq length',
    'roster export migration.csv --include-password-hashes --fields UserName,Email,PasswordHash',
  ]);
}

const EXTENSIONS: Record<string, FileFormat> = { '.csv': 'csv', '.txt': 'csv', '.xml': 'xml', '.json': 'json' };

export async function runExport(ctx: CommandContext, file: string | undefined, opts: ExportOptions): Promise<void> {
  const toStdout = file === undefined || file === '-';
  const format: FileFormat =
    opts.format ??
    (toStdout ? (ctx.json ? 'json' : 'csv') : Object.hasOwn(EXTENSIONS, extname(file).toLowerCase()) ? EXTENSIONS[extname(file).toLowerCase()]! : 'csv');
  const hashes = Boolean(opts.includePasswordHashes);
  if (hashes && toStdout && ctx.io.stdout.isTTY) {
    throw new UsageError('password hashes are not shown on a terminal', 'give an output file: roster export users.csv --include-password-hashes');
  }
  if (opts.raw && format !== 'csv') throw new UsageError('--raw applies to CSV only');
  const [{ planExport, countExport }, { parseDelimiter }, { checkOutputPath, OutputFile }, { databaseFiles }] = await Promise.all([
    import('../core/export'),
    import('../formats/csv-reader'),
    import('../formats/output-file'),
    import('../db/database-files'),
  ]);
  // Checked before anything is read: never over the database, never over a file without --force.
  const targetPath = toStdout ? undefined : checkOutputPath(file, { force: opts.force, protect: databaseFiles(ctx.db) });
  const delimiter = opts.delimiter !== undefined ? parseDelimiter(opts.delimiter) : undefined;
  // An export is a copy of the accounts: anonymized ones included (their state travels with them).
  const filter = { anonymized: 'include' as const, ...(await filterFromOptions(opts, ctx.now())) };
  const controller = new AbortController();
  const plan = await planExport(ctx, {
    filter,
    format,
    columns: opts.fields || opts.columns ? [...(opts.fields ?? []), ...(opts.columns ?? [])] : undefined,
    includePasswordHashes: hashes,
    raw: opts.raw,
    delimiter,
    signal: controller.signal,
  });
  // Not when the rows go to the same terminal: the bar would be drawn over them.
  const showProgress = Boolean(ctx.io.stderr.isTTY) && !(toStdout && ctx.io.stdout.isTTY);
  const progress = showProgress ? createProgress(ctx.io, 'exporting', await countExport(ctx, filter)) : noProgress;

  // Heard before the temporary file exists: a signal in between would leave it behind.
  const stop = listenForStop(controller);
  let target: InstanceType<typeof OutputFile> | undefined;
  try {
    // Written under a temporary name, mode 0600 (names and emails are personal data), renamed when complete.
    target = targetPath === undefined ? undefined : new OutputFile(targetPath, Boolean(opts.force));
    for await (const text of plan.chunks()) {
      if (target) {
        target.write(text);
        // Writes to a file are synchronous: let a stop signal (Ctrl-C, SIGTERM, SIGHUP) be heard between chunks.
        await new Promise<void>((resolve) => setImmediate(resolve));
      } else {
        // To a terminal a person reads it: control characters escaped (a pipe or a file gets the data as it is).
        await write(ctx.io.stdout, ctx.io.stdout.isTTY ? forTerminal(text) : text);
      }
      progress.update(plan.count);
    }
    progress.done();
    if (stop.stoppedBy()) throw new Error('interrupted');
    target?.commit();
  } catch (error) {
    progress.done();
    target?.abandon();
    const stoppedBy = stop.stoppedBy();
    if (stoppedBy) throw new Interrupted(stoppedBy, toStdout ? 'the output is incomplete' : `${file} was not written`);
    throw error;
  } finally {
    stop.release();
  }
  if (toStdout) return;
  if (ctx.json) line(ctx.io.stdout, JSON.stringify({ exported: plan.count, file: target?.target, format, passwordHashes: hashes }));
  else
    line(ctx.io.stdout, `exported ${plan.count} user${plan.count === 1 ? '' : 's'} to ${file} (${format}${hashes ? ', with password hashes' : ''}, mode 0600)`);
}
