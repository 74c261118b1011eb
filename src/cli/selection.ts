import type { Command } from 'commander';
import type { BatchPlan, BatchResult, Selection } from '../core/batch';
import { ExitCode, UsageError } from '../shared/errors';
import { confirmOrStop } from './confirm';
import type { CommandContext } from './context';
import { addFilterOptions, filterFromOptions, type FilterOptionChoice, type FilterOptions } from './filters';
import { line, paint, readStdin, write } from './io';
import { renderJsonStream } from './render-users';

export interface BatchCliOptions extends FilterOptions {
  dryRun?: boolean;
  atomic?: boolean;
}

/**
 * The one way every command that acts on users selects them: references
 * (`[users...]`, `-` for stdin) or the filters of `list`, with --dry-run and
 * --atomic. Declare `[users...]` on the command before calling this.
 */
export function addSelectionOptions(command: Command, choice: FilterOptionChoice = {}): Command {
  addFilterOptions(command, choice);
  return command.option('--dry-run', 'show what would change, change nothing').option('--atomic', 'all or nothing: if any user fails, change none');
}

/**
 * References from the arguments and, for `-`, from stdin (one a line; blanks
 * and # comments skipped). Pass the same choice as to addSelectionOptions:
 * with `withoutEnrolment`, --course and --session name the command's target
 * and are not read as filters.
 */
export async function selectionFromCommand(ctx: CommandContext, refs: string[], opts: BatchCliOptions, choice: FilterOptionChoice = {}): Promise<Selection> {
  const filter = await filterFromOptions(opts, ctx.now(), choice);
  const hasFilter = Object.keys(filter).length > 0;
  if (refs.length && hasFilter) {
    throw new UsageError(
      'give users or selection filters, not both',
      'to act on some of the users a filter selects, pipe roster list --format ids into this command with -',
    );
  }
  if (!refs.length) return { kind: 'filter', filter };
  const expanded: string[] = [];
  for (const ref of refs) {
    if (ref !== '-') expanded.push(ref);
    else expanded.push(...parseReferenceLines(await readStdin(ctx.io)));
  }
  // Arguments and stdin follow the same rules (src/db/user-repository.ts): a bare
  // number is a username if one exists, else an id; `list --format ids` writes id:N.
  return { kind: 'refs', refs: expanded, fromStdin: refs.includes('-') };
}

export function parseReferenceLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean);
}

export interface ConfirmOptions {
  /** Ask even for one user (destructive actions). */
  always?: boolean;
  dryRun?: boolean;
  /**
   * A dry run of the batch (with a fresh instance of its action): a person is
   * asked about the users it would change, not about those the selection holds.
   */
  wouldChange?: () => BatchResult | Promise<BatchResult>;
}

/**
 * More than one user, or a destructive action: a person confirms (or --yes).
 * `question` gets whom it concerns: the username for one user, else "N users".
 */
export async function confirmBatch(ctx: CommandContext, plan: BatchPlan, question: (who: string) => string, options: ConfirmOptions = {}): Promise<void> {
  if (options.dryRun || ctx.yes || plan.count === 0) return;
  // One user at most would change: nothing to ask, and no dry run needed to know it.
  if (plan.count === 1 && !options.always) return;
  const { previewPlan } = await import('../core/batch');
  let names: string[];
  let count = plan.count;
  let note = '';
  // With or without a person to answer: a rerun that would change nothing needs no confirmation (cron).
  if (options.wouldChange) {
    const wouldBe = await options.wouldChange();
    count = wouldBe.changed.length;
    names = wouldBe.changed.slice(0, PREVIEW_NAMES).map((u) => u.username);
    const unchanged = wouldBe.unchanged.length;
    const failing = wouldBe.failed.length - plan.failed.length;
    if (count !== plan.count)
      note = ` (of ${plan.count} selected${unchanged ? `, ${unchanged} need no change` : ''}${failing > 0 ? `, ${failing} would fail` : ''})`;
  } else {
    names = (await previewPlan(ctx, plan, PREVIEW_NAMES)).usernames;
  }
  if (count === 0 || (count === 1 && !options.always)) return;
  // A person about to answer sees whom it concerns, not just how many; one user is named in the question.
  if (ctx.io.interactive && count > 1) line(ctx.io.stderr, namesAndMore(names, count) + note);
  const who = count === 1 && names.length === 1 ? names[0]! : `${count} users`;
  // Every batch command has --dry-run: the hint may offer it.
  await confirmOrStop(ctx.io, ctx.yes, question(who), { offersDryRun: true });
}

const PREVIEW_NAMES = 5;

export interface BatchVerb {
  done: string;
  would: string;
  /** What "unchanged" means for this action (default: "already so"). */
  unchanged?: string;
  /** What the users were acted on with, after the count: "in course C101". */
  object?: string;
}

/**
 * Prints what a batch did (or would do), each failure with its reason, and
 * resolves to the exit code: 6 when some failed, or the failure's own code when the
 * only user named failed or when --atomic rolled everything back.
 * `jsonUsers` replaces the changed users of the JSON output when they no
 * longer exist as users (a purge).
 */
export async function renderBatch(ctx: CommandContext, result: BatchResult, verb: BatchVerb, jsonUsers?: Iterable<unknown>): Promise<number> {
  if (ctx.json) {
    await renderBatchJson(ctx, result, jsonUsers);
  } else {
    renderBatchText(ctx, result, verb);
  }
  // Each failure is named on stderr, with --json too: a log shows it without parsing the output.
  for (const failure of result.failed) {
    line(ctx.io.stderr, `roster: error: ${failure.ref}: ${failure.message}`);
    if (failure.hint) line(ctx.io.stderr, `  hint: ${failure.hint}`);
  }
  return batchExitCode(result);
}

export function batchExitCode(result: BatchResult): number {
  if (!result.failed.length) return ExitCode.ok;
  // --atomic rolled everything back: nothing is "partly done"; the first failure says why.
  if (result.rolledBack) return result.failed[0]!.exitCode;
  if (result.failed.length === 1 && !result.changed.length && !result.unchanged.length) return result.failed[0]!.exitCode;
  return ExitCode.partial;
}

const NAMES_SHOWN = 20;

/** "ann, bob, and 3 more": the names shown, and how many of `total` are not. */
function namesAndMore(shown: string[], total: number): string {
  return shown.join(', ') + (total > shown.length ? `, and ${total - shown.length} more` : '');
}

function renderBatchText(ctx: CommandContext, result: BatchResult, verb: BatchVerb): void {
  const out = ctx.io.stdout;
  const object = verb.object ? ` ${verb.object}` : '';
  const names = (users: { username: string }[]) =>
    namesAndMore(
      users.slice(0, NAMES_SHOWN).map((u) => u.username),
      users.length,
    );
  if (result.rolledBack) {
    const outcome = result.dryRun ? 'so a real run would change nothing' : 'so nothing was changed';
    line(ctx.io.stderr, `roster: error: --atomic: ${result.failed.length} user(s) failed, ${outcome}`);
  } else if (result.dryRun) {
    line(
      out,
      `dry run: would ${verb.would} ${result.changed.length} user(s)${object}${result.changed.length ? `: ${names(result.changed)}` : ''}; nothing was changed`,
    );
  } else if (result.changed.length || result.unchanged.length || !result.failed.length) {
    // (Every user named failed: the errors on stderr say it all, without "activated 0 user(s)".)
    line(out, `${paint(ctx.io, 'green', verb.done)} ${result.changed.length} user(s)${object}${result.changed.length ? `: ${names(result.changed)}` : ''}`);
  }
  if (result.unchanged.length && !result.rolledBack)
    line(out, `unchanged ${result.unchanged.length} user(s) (${verb.unchanged ?? 'already so'}): ${names(result.unchanged)}`);
}

async function renderBatchJson(ctx: CommandContext, result: BatchResult, jsonUsers?: Iterable<unknown>): Promise<void> {
  const { listUsers } = await import('../core/users');
  const head = {
    changed: result.changed.length,
    unchanged: result.unchanged.length,
    failed: result.failed.map(({ ref, message }) => ({ ref, message })),
    dryRun: result.dryRun,
    rolledBack: result.rolledBack,
  };
  const body = JSON.stringify(head, null, 2);
  await write(ctx.io.stdout, `${body.slice(0, -2)},\n  "users": `);
  // The changed users as they are now (or, in a dry run, as they still are), streamed.
  const ids = result.changed.map((u) => u.id);
  async function* users(): AsyncGenerator<unknown> {
    if (jsonUsers) {
      yield* jsonUsers;
      return;
    }
    for (let i = 0; i < ids.length; i += 500) yield* listUsers(ctx, { ids: ids.slice(i, i + 500), anyState: true }, { sort: 'id' });
  }
  await renderJsonStream(ctx.io, users());
  await write(ctx.io.stdout, '}\n');
}
