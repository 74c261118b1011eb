import type { ImportSummary } from '../core/import';
import type { DeactivationLimit, SyncPlan, SyncResult } from '../core/import-sync';
import { UsageError } from '../shared/errors';
import { hasSelectiveFilter, type UserFilter } from '../shared/user-filter';
import { confirmOrStop } from './confirm';
import type { CommandContext } from './context';
import { filterFromOptions, type FilterOptionChoice, type FilterOptions } from './filters';
import { line } from './io';
import { escapeValue } from './terminal-text';

/** The filters import offers for the scope of a sync: a scope of live accounts, whose active ones it deactivates. */
export const SCOPE_FILTERS: FilterOptionChoice = { omit: ['active', 'inactive', 'deleted'] };

export interface SyncOptions extends FilterOptions {
  deactivateMissing?: boolean;
  maxDeactivate?: string;
  dryRun?: boolean;
}

export interface SyncRequest {
  scope: UserFilter;
  limit: DeactivationLimit;
}

/** What a sync did after its import, or why it did nothing. */
export type SyncOutcome = SyncResult | { skipped: string };

/** The sync that the options ask for, if any: the filters and --max-deactivate go only with --deactivate-missing. */
export async function syncRequestFromOptions(ctx: CommandContext, opts: SyncOptions): Promise<SyncRequest | undefined> {
  const { DEFAULT_DEACTIVATION_LIMIT, parseDeactivationLimit } = await import('../core/import-sync');
  const scope = await filterFromOptions(opts, ctx.now(), SCOPE_FILTERS);
  if (!opts.deactivateMissing) {
    if (opts.maxDeactivate !== undefined)
      throw new UsageError('--max-deactivate goes with --deactivate-missing', 'add --deactivate-missing, or leave --max-deactivate out');
    if (hasSelectiveFilter(scope) || scope.system) {
      throw new UsageError(
        'the filters of list give the scope of --deactivate-missing, which is not given',
        'add --deactivate-missing to deactivate the accounts of that scope the file lacks, or leave the filters out',
      );
    }
    return undefined;
  }
  const limit = opts.maxDeactivate === undefined ? DEFAULT_DEACTIVATION_LIMIT : parseDeactivationLimit(opts.maxDeactivate);
  return { scope, limit };
}

const PREVIEW_NAMES = 5;

/** A person confirms the deactivations (or --yes) before the import writes anything; a dry run asks nothing. */
export async function confirmSync(ctx: CommandContext, plan: SyncPlan, fileName: string, opts: SyncOptions): Promise<void> {
  const count = plan.missing.length;
  if (opts.dryRun || ctx.yes || count === 0) return;
  if (ctx.io.interactive) {
    const names = plan.missing.slice(0, PREVIEW_NAMES).map((account) => escapeValue(account.username));
    line(ctx.io.stderr, `${names.join(', ')}${count > names.length ? `, and ${count - names.length} more` : ''}`);
  }
  await confirmOrStop(ctx.io, ctx.yes, `Deactivate ${accounts(count)} of the scope, missing from ${fileName}?`, { offersDryRun: true });
}

/** Deactivates what the plan found missing, unless the import wrote nothing (--atomic) or roster was stopped. */
export async function syncAfterImport(ctx: CommandContext, plan: SyncPlan, summary: ImportSummary, opts: SyncOptions, stopped: boolean): Promise<SyncOutcome> {
  if (summary.interrupted) return { skipped: 'the import was interrupted' };
  // A signal after the import (while its mails went out): nothing more is changed.
  if (stopped) return { skipped: 'roster was interrupted after the import' };
  if (summary.atomic && summary.failed) return { skipped: 'nothing was imported (--atomic)' };
  const { deactivateMissing } = await import('../core/import-sync');
  return deactivateMissing(ctx, plan, summary, { dryRun: opts.dryRun });
}

/** What the sync did, as the import's output goes on: the accounts deactivated, one a line. */
export function renderSyncText(ctx: CommandContext, outcome: SyncOutcome): void {
  if ('skipped' in outcome) return void line(ctx.io.stdout, `nothing deactivated: ${outcome.skipped}`);
  const verb = outcome.dryRun ? 'would deactivate' : 'deactivated';
  const head = `${verb} ${outcome.changed.length} of the ${outcome.inScope} active accounts of the scope`;
  if (!outcome.changed.length && !outcome.failed.length) return void line(ctx.io.stdout, `${head}: all are in the file`);
  line(ctx.io.stdout, `${head}, missing from the file:`);
  for (const account of outcome.changed) line(ctx.io.stdout, `  ${escapeValue(account.username)}`);
}

/** Each account the sync could not deactivate, with why, on stderr (with --json too, as a batch's). */
export function renderSyncFailures(ctx: CommandContext, outcome: SyncOutcome): void {
  if ('skipped' in outcome) return;
  for (const failure of outcome.failed) {
    line(ctx.io.stderr, `roster: error: ${escapeValue(failure.ref)}: not deactivated: ${escapeValue(failure.message)}`);
    if (failure.hint) line(ctx.io.stderr, `  hint: ${escapeValue(failure.hint)}`);
  }
}

/** The sync in the import's JSON. */
export function syncJson(outcome: SyncOutcome): unknown {
  if ('skipped' in outcome) return { skipped: outcome.skipped };
  return {
    inScope: outcome.inScope,
    limit: outcome.limit,
    deactivated: outcome.changed,
    unchanged: outcome.unchanged,
    failed: outcome.failed,
    dryRun: outcome.dryRun,
    ...(outcome.refusal ? { refused: outcome.refusal.message } : {}),
  };
}

function accounts(count: number): string {
  return `${count} account${count === 1 ? '' : 's'}`;
}
