import { TargetLookup, targetChunks, type TargetUser } from '../db/selection-repository';
import type { ServiceContext } from './context';
import { isRosterError, UsageError } from './errors';
import { hasSelectiveFilter, type UserFilter } from './user-filter';
import { countUsers, normaliseFilter } from './users';

export type { TargetUser } from '../db/selection-repository';

/** The users a batch acts on: explicit references, or the filters of `list`. */
export type Selection = { kind: 'refs'; refs: string[] } | { kind: 'filter'; filter: UserFilter };

export interface BatchFailure {
  ref: string;
  message: string;
  exitCode: number;
  /** What to do about it (the error's suggestion), when it has one. */
  hint?: string;
}

/** A selection resolved before anything changes: how many, and which references failed. */
export interface BatchPlan {
  selection: Selection;
  count: number;
  targets?: TargetUser[];
  filter?: UserFilter;
  failed: BatchFailure[];
}

/**
 * Resolves references (unknown ones become failures, duplicates collapse) or
 * counts a filter selection. A filter without any criterion is refused: a
 * batch never means "everybody" by accident.
 */
export async function planBatch(ctx: ServiceContext, selection: Selection): Promise<BatchPlan> {
  if (selection.kind === 'filter') {
    if (!hasSelectiveFilter(selection.filter)) {
      throw new UsageError('no users given', 'name users (username, email, id:N), pass - to read them from stdin, or select with the filters of roster list (e.g. --role student --inactive)');
    }
    const filter = await normaliseFilter(ctx, selection.filter);
    return { selection, filter, count: await countUsers(ctx, filter), failed: [] };
  }
  if (!selection.refs.length) throw new UsageError('no users given', 'name users (username, email, id:N) or pass - to read them from stdin');
  const lookup = new TargetLookup(ctx.db);
  const seen = new Set<number>();
  const targets: TargetUser[] = [];
  const failed: BatchFailure[] = [];
  for (const ref of selection.refs) {
    const user = lookup.find(ref);
    if (!user) failed.push({ ref, message: 'no such user', exitCode: 3 });
    else if (!seen.has(user.id)) {
      seen.add(user.id);
      targets.push(user);
    }
  }
  return { selection, targets, count: targets.length, failed };
}

/**
 * Moves the named users that a check refuses (it throws a RosterError) from
 * the plan to its failures, so that they are reported before any
 * confirmation is asked. The action still checks each user again inside its
 * transaction; a filter selection is left to the action.
 */
export function withoutRefused(plan: BatchPlan, check: (user: TargetUser) => void): BatchPlan {
  if (!plan.targets) return plan;
  const targets: TargetUser[] = [];
  const failed = [...plan.failed];
  for (const user of plan.targets) {
    try {
      check(user);
      targets.push(user);
    } catch (error) {
      if (!isRosterError(error)) throw error;
      failed.push({ ref: user.username, message: error.message, exitCode: error.exitCode, hint: error.suggestion });
    }
  }
  return { ...plan, targets, count: targets.length, failed };
}

export type Outcome = 'changed' | 'unchanged';

/**
 * One user's change. It runs inside a transaction (under a savepoint), sees
 * the user as it is at that moment, and throws a RosterError to refuse.
 */
export interface BatchAction {
  apply(user: TargetUser): Outcome;
}

export interface BatchOptions {
  dryRun?: boolean;
  atomic?: boolean;
  chunkSize?: number;
}

export interface BatchResult {
  changed: { id: number; username: string }[];
  unchanged: { id: number; username: string }[];
  failed: BatchFailure[];
  dryRun: boolean;
  /** --atomic and something failed: everything was rolled back. */
  rolledBack: boolean;
}

class Rollback extends Error {}

/**
 * Runs an action over a plan: one transaction per chunk (or one in all with
 * --atomic and --dry-run, the latter rolled back at the end), a savepoint per
 * user so that a refusal undoes only that user's change.
 */
export function runBatch(ctx: ServiceContext, plan: BatchPlan, action: BatchAction, options: BatchOptions = {}): BatchResult {
  const raw = ctx.db.raw;
  const chunkSize = options.chunkSize ?? 1000;
  const result: BatchResult = { changed: [], unchanged: [], failed: [...plan.failed], dryRun: Boolean(options.dryRun), rolledBack: false };
  const lookup = plan.targets ? new TargetLookup(ctx.db) : undefined;
  const applyOne = raw.transaction((user: TargetUser) => action.apply(user));

  const runChunk = (chunk: TargetUser[]) => {
    for (const snapshot of chunk) {
      // Re-read inside the transaction: another process may have changed the user since the plan.
      const user = lookup ? lookup.find(`id:${snapshot.id}`) : snapshot;
      const ref = snapshot.username;
      if (!user) {
        result.failed.push({ ref, message: 'no such user (removed meanwhile)', exitCode: 3 });
        continue;
      }
      try {
        const outcome = applyOne(user);
        result[outcome].push({ id: user.id, username: user.username });
      } catch (error) {
        if (!isRosterError(error)) throw error;
        result.failed.push({ ref, message: error.message, exitCode: error.exitCode, hint: error.suggestion });
        if (options.atomic) throw new Rollback();
      }
    }
  };
  const chunks = (): Iterable<TargetUser[]> => (plan.targets ? sliceChunks(plan.targets, chunkSize) : targetChunks(ctx.db, plan.filter!, chunkSize));

  if (options.atomic && plan.failed.length) return { ...result, rolledBack: true };
  if (options.dryRun || options.atomic) {
    try {
      raw.transaction(() => {
        for (const chunk of chunks()) runChunk(chunk);
        if (options.dryRun) throw new Rollback();
      }).immediate();
    } catch (error) {
      if (!(error instanceof Rollback)) throw error;
      if (!options.dryRun) result.rolledBack = true;
    }
    if (result.rolledBack) return { ...result, changed: [], unchanged: [] };
    return result;
  }
  if (plan.targets) {
    for (const chunk of sliceChunks(plan.targets, chunkSize)) raw.transaction(runChunk).immediate(chunk);
  } else {
    // Each chunk is read inside its own transaction, so concurrent runs never act twice on a user.
    const statementChunks = targetChunks(ctx.db, plan.filter!, chunkSize);
    let more = true;
    while (more) {
      raw.transaction(() => {
        const next = statementChunks.next();
        if (next.done) more = false;
        else runChunk(next.value);
      }).immediate();
    }
  }
  return result;
}

function* sliceChunks<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
