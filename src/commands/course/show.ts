import type { Command } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { line, paint } from '../../cli/io';
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
  const out = (label: string, value: unknown) =>
    line(
      ctx.io.stdout,
      `${paint(ctx.io, 'bold', label.padEnd(10))}${value === null || value === undefined || value === '' ? paint(ctx.io, 'dim', '-') : String(value)}`,
    );
  out('Code', c.code);
  out('Title', c.title);
  out('Id', c.id);
  out('Language', c.language);
  out('Owner', c.owner?.username);
  out('Created', c.createdAt);
  out('Students', c.enrolled.students);
  line(ctx.io.stdout, paint(ctx.io, 'bold', `Teachers (${c.teachers.length})`));
  for (const t of c.teachers) line(ctx.io.stdout, `  ${t.username}  ${t.firstname} ${t.lastname}`);
  line(ctx.io.stdout, paint(ctx.io, 'bold', `Sessions (${c.sessions.length})`));
  for (const s of c.sessions) line(ctx.io.stdout, `  ${s.name}  ${s.startsOn.slice(0, 10)} → ${s.endsOn.slice(0, 10)}`);
}
