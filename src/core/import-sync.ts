import { selectIdentities } from '../db/selection-repository';
import type { UserFile } from '../formats/user-file';
import { UsageError, ValidationError } from '../shared/errors';
import { identityKey } from '../shared/folding';
import { hasSelectiveFilter, type UserFilter } from '../shared/user-filter';
import { audit } from './audit';
import { deactivateAction } from './activation';
import { runBatch, type BatchResult } from './batch';
import type { ServiceContext } from './context';
import type { ColumnLayout } from './import-columns';
import type { ImportSummary } from './import';
import { normaliseFilter } from './users';

/**
 * A sync from an HR file: `import --deactivate-missing` deactivates the
 * active accounts of a scope (the filters of list) that the file does not
 * name. The file is the whole truth about the scope, so a file that lost
 * its second half would lock out half a school: above a share of the scope
 * (the limit), nothing is done at all.
 */

/** How many accounts of the scope a sync may deactivate: a share of the scope, or a number. */
export type DeactivationLimit = { percent: number } | { count: number };

export const DEFAULT_DEACTIVATION_LIMIT: DeactivationLimit = { percent: 10 };

/** `10%`, `2.5%`, or a whole number of accounts. */
export function parseDeactivationLimit(text: string): DeactivationLimit {
  const value = text.trim();
  const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(value);
  if (percent && Number(percent[1]) <= 100) return { percent: Number(percent[1]) };
  if (/^\d+$/.test(value)) return { count: Number(value) };
  throw new UsageError(`--max-deactivate "${text}" is neither a share (10%) nor a number of accounts`, 'e.g. --max-deactivate 10%, or --max-deactivate 25');
}

export function describeLimit(limit: DeactivationLimit): string {
  return 'percent' in limit ? `${limit.percent}%` : `${limit.count} account${limit.count === 1 ? '' : 's'}`;
}

/** What a sync would deactivate, decided before the import writes anything. */
export interface SyncPlan {
  /** The filter of the scope, as given. */
  scope: UserFilter;
  /** The active accounts of the scope. */
  inScope: number;
  /** Those the file does not name, by id order. */
  missing: { id: number; username: string }[];
  limit: DeactivationLimit;
  /** In a dry run, why the real run would be refused (above the limit): the dry run still lists the accounts. */
  refusal?: ValidationError;
}

/**
 * The active accounts of the scope that no row of the file names, by username
 * or by email (the keys an import matches accounts by). Every row counts, a
 * row that fails to import too: its account is in the file, only its values
 * are wrong. Refuses, before anything is written, a scope given by no filter
 * and a sync above its limit.
 */
export async function planSync(
  ctx: ServiceContext,
  file: UserFile,
  layout: ColumnLayout,
  scope: UserFilter,
  limit: DeactivationLimit,
  options: { dryRun?: boolean } = {},
): Promise<SyncPlan> {
  if (!hasSelectiveFilter(scope)) {
    throw new UsageError(
      '--deactivate-missing needs the scope the file covers: the accounts it may deactivate',
      'select them with the filters of roster list, e.g. --role student --auth-source hr',
    );
  }
  const named = await keysNamedBy(file, layout);
  const accounts = await selectIdentities(ctx.db.kysely, await normaliseFilter(ctx, { ...scope, active: true }));
  const missing = accounts
    .filter((account) => !named.has(`u:${account.username_key}`) && !named.has(`e:${account.email_key}`))
    .map(({ id, username }) => ({ id, username }));
  const plan: SyncPlan = { scope, inScope: accounts.length, missing, limit };
  const refusal = aboveLimit(plan, file.name, options);
  if (refusal && !options.dryRun) throw refusal;
  return { ...plan, refusal };
}

/** The identity keys of the usernames and emails of every row (`u:` and `e:` keep the two apart). */
async function keysNamedBy(file: UserFile, layout: ColumnLayout): Promise<Set<string>> {
  const { username, email } = layout.standard;
  const keys = new Set<string>();
  for await (const record of file.records()) {
    const name = username === undefined ? '' : (record.values[username] ?? '').trim();
    const address = email === undefined ? '' : (record.values[email] ?? '').trim();
    if (name) keys.add(`u:${identityKey(name)}`);
    if (address) keys.add(`e:${identityKey(address)}`);
  }
  return keys;
}

/** The refusal of a sync that would deactivate more of the scope than its limit allows, if it would. */
function aboveLimit(plan: SyncPlan, fileName: string, options: { dryRun?: boolean }): ValidationError | undefined {
  const count = plan.missing.length;
  const allowed = 'percent' in plan.limit ? (plan.inScope * plan.limit.percent) / 100 : plan.limit.count;
  if (count <= allowed) return undefined;
  const share = ((count / plan.inScope) * 100).toFixed(1);
  const consequence = options.dryRun ? 'without --dry-run, nothing would be imported or deactivated' : 'nothing was imported or deactivated';
  return new ValidationError(
    `${fileName} lacks ${count} of the ${plan.inScope} active accounts of the scope (${share}%), more than --max-deactivate ${describeLimit(plan.limit)}: ${consequence}`,
    `check that ${fileName} is complete (a truncated export?);${options.dryRun ? '' : ' --dry-run lists the accounts;'} if they have all left, raise the limit, e.g. --max-deactivate ${Math.ceil(Number(share))}%`,
  );
}

export interface SyncResult extends BatchResult {
  inScope: number;
  /** The limit, as --max-deactivate writes it. */
  limit: string;
  /** A dry run's: why the real run would be refused. */
  refusal?: ValidationError;
}

/**
 * Deactivates the accounts the plan found missing, as `roster deactivate`
 * does (its checks, one audit row each), then records the run as one
 * `user.sync` row with its counts. Each chunk checks the scope again: an
 * account reactivated or moved out of the scope meanwhile is left alone.
 */
export async function deactivateMissing(ctx: ServiceContext, plan: SyncPlan, imported: ImportSummary, options: { dryRun?: boolean } = {}): Promise<SyncResult> {
  const ids = plan.missing.map((account) => account.id);
  const filter = await normaliseFilter(ctx, { ...plan.scope, active: true, ids });
  const batch = { selection: { kind: 'filter' as const, filter }, filter, ids, count: ids.length, failed: [] };
  const result = await runBatch(ctx, batch, deactivateAction(ctx), { dryRun: options.dryRun });
  if (!options.dryRun) {
    await audit(ctx.db.kysely, ctx, 'user.sync', null, {
      file: imported.file,
      scope: plan.scope,
      inScope: plan.inScope,
      missing: plan.missing.length,
      deactivated: result.changed.length,
      failed: result.failed.length,
      created: imported.created,
      updated: imported.updated,
      skipped: imported.skipped,
      rejected: imported.failed,
      limit: describeLimit(plan.limit),
    });
  }
  return { ...result, inScope: plan.inScope, limit: describeLimit(plan.limit), refusal: plan.refusal };
}
