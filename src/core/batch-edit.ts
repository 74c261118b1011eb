import * as repo from '../db/user-repository';
import { runBatch, type BatchOptions, type BatchPlan, type BatchResult } from './batch';
import type { ServiceContext } from './context';
import { NotFoundError } from '../shared/errors';
import { loadFields } from './fields';
import { applyEdit, checkEditValues, type UserEdit } from './users';

export interface BatchEditResult extends BatchResult {
  /** Each warning once (an expiration date in the past is the same for every user). */
  warnings: string[];
}

/**
 * `roster edit` for many users: the edit of one user (applyEdit, its checks
 * and audit) as the action of a batch, which gives it the chunks,
 * savepoints, --atomic and --dry-run of every other batch.
 */
export async function editUsers(ctx: ServiceContext, plan: BatchPlan, edit: UserEdit, options: BatchOptions = {}): Promise<BatchEditResult> {
  const fields = await loadFields(ctx.db.kysely);
  checkEditValues(edit, fields);
  const warnings = new Set<string>();
  const result = await runBatch(
    ctx,
    plan,
    {
      async apply(user, { trx }) {
        const row = await repo.findUserById(trx, user.id);
        if (!row) throw new NotFoundError(`no user id:${user.id}`);
        const applied = await applyEdit(ctx, trx, row, edit, fields);
        applied.warnings.forEach((w) => warnings.add(w));
        return applied.changes.length ? 'changed' : 'unchanged';
      },
    },
    options,
  );
  return { ...result, warnings: [...warnings] };
}
