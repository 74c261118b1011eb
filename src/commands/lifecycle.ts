import type { CommandRegistry } from '../cli/registry';
import { inContext, type CommandContext, type Outcome } from '../cli/context';
import { line, warn } from '../cli/io';
import { examples } from '../cli/options';
import { addSelectionOptions, confirmBatch, renderBatch, selectionFromCommand, type BatchCliOptions } from '../cli/selection';
import type { BatchPlan, Selection } from '../core/batch';
import { UsageError } from '../shared/errors';

interface PurgeOptions extends BatchCliOptions {
  deletedBefore?: string;
  reassignTo?: string;
}

export function register(commands: CommandRegistry): void {
  commands.add('delete [users...]', 'soft-delete accounts: they leave list and search and cannot log in, but keep their data (restore brings them back)', (del) => {
    addSelectionOptions(del, { omit: ['deleted'] });
    del.action(inContext((ctx, users: string[], opts: BatchCliOptions) => runDelete(ctx, users, opts)));
    examples(del, ['roster delete bob --yes', 'roster delete --role student --registered-before 2020-01-01 --dry-run', 'roster list --deleted']);
  });

  commands.add('restore [users...]', 'bring soft-deleted accounts back as they were', (restore) => {
    addSelectionOptions(restore, { omit: ['deleted'] });
    restore.action(inContext((ctx, users: string[], opts: BatchCliOptions) => runRestore(ctx, users, opts)));
    examples(restore, ['roster restore bob', 'roster restore --role teacher --yes']);
  });

  commands.add('purge [users...]', 'permanently delete soft-deleted accounts; the courses they own go to the fallback user (or --reassign-to)', (purge) => {
    purge
      .option('--deleted-before <date|duration>', 'the accounts deleted before this date, or longer ago than 30d, 6w…')
      .option('--reassign-to <user>', 'hand their courses to this active account instead of the fallback user');
    addSelectionOptions(purge, { omit: ['deleted'] });
    purge.action(inContext((ctx, users: string[], opts: PurgeOptions) => runPurge(ctx, users, opts)));
    examples(purge, ['roster db backup /var/backups/roster-before-purge.db && roster purge bob --yes', 'roster purge --deleted-before 90d --reassign-to ada --yes', 'roster purge --deleted-before 2026-01-01 --dry-run']);
  });

  commands.add('anonymize [users...]', 'GDPR erasure: replace the personal data of accounts with neutral values, for good (enrolments and courses stay)', (anonymize) => {
    addSelectionOptions(anonymize);
    anonymize.action(inContext((ctx, users: string[], opts: BatchCliOptions) => runAnonymize(ctx, users, opts)));
    examples(anonymize, ['roster anonymize bob', 'roster anonymize id:42 --yes --json']);
  });
}

/** Restore and purge act on the "Deleted users" view: their filters select among deleted accounts. */
async function deletedView(ctx: CommandContext, users: string[], opts: BatchCliOptions): Promise<Selection> {
  const { hasSelectiveFilter } = await import('../shared/user-filter');
  const selection = await selectionFromCommand(ctx, users, opts);
  if (selection.kind === 'filter' && hasSelectiveFilter(selection.filter)) return { kind: 'filter', filter: { ...selection.filter, deleted: true } };
  return selection;
}

/** Names the courses the selected users own: deleting or purging them concerns those courses. */
async function warnOwnedCourses(ctx: CommandContext, plan: BatchPlan, fate: string): Promise<void> {
  const { ownedCoursesOf, coachedSessionsOf } = await import('../core/deletion');
  const [{ courses, total }, coached] = await Promise.all([ownedCoursesOf(ctx, plan), coachedSessionsOf(ctx, plan)]);
  if (!total && !coached.total) return;
  const byOwner = new Map<string, string[]>();
  for (const c of courses) byOwner.set(c.owner, [...(byOwner.get(c.owner) ?? []), `${c.code} "${c.title}"`]);
  for (const [owner, list] of byOwner) warn(ctx.io, `${owner} owns ${list.length === 1 ? 'a course' : 'courses'}: ${list.join(', ')}`);
  if (total > courses.length) warn(ctx.io, `…and ${total - courses.length} more course(s)`);
  const byCoach = new Map<string, string[]>();
  for (const s of coached.sessions) byCoach.set(s.coach, [...(byCoach.get(s.coach) ?? []), `"${s.name}"`]);
  for (const [coach, list] of byCoach) warn(ctx.io, `${coach} coaches ${list.length === 1 ? 'a session' : 'sessions'}: ${list.join(', ')}`);
  if (coached.total > coached.sessions.length) warn(ctx.io, `…and ${coached.total - coached.sessions.length} more session(s)`);
  warn(ctx.io, fate);
}

async function runDelete(ctx: CommandContext, users: string[], opts: BatchCliOptions): Promise<Outcome> {
  const [{ planBatch, runBatch, withoutRefused }, { assertDeletable, deleteAction }] = await Promise.all([import('../core/batch'), import('../core/deletion')]);
  const plan = withoutRefused(await planBatch(ctx, await selectionFromCommand(ctx, users, opts)), assertDeletable);
  await warnOwnedCourses(ctx, plan, 'courses and coached sessions stay with them while deleted; a purge hands them to the fallback user (or to --reassign-to <user>)');
  await confirmBatch(ctx, plan, (who) => `Delete ${who} (roster restore undoes it)?`, { always: true, dryRun: opts.dryRun, wouldChange: () => runBatch(ctx, plan, deleteAction(ctx), { dryRun: true, atomic: opts.atomic }) });
  const result = await runBatch(ctx, plan, deleteAction(ctx), { dryRun: opts.dryRun, atomic: opts.atomic });
  return renderBatch(ctx, result, { done: 'deleted', would: 'delete', unchanged: 'already deleted' });
}

async function runRestore(ctx: CommandContext, users: string[], opts: BatchCliOptions): Promise<Outcome> {
  const [{ planBatch, runBatch }, { restoreAction }] = await Promise.all([import('../core/batch'), import('../core/deletion')]);
  const plan = await planBatch(ctx, await deletedView(ctx, users, opts));
  await confirmBatch(ctx, plan, (who) => `Restore ${who}?`, { dryRun: opts.dryRun, wouldChange: () => runBatch(ctx, plan, restoreAction(), { dryRun: true, atomic: opts.atomic }) });
  const result = await runBatch(ctx, plan, restoreAction(), { dryRun: opts.dryRun, atomic: opts.atomic });
  return renderBatch(ctx, result, { done: 'restored', would: 'restore', unchanged: 'not deleted' });
}

async function runPurge(ctx: CommandContext, users: string[], opts: PurgeOptions): Promise<Outcome> {
  const [{ planBatch, runBatch, withoutRefused }, { assertPurgeable, purgeAction, resolveCourseReceiver }, { parseDateOrAgo }, { suggestedSnapshot }] = await Promise.all([
    import('../core/batch'),
    import('../core/deletion'),
    import('../core/time'),
    import('../db/database-files'),
  ]);
  let selection = await deletedView(ctx, users, opts);
  if (opts.deletedBefore !== undefined) {
    if (selection.kind === 'refs') throw new UsageError('give users or --deleted-before, not both');
    selection = { kind: 'filter', filter: { ...selection.filter, deleted: true, deletedBefore: parseDateOrAgo(opts.deletedBefore, '--deleted-before', ctx.now()) } };
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

async function runAnonymize(ctx: CommandContext, users: string[], opts: BatchCliOptions): Promise<Outcome> {
  const [{ planBatch, runBatch, withoutRefused }, { anonymizeAction, anonymizeUsers, assertAnonymizable }] = await Promise.all([import('../core/batch'), import('../core/anonymize')]);
  const plan = withoutRefused(await planBatch(ctx, await selectionFromCommand(ctx, users, opts)), assertAnonymizable);
  await confirmBatch(ctx, plan, (who) => `Anonymize ${who} for good (names, username, email, official code, phone, picture, extra fields and password are erased; this cannot be undone)?`, {
    always: true,
    dryRun: opts.dryRun,
    wouldChange: () => runBatch(ctx, plan, anonymizeAction(ctx), { dryRun: true, atomic: opts.atomic }),
  });
  const result = await anonymizeUsers(ctx, plan, { dryRun: opts.dryRun, atomic: opts.atomic });
  const outcome = await renderBatch(ctx, result, { done: 'anonymized', would: 'anonymize', unchanged: 'already anonymized' });
  if (result.leftover) warn(ctx.io, result.leftover);
  return outcome;
}

