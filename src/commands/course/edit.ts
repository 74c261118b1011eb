import type { Command } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { printEdit } from '../../cli/named-record';
import { examples, excludeEachOther, requireAnOption } from '../../cli/options';

export interface EditOptions {
  code?: string;
  title?: string;
  language?: string;
  owner?: string | false;
}

export function define(course: Command): void {
  const edit = course
    .command('edit <code>')
    .description('change a course: code, title, language, owner')
    .option('--code <code>', 'a new code')
    .option('--title <title>', 'a new title')
    .option('--language <code>', 'a new language')
    .option('--owner <user>', 'a new owner')
    .option('--no-owner', 'remove the owner')
    .hook('preAction', (_command, action) => requireAnOption(action.opts(), action))
    .action(inContext((ctx, code: string, opts: EditOptions) => runCourseEdit(ctx, code, opts)));
  excludeEachOther(edit, 'owner', 'no-owner');
  examples(edit, ['roster course edit C101 --title "Algebra I" --owner bob', 'roster course edit C101 --no-owner', 'roster course edit c101 --code MATH101']);
}

export async function runCourseEdit(ctx: CommandContext, code: string, opts: EditOptions): Promise<void> {
  const { editCourse } = await import('../../core/courses');
  const owner = opts.owner === false ? null : opts.owner;
  const result = await editCourse(ctx, code, { code: opts.code, title: opts.title, language: opts.language, owner });
  printEdit(ctx, 'course', `course ${result.course.code}`, { record: result.course, changes: result.changes });
}
