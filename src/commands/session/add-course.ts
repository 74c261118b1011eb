import type { Command } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { renderSessionCourses } from '../../cli/session-text';
import { examples } from '../../cli/options';

export function define(session: Command): void {
  const addCourse = session
    .command('add-course <name> <codes...>')
    .description('add courses to a session')
    .action(inContext((ctx, name: string, courses: string[], _opts: unknown) => runSessionAddCourse(ctx, name, courses)));
  examples(addCourse, ['roster session add-course "Spring 2026" C103 C104']);
}

export async function runSessionAddCourse(ctx: CommandContext, name: string, courses: string[]): Promise<void> {
  const { addSessionCourses } = await import('../../core/sessions');
  renderSessionCourses(ctx, await addSessionCourses(ctx, name, courses), 'added', 'already in the session');
}
