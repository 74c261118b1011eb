import type { Command } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { line } from '../../cli/io';
import { printFields, printList } from '../../cli/named-record';
import { examples } from '../../cli/options';
import type { CourseDetails } from '../../core/courses';

export function define(course: Command): void {
  const show = course
    .command('show <code>')
    .description('a course: owner, teachers, number of students, sessions')
    .action(inContext((ctx, code: string, _opts: unknown) => runCourseShow(ctx, code)));
  examples(show, ['roster course show C101', 'roster course show c101 --json']);
}

export async function runCourseShow(ctx: CommandContext, code: string): Promise<void> {
  const { getCourse } = await import('../../core/courses');
  const details = await getCourse(ctx, code);
  if (ctx.json) return line(ctx.io.stdout, JSON.stringify(details, null, 2));
  printCourse(ctx, details);
}

function printCourse(ctx: CommandContext, c: CourseDetails): void {
  printFields(ctx, [
    ['Code', c.code],
    ['Title', c.title],
    ['Id', c.id],
    ['Language', c.language],
    ['Owner', c.owner?.username],
    ['Created', c.createdAt],
    ['Students', c.enrolled.students],
  ]);
  printList(
    ctx,
    'Teachers',
    c.teachers.map((t) => `${t.username}  ${t.firstname} ${t.lastname}`),
  );
  printList(
    ctx,
    'Sessions',
    c.sessions.map((s) => `${s.name}  ${s.startsOn.slice(0, 10)} → ${s.endsOn.slice(0, 10)}`),
  );
}
