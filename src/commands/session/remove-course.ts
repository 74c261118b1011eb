import type { Command } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { renderSessionCourses } from '../../cli/session-text';
import { examples } from '../../cli/options';

export function define(session: Command): void {
  const removeCourse = session
    .command('remove-course <name> <codes...>')
    .description('remove courses from a session (the courses and their enrolments stay)')
    .action(inContext((ctx, name: string, courses: string[], _opts: unknown) => runSessionRemoveCourse(ctx, name, courses)));
  examples(removeCourse, ['roster session remove-course "Spring 2026" C104']);
}

export async function runSessionRemoveCourse(ctx: CommandContext, name: string, courses: string[]): Promise<void> {
  const { removeSessionCourses } = await import('../../core/sessions');
  renderSessionCourses(ctx, await removeSessionCourses(ctx, name, courses), 'removed', 'not in the session');
}
