import { Option, type Command } from 'commander';
import type { CommandRegistry } from '../cli/registry';
import { Interrupted, listenForStop } from '../cli/interrupt';
import { inContext, type CommandContext, type Outcome } from '../cli/context';
import { line, paint, warn } from '../cli/io';
import { escapeValue } from '../cli/terminal-text';
import { collect, examples } from '../cli/options';
import { createProgress } from '../cli/progress';
import { resolve } from 'node:path';
import { ConflictError, ExitCode, PartialFailureError, UsageError, ValidationError } from '../shared/errors';
import type { ColumnMap, ColumnTarget } from '../core/import-columns';
import type { ImportSummary, OnExisting } from '../core/import';
import type { ExtraField } from '../core/fields';
import type { UserFile } from '../formats/user-file';
import { addFilterOptions } from '../cli/filters';
import {
  confirmSync,
  renderSyncFailures,
  renderSyncText,
  SCOPE_FILTERS,
  syncAfterImport,
  syncJson,
  syncRequestFromOptions,
  type SyncOptions,
  type SyncOutcome,
} from '../cli/import-sync';
import { mailJson, reportMail } from '../cli/notify';
import type { MailOutcome } from '../core/notify';

interface ImportOptions extends SyncOptions {
  format?: string;
  encoding?: string;
  delimiter?: string;
  map?: string[];
  ignoreUnknownColumns?: boolean;
  onExisting: OnExisting;
  credentials?: string;
  atomic?: boolean;
  dryRun?: boolean;
  report?: string;
  force?: boolean;
  updatePasswords?: boolean;
  replaceRoles?: boolean;
  verbose?: boolean;
  notify?: boolean;
}

const SHOWN_ERRORS = 50;

export function register(commands: CommandRegistry): void {
  commands.add('import <file>', "import users from a CSV, XML or JSON file (Chamilo's formats and roster's own exports)", defineImport, {
    file: 'the file, or - for standard input',
  });
}

function defineImport(command: Command): void {
  command
    .addOption(new Option('--format <format>', 'the file format (default: from the extension, else from the content)').choices(['csv', 'xml', 'json']))
    .option('--encoding <name>', 'the text encoding of a legacy file: latin1, windows-1252, … (default: UTF-8, or what an XML declaration says)')
    .option('--delimiter <char>', 'the CSV delimiter: ; , | or tab (default: detected from the header)')
    .option('--map <column=target>', 'read a column under another name: --map "Nom=LastName" (repeatable; target "ignore" skips it)', collect)
    .option('--ignore-unknown-columns', 'skip columns roster does not know instead of stopping')
    .addOption(
      new Option('--on-existing <action>', 'for a user that already exists (same username, else same email)')
        .choices(['skip', 'update', 'fail'])
        .default('skip'),
    )
    .option('--update-passwords', "with --on-existing update: the file's passwords replace the stored ones (else users keep theirs)")
    .option('--replace-roles', "with --on-existing update: the file's roles replace the stored ones (else they are added)")
    .option('--verbose', 'name every row skipped because its user exists or needs no change')
    .option('--credentials <file>', 'write username;password of every generated password to this file (mode 0600)')
    .option('--notify', 'mail each new active user their username, and the password when roster generated it (then written nowhere else)')
    .option('--atomic', 'write nothing unless every row is valid')
    .option('--dry-run', 'check and count everything, write nothing')
    .option('--report <file>', 'write the rejected rows to this CSV file (only if a row fails), with the reason, ready to fix and import again')
    .option('--force', 'replace an existing --report file')
    .optionsGroup('Sync from an HR file (the filters give the scope that the file covers in full):')
    .option('--deactivate-missing', 'deactivate the active accounts of the scope that the file does not name (by username or email)')
    .option('--max-deactivate <share|n>', 'do nothing at all when more of the scope would be deactivated: 10%, 25, … (default: 10%)');
  addFilterOptions(command, SCOPE_FILTERS);
  command.action(inContext((ctx, file: string, opts: ImportOptions) => runImport(ctx, file, opts)));
  examples(command, [
    'roster import students.csv --credentials new-passwords.csv',
    'roster import students.csv --notify',
    'roster import chamilo-export.xml --on-existing update --report rejected.csv',
    'roster import legacy.csv --encoding windows-1252 --map "Nom=LastName" --map "Prénom=FirstName"',
    'curl -s https://hr.example.org/users.csv | roster import - --atomic --json',
    'roster import staff.csv --deactivate-missing --role student --auth-source hr --dry-run',
  ]);
}

export async function runImport(ctx: CommandContext, input: string, opts: ImportOptions): Promise<Outcome> {
  const [{ openImportFile, importUsers }, { parseDelimiter }, { mapColumns, layoutColumns, parseColumnMap }, { loadFields }, { planSync }] = await Promise.all([
    import('../core/import'),
    import('../formats/csv-reader'),
    import('../core/import-columns'),
    import('../core/fields'),
    import('../core/import-sync'),
  ]);
  if ((opts.updatePasswords || opts.replaceRoles) && opts.onExisting !== 'update') {
    throw new UsageError(
      `${opts.updatePasswords ? '--update-passwords' : '--replace-roles'} applies to --on-existing update`,
      'add --on-existing update, or leave it out',
    );
  }
  if (opts.notify && opts.credentials !== undefined) {
    throw new UsageError('--notify mails each generated password, and --credentials would keep a second copy of it', 'give one of them');
  }
  const syncRequest = await syncRequestFromOptions(ctx, opts);
  const maps = (opts.map ?? []).map(parseColumnMap);
  const delimiter = opts.delimiter !== undefined ? parseDelimiter(opts.delimiter) : undefined;
  // The side files are checked before anything is read or written.
  const sideFiles = await checkSideFiles(ctx, input, opts);
  // Settings and templates are checked before the file is read.
  const mailer = opts.notify ? await (await import('../core/notify')).Mailer.open(ctx, 'welcome') : undefined;
  const file = await openImportFile(input === '-' ? ctx.io.stdin : input, {
    format: opts.format as UserFile['format'] | undefined,
    encoding: opts.encoding,
    delimiter,
  });
  const fields = await loadFields(ctx.db.kysely);
  let mapping = mapColumns(file.columns, fields, maps);
  for (const column of mapping.unusedMaps) warn(ctx.io, `--map names the column "${column}", which ${file.name} does not have`);
  if (mapping.unknown.length) {
    if (!opts.ignoreUnknownColumns && ctx.io.interactive) {
      maps.push(...(await askMappings(ctx, file, mapping.unknown, fields)));
      mapping = mapColumns(file.columns, fields, maps);
    } else if (!opts.ignoreUnknownColumns) {
      throw new ValidationError(
        `${file.name}: unknown column${mapping.unknown.length > 1 ? 's' : ''}: ${mapping.unknown.join(', ')}`,
        `map each to what it holds (--map "${mapping.unknown[0]}=<target>", a target such as OfficialCode, PhoneNumber or an extra field, or ignore), define an extra field (roster field add ${fieldNameFor(mapping.unknown[0]!)}), or pass --ignore-unknown-columns`,
      );
    }
  }
  const targets: (ColumnTarget | undefined)[] = mapping.targets.map((t) => t ?? { kind: 'ignore' });
  const layout = layoutColumns(file.columns, targets, file.name);
  // Decided, and confirmed, before anything is written: a refused sync imports nothing either.
  const sync = syncRequest && (await planSync(ctx, file, layout, syncRequest.scope, syncRequest.limit, { dryRun: opts.dryRun }));
  if (sync) await confirmSync(ctx, sync, file.name, opts);
  // Heard before the report file exists: a signal in between would leave it behind.
  const stop = listenForStop();
  let report: InstanceType<typeof sideFiles.RejectReport> | undefined;
  try {
    report = sideFiles.report !== undefined ? new sideFiles.RejectReport(sideFiles.report, file.columns, Boolean(opts.force)) : undefined;
  } catch (error) {
    stop.release();
    throw error;
  }

  const progress = createProgress(ctx.io, opts.dryRun ? 'checking' : 'importing', file.rows);
  const mails = mailer && !opts.dryRun ? new (await import('../core/notify')).MailQueue(mailer) : undefined;
  let summary: ImportSummary | undefined;
  let mailed: MailOutcome | undefined;
  try {
    summary = await importUsers(ctx, {
      file,
      layout,
      onExisting: opts.onExisting,
      updatePasswords: opts.updatePasswords,
      replaceRoles: opts.replaceRoles,
      atomic: opts.atomic,
      dryRun: opts.dryRun,
      credentials: sideFiles.credentials,
      report,
      signal: stop.signal,
      onProgress: (done, total) => progress.update(done, total),
      onCommitted: mails && ((accounts) => mails.add(accounts)),
    });
  } finally {
    progress.done();
    try {
      // The committed accounts get their mail even when the import stopped after them; a signal
      // meanwhile is heard, not fatal: the listener's second one ends roster at once.
      mailed = await mails?.finish();
    } finally {
      stop.release();
    }
    if (!summary && mailed) reportMail(ctx, mailed);
  }
  const synced = sync ? await syncAfterImport(ctx, sync, summary, opts, stop.stoppedBy() !== undefined) : undefined;
  render(ctx, summary, opts, synced, mailed);
  const mailExit = mailed && reportMail(ctx, mailed);
  return finish(summary, opts, stop.stoppedBy(), synced) ?? mailExit;
}

/** Where the generated passwords went with --notify: each into its user's mail, or, for some, nowhere. */
function renderMailedPasswords(ctx: CommandContext, generated: number, mailed: MailOutcome | undefined): void {
  const inMail = mailed?.sent.filter((sent) => sent.withPassword).length ?? 0;
  const plural = generated > 1 ? 's' : '';
  if (inMail === generated) {
    if (!ctx.json) line(ctx.io.stdout, `${generated} password${plural} generated, each mailed to its user and kept nowhere else`);
    return;
  }
  const rest = generated - inMail;
  warn(
    ctx.io,
    `${generated} password${plural} generated, ${inMail} mailed; the other ${rest} (inactive and expired accounts get no mail, and each failed mail is named) ${rest > 1 ? 'are' : 'is'} kept nowhere: give those accounts one with roster edit <user> --reset-password --generate-password when they need it`,
  );
}

/** A column's name as an extra field's name would be: lower case, a-z, 0-9 and _. */
function fieldNameFor(column: string): string {
  return (
    column
      .trim()
      .toLowerCase()
      .replace(/^extra\./, '')
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^[^a-z]+/, '') || 'name'
  );
}

/** --report and --credentials: never the input, the database, a link, or (for the report, without --force) an existing file. */
async function checkSideFiles(ctx: CommandContext, input: string, opts: ImportOptions) {
  const [{ checkOutputPath }, { databaseFiles }, { CredentialsFile, RejectReport }] = await Promise.all([
    import('../formats/output-file'),
    import('../db/database-files'),
    import('../formats/import-files'),
  ]);
  // Standard input may be a file too (`roster import - < users.csv`): protected as the open file it is.
  const protect = [
    ...databaseFiles(ctx.db),
    input === '-' ? { fd: 0, role: 'the file being imported (standard input)' } : { path: input, role: 'the file being imported' },
  ];
  if (opts.report !== undefined && opts.credentials !== undefined && resolve(opts.report) === resolve(opts.credentials)) {
    throw new UsageError('--report and --credentials name the same file', 'give each its own file');
  }
  return {
    RejectReport,
    report: opts.report !== undefined ? checkOutputPath(opts.report, { force: opts.force, protect }) : undefined,
    credentials: opts.credentials !== undefined && !opts.dryRun ? CredentialsFile.check(opts.credentials, { protect }) : undefined,
  };
}

async function askMappings(ctx: CommandContext, file: UserFile, unknown: string[], fields: Map<string, ExtraField>): Promise<ColumnMap[]> {
  const [{ select }, { targetNames }] = await Promise.all([import('@inquirer/prompts'), import('../core/import-columns')]);
  const samples = await sampleValues(file, unknown);
  const maps: ColumnMap[] = [];
  const choices = [{ name: 'ignore this column', value: 'ignore' }, ...targetNames(fields).map((name) => ({ name, value: name }))];
  for (const column of unknown) {
    const seen = samples.get(column)!;
    // A password column under a name roster does not know must not print its passwords.
    const secret = SECRET_COLUMN.test(column) || seen.some((v) => SECRET_VALUE.test(v));
    const example = secret ? ' (values not shown: they may be passwords)' : seen.length ? ` (e.g. ${seen.join(', ')})` : ' (empty in the first rows)';
    // The column name and its values come from the file: escaped before they reach the terminal.
    const target = await select({
      message: `${escapeValue(file.name)}: what does the column "${escapeValue(column)}" hold?${escapeValue(example)}`,
      choices,
      pageSize: 12,
    });
    maps.push({ column, target });
  }
  // The same answers as options, for the next run of a script or a cron job.
  warn(ctx.io, `next time, skip these questions with: ${maps.map((m) => `--map ${shellWord(`${m.column}=${m.target}`)}`).join(' ')}`);
  return maps;
}

const SAMPLES = 3;
const SECRET_COLUMN = /pass|pwd|kennwort|secret|hash|mot.?de.?passe|contrase|senha|has[lł]o|wachtwoord|salasana|l[öo]senord/i;
// bcrypt, md5 and sha1 digests, as Chamilo stores them.
const SECRET_VALUE = /^\$2[aby]\$|^(md5|sha1):|^[0-9a-f]{32}$|^[0-9a-f]{40}$/i;
const SAMPLE_ROWS = 100;

/** Up to three distinct non-empty values of each column, from the first hundred rows. */
async function sampleValues(file: UserFile, columns: string[]): Promise<Map<string, string[]>> {
  const samples = new Map(columns.map((c) => [c, [] as string[]]));
  const positions = columns.map((c) => file.columns.indexOf(c));
  let read = 0;
  for await (const record of file.records()) {
    positions.forEach((position, i) => {
      const value = record.values[position]?.trim();
      const seen = samples.get(columns[i]!)!;
      if (value && seen.length < SAMPLES && !seen.includes(value)) seen.push(value.length > 30 ? `${value.slice(0, 29)}…` : value);
    });
    if (++read === SAMPLE_ROWS) break;
  }
  return samples;
}

/** A word a shell reads back as it is: plain when it can be, else in single quotes. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_.,:@%+=/-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function render(ctx: CommandContext, s: ImportSummary, opts: ImportOptions, synced: SyncOutcome | undefined, mailed: MailOutcome | undefined): void {
  if (ctx.json) {
    line(
      ctx.io.stdout,
      JSON.stringify(
        {
          created: s.created,
          updated: s.updated,
          skipped: s.skipped,
          failed: s.failed,
          errors: s.errors,
          warnings: s.warnings,
          skippedRows: s.skippedRows,
          weakPasswords: s.weakPasswords,
          generatedPasswords: s.generatedPasswords,
          staleCredentials: s.staleCredentials,
          recoveredCredentials: s.recoveredCredentials,
          dryRun: s.dryRun,
          atomic: s.atomic,
          interrupted: s.interrupted,
          ...(synced ? { sync: syncJson(synced) } : {}),
          ...(mailed ? { mail: mailJson(mailed) } : {}),
        },
        null,
        2,
      ),
    );
  } else {
    s.errors.slice(0, SHOWN_ERRORS).forEach((e) => line(ctx.io.stderr, `roster: row ${e.row}: ${e.field ? `${e.field}: ` : ''}${e.message}`));
    if (s.errors.length > SHOWN_ERRORS) {
      line(
        ctx.io.stderr,
        `roster: … and ${s.errors.length - SHOWN_ERRORS} more errors${opts.report ? ` (all in ${opts.report})` : ' (--report <file> writes them all)'}`,
      );
    }
    const counts = s.dryRun
      ? `would create ${s.created}, update ${s.updated}, skip ${s.skipped}; ${s.failed} failed`
      : `${s.created} created, ${s.updated} updated, ${s.skipped} skipped, ${s.failed} failed`;
    const head = s.dryRun ? `checked ${s.file} (dry run, nothing written)` : s.interrupted ? `interrupted import of ${s.file}` : `imported ${s.file}`;
    line(ctx.io.stdout, `${paint(ctx.io, s.failed ? 'yellow' : 'green', head)}: ${counts}`);
    if (synced) renderSyncText(ctx, synced);
  }
  if (synced) renderSyncFailures(ctx, synced);
  if (opts.verbose && !ctx.json)
    for (const r of s.skippedRows)
      line(
        ctx.io.stderr,
        `roster: row ${r.row}: skipped: user ${r.username} ${opts.onExisting === 'skip' ? 'exists (--on-existing skip)' : 'has these values already'}`,
      );
  // Other warnings (a user renamed by an update) one by one; weak passwords are counted below.
  const notable = s.warnings.filter((w) => !w.message.includes('weak'));
  if (!ctx.json) notable.slice(0, SHOWN_ERRORS).forEach((w) => warn(ctx.io, `row ${w.row}: ${w.field ? `${w.field}: ` : ''}${w.message}`));
  if (!ctx.json && notable.length > SHOWN_ERRORS) warn(ctx.io, `… and ${notable.length - SHOWN_ERRORS} more warnings (--json lists them)`);
  if (s.weakPasswords) {
    const rows = s.warnings.filter((w) => w.message.includes('weak')).map((w) => w.row);
    warn(
      ctx.io,
      `${s.weakPasswords} password${s.weakPasswords > 1 ? 's are' : ' is'} weak (fewer than 8 characters): row${rows.length > 1 ? 's' : ''} ${rows.slice(0, 20).join(', ')}${s.weakPasswords > 20 ? ', …' : ''}`,
    );
  }
  if (s.generatedPasswords && !s.dryRun && !(s.atomic && s.failed)) {
    if (opts.notify) {
      renderMailedPasswords(ctx, s.generatedPasswords, mailed);
    } else if (opts.credentials) {
      if (!ctx.json)
        line(
          ctx.io.stdout,
          `${s.generatedPasswords} password${s.generatedPasswords > 1 ? 's' : ''} generated: username;password in ${opts.credentials} (mode 0600)`,
        );
    } else {
      warn(
        ctx.io,
        `${s.generatedPasswords} password${s.generatedPasswords > 1 ? 's were' : ' was'} generated and saved nowhere; give --credentials <file> to receive them, or reset them with roster edit --reset-password`,
      );
    }
  }
  // What an interrupted earlier run left pending beside the credentials file (formats/import-files.ts).
  if (s.recoveredCredentials) {
    warn(
      ctx.io,
      `an interrupted run had not yet written ${s.recoveredCredentials} password${s.recoveredCredentials > 1 ? 's' : ''} of users it created to ${opts.credentials}; added now`,
    );
  }
  if (s.staleCredentials) {
    warn(
      ctx.io,
      `an interrupted run left ${s.staleCredentials} password${s.staleCredentials > 1 ? 's' : ''} of users it never created; dropped (those users get new passwords when their rows are imported)`,
    );
  }
  if (opts.report && s.failed && !ctx.json) line(ctx.io.stdout, `rejected rows written to ${opts.report}`);
  if (opts.notify && s.dryRun && !ctx.json) line(ctx.io.stdout, 'no mail sent (dry run)');
}

/** The exit code: an import's failures first (they throw), then the accounts a sync could not deactivate. */
function finish(s: ImportSummary, opts: ImportOptions, stoppedBy: NodeJS.Signals | undefined, synced: SyncOutcome | undefined): Outcome {
  if (s.interrupted) {
    throw new Interrupted(
      stoppedBy ?? 'SIGINT',
      s.atomic
        ? 'nothing was imported (--atomic)'
        : 'the users counted above are committed; run the same command again to finish (users already imported are skipped)',
    );
  }
  if (stoppedBy && synced && 'skipped' in synced) {
    throw new Interrupted(
      stoppedBy,
      'the users counted above are imported; the accounts missing from the file were not deactivated: run the same command again to do it',
    );
  }
  // A dry run above the sync's limit has listed the accounts: it ends as the real run would.
  if (synced && 'refusal' in synced && synced.refusal) throw synced.refusal;
  if (!s.failed) return synced && 'failed' in synced && synced.failed.length ? ExitCode.partial : undefined;
  const hint = opts.report ? `fix the rows in ${opts.report} and import that file` : 'fix the rows and import again; --report <file> writes them out';
  if (s.atomic) {
    const message = `nothing was ${s.dryRun ? 'checked as importable' : 'imported'} (--atomic): ${s.failed} row${s.failed > 1 ? 's' : ''} failed`;
    if (s.conflictsOnly) throw new ConflictError(message, hint);
    throw new ValidationError(message, hint);
  }
  throw new PartialFailureError(`${s.failed} row${s.failed > 1 ? 's' : ''} failed and ${s.failed > 1 ? 'were' : 'was'} not imported`, hint);
}
