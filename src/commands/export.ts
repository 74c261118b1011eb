import { createWriteStream, existsSync, fchmodSync, openSync, renameSync, rmSync, type WriteStream } from 'node:fs';
import type { CommandRegistry } from '../cli/registry';
import { exitCodeFor, listenForStop } from '../cli/interrupt';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { withContext, type CommandContext } from '../cli/context';
import { addFilterOptions, filterFromOptions, type FilterOptions } from '../cli/filters';
import { line, write } from '../cli/io';
import { collectList, examples } from '../cli/options';
import { createProgress } from '../cli/progress';
import { NotFoundError, UsageError } from '../core/errors';
import type { FileFormat } from '../formats/user-file';

interface ExportOptions extends FilterOptions {
  format?: FileFormat;
  columns?: string[];
  includePasswordHashes?: boolean;
  raw?: boolean;
  delimiter?: string;
}

export function register(commands: CommandRegistry): void {
  commands.add('export [file]', 'export users to CSV (Chamilo\'s columns), XML (Chamilo\'s layout) or JSON, with the filters of list', defineExport, { file: 'the output file, or - for standard output (default)' });
}

function defineExport(command: Command): void {
  command
    .addOption(new Option('--format <format>', 'csv, xml or json (default: from the file extension, else csv)').choices(['csv', 'xml', 'json']))
    .option('--columns <a,b,…>', 'CSV and XML: these columns, in this order (Chamilo or roster names, extra fields)', collectList)
    .option('--include-password-hashes', 'add the bcrypt hashes, for a migration (the file is created with mode 0600)')
    .option('--raw', 'CSV: do not neutralise cells a spreadsheet would run as formulas')
    .option('--delimiter <char>', 'CSV: the delimiter, ; (default) , | or tab');
  addFilterOptions(command);
  command.action(async (file: string | undefined, opts: ExportOptions, cmd: Command) => {
    // To standard output, --json is the format of the users; another --format would contradict it.
    const toStdout = file === undefined || file === '-';
    if (toStdout && cmd.optsWithGlobals<{ json?: boolean }>().json && opts.format && opts.format !== 'json') {
      throw new UsageError(`--json and --format ${opts.format} ask for two different outputs`, 'use one of them; with an output file, --json prints a summary of the export');
    }
    return withContext(cmd, (ctx) => runExport(ctx, file, opts));
  });
  examples(command, [
    'roster export users.csv',
    'roster export teachers.xml --role teacher --active',
    'roster export - --format json --course MATH101 | jq length',
    'roster export migration.csv --include-password-hashes --columns UserName,Email,PasswordHash',
  ]);
}

const EXTENSIONS: Record<string, FileFormat> = { '.csv': 'csv', '.txt': 'csv', '.xml': 'xml', '.json': 'json' };

async function runExport(ctx: CommandContext, file: string | undefined, opts: ExportOptions): Promise<void> {
  const toStdout = file === undefined || file === '-';
  const format: FileFormat = opts.format ?? (toStdout ? (ctx.json ? 'json' : 'csv') : (Object.hasOwn(EXTENSIONS, extname(file!).toLowerCase()) ? EXTENSIONS[extname(file!).toLowerCase()]! : 'csv'));
  const hashes = Boolean(opts.includePasswordHashes);
  if (hashes && toStdout && ctx.io.stdout.isTTY) {
    throw new UsageError('password hashes are not shown on a terminal', 'give an output file: roster export users.csv --include-password-hashes');
  }
  if (opts.raw && format !== 'csv') throw new UsageError('--raw applies to CSV only');
  const [{ planExport, countExport }, { parseDelimiter }] = await Promise.all([import('../core/export'), import('../formats/csv-reader')]);
  const delimiter = opts.delimiter !== undefined ? parseDelimiter(opts.delimiter) : undefined;
  const filter = await filterFromOptions(opts, ctx.now());
  const controller = new AbortController();
  const plan = await planExport(ctx, { filter, format, columns: opts.columns, includePasswordHashes: hashes, raw: opts.raw, delimiter, signal: controller.signal });
  const showProgress = Boolean(ctx.io.stderr.isTTY) && !(toStdout && ctx.io.stdout.isTTY);
  const progress = createProgress(ctx.io, 'exporting', showProgress ? await countExport(ctx, filter) : 0);

  const target = toStdout ? undefined : openTarget(resolve(file!), hashes);
  const out = target?.stream ?? ctx.io.stdout;
  const stop = listenForStop(controller);
  try {
    for await (const text of plan.chunks()) {
      await write(out, text);
      progress.update(plan.count);
    }
    progress.done();
    if (stop.stoppedBy()) throw new Error('interrupted');
    await target?.commit();
  } catch (error) {
    progress.done();
    await target?.abandon();
    const stoppedBy = stop.stoppedBy();
    if (stoppedBy) {
      process.stderr.write(`roster: interrupted: ${toStdout ? 'the output is incomplete' : `${file} was not written`}\n`);
      process.exitCode = exitCodeFor(stoppedBy);
      return;
    }
    throw error;
  } finally {
    stop.release();
  }
  if (toStdout) return;
  if (ctx.json) line(ctx.io.stdout, JSON.stringify({ exported: plan.count, file: target!.file, format, passwordHashes: hashes }));
  else line(ctx.io.stdout, `exported ${plan.count} user${plan.count === 1 ? '' : 's'} to ${file} (${format}${hashes ? ', with password hashes, mode 0600' : ''})`);
}

interface Target {
  file: string;
  stream: WriteStream;
  commit(): Promise<void>;
  abandon(): Promise<void>;
}

/**
 * The export is written to a temporary file next to the target and renamed
 * when complete: an interrupted export never leaves a half-written file. With
 * password hashes the file is created readable by its owner only.
 */
function openTarget(file: string, hashes: boolean): Target {
  const dir = dirname(file);
  if (!existsSync(dir)) throw new NotFoundError(`no directory ${dir}`, 'create it first, or choose another path');
  const temp = join(dir, `.${basename(file)}.${process.pid}.tmp`);
  let fd: number;
  try {
    fd = openSync(temp, 'wx', hashes ? 0o600 : 0o666);
  } catch (error) {
    throw new NotFoundError(`cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'choose a writable path');
  }
  if (hashes) fchmodSync(fd, 0o600);
  const stream = createWriteStream(temp, { fd, highWaterMark: 1 << 18 });
  const closed = () => new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return {
    file,
    stream,
    async commit() {
      await closed();
      renameSync(temp, file);
    },
    async abandon() {
      await closed().catch(() => undefined);
      rmSync(temp, { force: true });
    },
  };
}
