import { type CommandContext } from './context';
import { warn } from './io';
import { selectionFromCommand, type BatchCliOptions } from './selection';
import type { BatchPlan, Selection } from '../core/batch';

/** Restore and purge act on the "Deleted users" view: their filters select among deleted accounts. */
export async function deletedView(ctx: CommandContext, users: string[], opts: BatchCliOptions): Promise<Selection> {
  const { hasSelectiveFilter } = await import('../shared/user-filter');
  const selection = await selectionFromCommand(ctx, users, opts);
  if (selection.kind === 'filter' && hasSelectiveFilter(selection.filter)) return { kind: 'filter', filter: { ...selection.filter, deleted: true } };
  return selection;
}

/** Names the courses the selected users own: deleting or purging them concerns those courses. */
export async function warnOwnedCourses(ctx: CommandContext, plan: BatchPlan, fate: string): Promise<void> {
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
