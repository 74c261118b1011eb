import { otherWritesMark, resolveReferences, selectTargetIds, stillMatching, targetsByIds, type TargetUser } from '../db/selection-repository';
import { usernamesOf } from '../db/audit-repository';
import type { ControlledTransaction, Transaction } from 'kysely';
import type { Database } from '../db/schema';
import { AuditBuffer, type Auditor } from './audit';
import type { ServiceContext } from './context';
import { isRosterError, UsageError } from '../shared/errors';
import { hasSelectiveFilter, type UserFilter } from '../shared/user-filter';
import { normaliseFilter } from './users';

export type { TargetUser } from '../db/selection-repository';

/** The users a batch acts on: explicit references, or the filters of `list`. */
/** `fromStdin`: an empty list read from stdin means "nothing to do", not a usage error. */
export type Selection = { kind: 'refs'; refs: string[]; fromStdin?: boolean } | { kind: 'filter'; filter: UserFilter };

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
  /** The users the filter selected when planned, in id order; each chunk re-checks the filter. */
  ids?: number[];
  failed: BatchFailure[];
  /** Taken when named users were read: unchanged at a chunk, they need no second read. */
  otherWritesMark?: number;
  /**
   * Named users: where each reference (as given, or the username it resolved to) stood on the
   * command line, so that failures found at different times are reported in that order.
   */
  positions?: Map<string, number>;
}

/**
 * Resolves references (unknown ones become failures, duplicates collapse) or
 * the ids a filter selects. A filter without any criterion is refused: a
 * batch never means "everybody" by accident.
 */
export async function planBatch(ctx: ServiceContext, selection: Selection): Promise<BatchPlan> {
  if (selection.kind === 'filter') {
    if (!hasSelectiveFilter(selection.filter)) {
      throw new UsageError(
        'no users given',
        'name users (username, email, id:N), pass - to read them from stdin, or select with the filters of roster list (e.g. --role student --inactive-since 180d)',
      );
    }
    // Filters select live identities: an anonymized account stays out (acting on it can only
    // fail or do nothing, and a cron job would report it on every run), except in the deleted
    // view, where purging it is what is left to do.
    const filter = await normaliseFilter(ctx, selection.filter);
    // The ids only (bounded memory for a million users); one scan serves the count and the run.
    const ids = await selectTargetIds(ctx.db.kysely, filter);
    return { selection, filter, ids, count: ids.length, failed: [] };
  }
  if (!selection.refs.length && !selection.fromStdin)
    throw new UsageError('no users given', 'name users (username, email, id:N) or pass - to read them from stdin');
  const seen = new Set<number>();
  const targets: TargetUser[] = [];
  const failed: BatchFailure[] = [];
  const mark = otherWritesMark(ctx.db);
  const positions = new Map<string, number>();
  for (const { ref, user, error } of await resolveReferences(ctx.db.kysely, selection.refs)) {
    if (!positions.has(ref)) positions.set(ref, positions.size);
    if (user && !positions.has(user.username)) positions.set(user.username, positions.get(ref)!);
    if (error !== undefined) {
      if (!isRosterError(error)) throw error as Error;
      failed.push({ ref, message: error.message, exitCode: error.exitCode, hint: error.suggestion });
    } else if (!user) failed.push({ ref, message: 'no such user', exitCode: 3 });
    else if (!seen.has(user.id)) {
      seen.add(user.id);
      targets.push(user);
    }
  }
  return { selection, targets, count: targets.length, failed, otherWritesMark: mark, positions };
}

/** The failures in the order their users were given (a filter's: as found). */
function inGivenOrder(plan: BatchPlan, failed: BatchFailure[]): BatchFailure[] {
  const positions = plan.positions;
  if (!positions) return failed;
  const at = (f: BatchFailure) => positions.get(f.ref) ?? Number.MAX_SAFE_INTEGER;
  return [...failed].sort((a, b) => at(a) - at(b));
}

/** The first few users a plan acts on, by username, and how many more: what a confirmation shows. */
export async function previewPlan(ctx: ServiceContext, plan: BatchPlan, max = 5): Promise<{ usernames: string[]; more: number }> {
  const ids = (plan.ids ?? []).slice(0, max);
  const byId = plan.targets ? undefined : await usernamesOf(ctx.db.kysely, ids);
  const usernames = plan.targets ? plan.targets.slice(0, max).map((u) => u.username) : ids.flatMap((id) => byId!.get(id) ?? []);
  return { usernames, more: Math.max(0, plan.count - usernames.length) };
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

/** What an action gets for one user: the transaction to run its queries in, and the audit log of the chunk. */
export interface BatchStep {
  trx: Transaction<Database>;
  audit: Auditor;
}

/**
 * One user's change. It runs inside a transaction (under a savepoint), sees
 * the user as it is at that moment, and throws a RosterError to refuse.
 */
export interface BatchAction {
  apply(user: TargetUser, step: BatchStep): Outcome | Promise<Outcome>;
  /**
   * Set it when apply() refuses (throws a RosterError) only before its first
   * write: then no savepoint is needed to undo a refused user's change, and
   * the batch skips two statements per user. Leave it unset when in doubt.
   */
  readonly refusesBeforeWriting?: boolean;
  /** Reads what it needs to know about a whole chunk at once, before its users are applied. */
  readChunk?(users: readonly TargetUser[], trx: Transaction<Database>): Promise<void>;
  /**
   * Writes what apply() decided for the chunk, with set-based statements, at
   * the end of the chunk's transaction. An action that defers its writes so
   * must refuse before writing (it has nothing to undo per user).
   */
  writeChunk?(trx: Transaction<Database>): Promise<void>;
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
 * user so that a refusal undoes only that user's change (unless the action
 * refuses before writing). Each chunk reads its users inside its own write
 * transaction: what a concurrent run changed is seen, nobody is acted on twice.
 */
export async function runBatch(ctx: ServiceContext, plan: BatchPlan, action: BatchAction, options: BatchOptions = {}): Promise<BatchResult> {
  const result = await runChunks(ctx, plan, action, options);
  return { ...result, failed: inGivenOrder(plan, result.failed) };
}

async function runChunks(ctx: ServiceContext, plan: BatchPlan, action: BatchAction, options: BatchOptions): Promise<BatchResult> {
  const chunkSize = options.chunkSize ?? 1000;
  const result: BatchResult = { changed: [], unchanged: [], failed: [...plan.failed], dryRun: Boolean(options.dryRun), rolledBack: false };

  const auditRows = new AuditBuffer(ctx);
  const applyOne = async (trx: ControlledTransaction<Database>, user: TargetUser): Promise<Outcome> => {
    const mark = auditRows.length;
    try {
      if (action.refusesBeforeWriting) return await action.apply(user, { trx, audit: auditRows.add });
      const point = await trx.savepoint('user').execute();
      try {
        const outcome = await action.apply(user, { trx: point, audit: auditRows.add });
        await point.releaseSavepoint('user').execute();
        return outcome;
      } catch (error) {
        await point.rollbackToSavepoint('user').execute();
        await point.releaseSavepoint('user').execute();
        throw error;
      }
    } catch (error) {
      // A refused user's audit rows go with its change.
      auditRows.truncate(mark);
      throw error;
    }
  };

  const runChunk = async (trx: ControlledTransaction<Database>, chunk: TargetUser[]) => {
    // Inside the chunk's write transaction: named users are read again if another
    // process has written since the plan; a filter's chunk was just read.
    const stale = plan.targets && (plan.otherWritesMark === undefined || otherWritesMark(ctx.db) !== plan.otherWritesMark);
    const current = stale
      ? await targetsByIds(
          trx,
          chunk.map((u) => u.id),
        )
      : undefined;
    await action.readChunk?.(chunk, trx);
    for (const snapshot of chunk) {
      const user = current ? current.get(snapshot.id) : snapshot;
      const ref = snapshot.username;
      if (!user) {
        result.failed.push({ ref, message: 'no such user (removed meanwhile)', exitCode: 3 });
        continue;
      }
      try {
        const outcome = await applyOne(trx, user);
        result[outcome].push({ id: user.id, username: user.username });
      } catch (error) {
        if (!isRosterError(error)) throw error;
        result.failed.push({ ref, message: error.message, exitCode: error.exitCode, hint: error.suggestion });
        if (options.atomic) throw new Rollback();
      }
    }
    await action.writeChunk?.(trx);
    // A dry run is rolled back whole: its audit rows need not be written.
    if (options.dryRun) auditRows.truncate(0);
    else await auditRows.flush(trx);
  };
  // Each chunk is read when its turn comes, inside its transaction: of a filter's
  // planned users, those that still match it now.
  const chunkCount = Math.ceil((plan.targets ?? plan.ids ?? []).length / chunkSize);
  const readChunk = async (trx: ControlledTransaction<Database>, index: number): Promise<TargetUser[]> => {
    if (plan.targets) return plan.targets.slice(index * chunkSize, (index + 1) * chunkSize);
    return stillMatching(trx, plan.filter!, plan.ids!.slice(index * chunkSize, (index + 1) * chunkSize));
  };
  /** Runs work in a write transaction, committed if `keep` says so afterwards, else rolled back. */
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

  if (options.atomic && plan.failed.length) return { ...result, rolledBack: true };
  if (options.dryRun || options.atomic) {
    try {
      await inTransaction(
        async (trx) => {
          for (let index = 0; index < chunkCount; index++) await runChunk(trx, await readChunk(trx, index));
        },
        () => !options.dryRun,
      );
    } catch (error) {
      if (!(error instanceof Rollback)) throw error;
      // A dry run with --atomic foretells the rollback too.
      result.rolledBack = true;
    }
    if (result.rolledBack) return { ...result, changed: [], unchanged: [] };
    return result;
  }
  for (let index = 0; index < chunkCount; index++)
    await inTransaction(
      async (trx) => runChunk(trx, await readChunk(trx, index)),
      () => true,
    );
  return result;
}
