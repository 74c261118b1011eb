import type { Command } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { line } from '../../cli/io';
import { examples } from '../../cli/options';
import { printTable } from '../../cli/render-records';
import type { Course } from '../../core/courses';

export function define(course: Command): void {
  const list = course
    .command('list')
    .description('the courses, with how many teachers and students each has')
    .option('--owner <user>', 'the courses this user owns')
    .option('--search <text>', 'code or title contains this text (any case, any accents)')
    .action(inContext((ctx, opts: { owner?: string; search?: string }) => runCourseList(ctx, opts)));
  examples(list, ['roster course list', 'roster course list --owner ada', 'roster course list --search algebra --json']);
}

export async function runCourseList(ctx: CommandContext, opts: { owner?: string; search?: string }): Promise<void> {
  const { listCourses } = await import('../../core/courses');
  const courses = await listCourses(ctx, { owner: opts.owner, search: opts.search });
  if (ctx.json) return line(ctx.io.stdout, JSON.stringify(courses, null, 2));
  await printCourses(ctx, courses);
}

async function printCourses(ctx: CommandContext, courses: Course[]): Promise<void> {
  if (!courses.length) return line(ctx.io.stderr, 'no courses match; add one with roster course add <code> --title <title>');
  await printTable(
    ctx.io,
    ['Code', 'Title', 'Language', 'Owner', 'Teachers', 'Students', 'Created'],
    courses.map((c) => [c.code, c.title, c.language, c.owner?.username ?? '', c.enrolled.teachers, c.enrolled.students, c.createdAt.slice(0, 10)]),
  );
}
