import type { ControlledTransaction } from 'kysely';
import type { Database } from '../db/schema';
import { FilterRecheck } from '../db/selection-repository';
import * as repo from '../db/user-repository';
import type { BatchOptions, BatchPlan, BatchResult } from './batch';
import type { ServiceContext } from './context';
import { isRosterError } from '../shared/errors';
import { loadFields } from './fields';
import { applyEdit, type UserEdit } from './users';

export interface BatchEditResult extends BatchResult {
  /** Each warning once (an expiration date in the past is the same for every user). */
  warnings: string[];
}

class Rollback extends Error {}

/**
 * `roster edit` for many users: the edit of one user (applyEdit, its checks
 * and audit) run for each user of a plan, as the other batches run theirs —
 * one transaction per chunk (one in all with --atomic or --dry-run, the
 * latter rolled back), a savepoint per user so that a refusal undoes only
 * that user's change, each user read again inside the transaction.
 */
export async function editUsers(ctx: ServiceContext, plan: BatchPlan, edit: UserEdit, options: BatchOptions = {}): Promise<BatchEditResult> {
  const fields = await loadFields(ctx.db.kysely);
  const warnings = new Set<string>();
  const result: BatchResult = { changed: [], unchanged: [], failed: [...plan.failed], dryRun: Boolean(options.dryRun), rolledBack: false };
  const done = (r: BatchResult): BatchEditResult => ({ ...r, warnings: [...warnings] });
  if (options.atomic && plan.failed.length) return done({ ...result, rolledBack: true });
  const chunkSize = options.chunkSize ?? 500;
  const users = plan.targets ? plan.targets.map((u) => ({ id: u.id, ref: u.username })) : (plan.ids ?? []).map((id) => ({ id, ref: `id:${id}` }));
  // A filter is checked again for each chunk: a user changed meanwhile may no longer match.
  const recheck = plan.targets ? undefined : new FilterRecheck(ctx.db, plan.filter!);

  const editOne = async (trx: ControlledTransaction<Database>, id: number, ref: string) => {
    const point = await trx.savepoint('user').execute();
    try {
      const row = await repo.findUserById(point, id);
      if (!row) {
        result.failed.push({ ref, message: 'no such user (removed meanwhile)', exitCode: 3 });
      } else {
        const applied = await applyEdit(ctx, point, row, edit, fields);
        applied.warnings.forEach((w) => warnings.add(w));
        result[applied.changes.length ? 'changed' : 'unchanged'].push({ id: row.id, username: row.username });
      }
      await point.releaseSavepoint('user').execute();
    } catch (error) {
      await point.rollbackToSavepoint('user').execute();
      await point.releaseSavepoint('user').execute();
      if (!isRosterError(error)) throw error;
      result.failed.push({ ref, message: error.message, exitCode: error.exitCode, hint: error.suggestion });
      if (options.atomic) throw new Rollback();
    }
  };
  const editChunk = async (trx: ControlledTransaction<Database>, chunk: typeof users) => {
    const current = recheck ? recheck.matching(chunk.map((u) => u.id)).map((u) => ({ id: u.id, ref: u.username })) : chunk;
    for (const user of current) await editOne(trx, user.id, user.ref);
  };
  const inTransaction = async (work: (trx: ControlledTransaction<Database>) => Promise<void>, keep: () => boolean) => {
    const trx = await ctx.db.kysely.startTransaction().execute();
    try {
      await work(trx);
    } catch (error) {
      await trx.rollback().execute();
      throw error;
    }
    await (keep() ? trx.commit() : trx.rollback()).execute();
  };

  if (options.dryRun || options.atomic) {
    try {
      await inTransaction(
        async (trx) => {
          for (let i = 0; i < users.length; i += chunkSize) await editChunk(trx, users.slice(i, i + chunkSize));
        },
        () => !options.dryRun,
      );
    } catch (error) {
      if (!(error instanceof Rollback)) throw error;
      result.rolledBack = true;
    }
    if (result.rolledBack) return done({ ...result, changed: [], unchanged: [] });
    return done(result);
  }
  for (let i = 0; i < users.length; i += chunkSize) await inTransaction((trx) => editChunk(trx, users.slice(i, i + chunkSize)), () => true);
  return done(result);
}
