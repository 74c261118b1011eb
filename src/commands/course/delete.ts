import type { Command } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { deleteRecord } from '../../cli/named-record';
import { examples } from '../../cli/options';

export function define(course: Command): void {
  const remove = course
    .command('delete <code>')
    .description('delete a course (asks first; refuses while users are enrolled unless --force)')
    .option('--force', 'delete it with its enrolments')
    .action(inContext((ctx, code: string, opts: { force?: boolean }) => runCourseDelete(ctx, code, opts)));
  examples(remove, ['roster course delete C101', 'roster course delete C101 --force --yes']);
}

export async function runCourseDelete(ctx: CommandContext, code: string, opts: { force?: boolean }): Promise<void> {
  const { checkCourseDeletable, deleteCourse } = await import('../../core/courses');
  const force = Boolean(opts.force);
  await deleteRecord(ctx, {
    kind: 'course',
    check: () => checkCourseDeletable(ctx, code, force),
    question: (c) => `course ${c.code} "${c.title}"`,
    label: (c) => `course ${c.code}`,
    remove: async () => {
      const { course, unenrolled } = await deleteCourse(ctx, code, { force });
      return { record: course, unenrolled };
    },
  });
}
