import type { CommandRegistry } from '../cli/registry';
import { inContext, type CommandContext, type Outcome } from '../cli/context';
import { line, warn } from '../cli/io';
import { examples } from '../cli/options';
import { addSelectionOptions, confirmBatch, renderBatch, type BatchCliOptions } from '../cli/selection';
import { UsageError } from '../shared/errors';
import { deletedView, warnOwnedCourses } from '../cli/deleted-users';

export interface PurgeOptions extends BatchCliOptions {
  deletedBefore?: string;
  reassignTo?: string;
}

export function register(commands: CommandRegistry): void {
  commands.add('purge [users...]', 'permanently delete soft-deleted accounts; the courses they own go to the fallback user (or --reassign-to)', (purge) => {
    purge
      .option('--deleted-before <date|duration>', 'the accounts deleted before this date, or longer ago than 30d, 6w…')
      .option('--reassign-to <user>', 'hand their courses to this active account instead of the fallback user');
    addSelectionOptions(purge, { omit: ['deleted'] });
    purge.action(inContext((ctx, users: string[], opts: PurgeOptions) => runPurge(ctx, users, opts)));
    examples(purge, [
      'roster db backup /var/backups/roster-before-purge.db && roster purge bob --yes',
      'roster purge --deleted-before 90d --reassign-to ada --yes',
      'roster purge --deleted-before 2026-01-01 --dry-run',
    ]);
  });
}

export async function runPurge(ctx: CommandContext, users: string[], opts: PurgeOptions): Promise<Outcome> {
  const [{ planBatch, runBatch, withoutRefused }, { assertPurgeable, purgeAction, resolveCourseReceiver }, { parseDateOrAgo }, { suggestedSnapshot }] =
    await Promise.all([import('../core/batch'), import('../core/deletion'), import('../core/time'), import('../db/database-files')]);
  let selection = await deletedView(ctx, users, opts);
  if (opts.deletedBefore !== undefined) {
    if (selection.kind === 'refs') throw new UsageError('give users or --deleted-before, not both');
    selection = {
      kind: 'filter',
      filter: { ...selection.filter, deleted: true, deletedBefore: parseDateOrAgo(opts.deletedBefore, '--deleted-before', ctx.now()) },
    };
  }
  // The receiving account is checked before anything changes.
  const receiver = await resolveCourseReceiver(ctx, opts.reassignTo);
  const plan = withoutRefused(await planBatch(ctx, selection), assertPurgeable);
  await warnOwnedCourses(ctx, plan, `on purge these courses and sessions are handed to ${receiver.fallback ? 'the fallback user' : receiver.username}`);
  const snapshot = suggestedSnapshot(ctx.db, `roster-before-purge-${ctx.now().toISOString().slice(0, 10)}`);
  await confirmBatch(ctx, plan, (who) => `Purge ${who} permanently (this cannot be undone; take a snapshot first: roster db backup ${snapshot})?`, {
    always: true,
    dryRun: opts.dryRun,
    wouldChange: () => runBatch(ctx, plan, purgeAction(ctx, receiver).action, { dryRun: true, atomic: opts.atomic }),
  });
  const { action, handedOver, sessionsHandedOver, flushLog } = purgeAction(ctx, receiver);
  const result = await runBatch(ctx, plan, action, { dryRun: opts.dryRun, atomic: opts.atomic });
  const leftover = result.changed.length && !result.dryRun && !result.rolledBack ? await flushLog() : undefined;
  if (leftover) warn(ctx.io, leftover);
  const purged = result.changed.map((u) => ({
    id: u.id,
    username: u.username,
    coursesHandedOver: handedOver.get(u.id) ?? [],
    sessionsHandedOver: sessionsHandedOver.get(u.id) ?? [],
    handedTo: receiver.id,
  }));
  const outcome = await renderBatch(ctx, result, { done: 'purged', would: 'purge' }, purged);
  const courses = purged.reduce((n, p) => n + p.coursesHandedOver.length, 0);
  const sessions = purged.reduce((n, p) => n + p.sessionsHandedOver.length, 0);
  if (!ctx.json && (courses || sessions) && !result.rolledBack) {
    const what = [courses ? `${courses} course(s)` : '', sessions ? `the coaching of ${sessions} session(s)` : ''].filter(Boolean).join(' and ');
    line(ctx.io.stdout, `${result.dryRun ? 'would hand' : 'handed'} ${what} to ${receiver.username} (id:${receiver.id})`);
  }
  return outcome;
}
