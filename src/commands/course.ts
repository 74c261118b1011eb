import type { CommandRegistry } from '../cli/registry';
import { confirmOrStop } from '../cli/confirm';
import { inContext, type CommandContext } from '../cli/context';
import { line, paint } from '../cli/io';
import { examples, excludeEachOther, requireAnOption } from '../cli/options';
import { printTable } from '../cli/render-records';
import type { Course, CourseDetails } from '../core/courses';
import { describeChange } from '../cli/describe-change';

interface AddOptions {
  title: string;
  owner?: string;
  language?: string;
}

interface EditOptions {
  code?: string;
  title?: string;
  language?: string;
  owner?: string | false;
}

export function register(commands: CommandRegistry): void {
  commands.add('course', 'courses: add, list, show, edit, delete', (course) => {
    examples(course, ['roster course add C101 --title "Introduction to algebra" --owner ada', 'roster course list', 'roster enroll ada --course C101 --as teacher']);

    const add = course
      .command('add <code>')
      .description('create a course')
      .requiredOption('--title <title>', 'the course title')
      .option('--owner <user>', 'the user who owns the course (default: none)')
      .option('--language <code>', 'the course language: ISO code or Chamilo name (default: en)')
      .action(inContext(async (ctx, code: string, opts: AddOptions) => {
          const { addCourse } = await import('../core/courses');
          const created = await addCourse(ctx, { code, title: opts.title, owner: opts.owner, language: opts.language });
          if (ctx.json) return line(ctx.io.stdout, JSON.stringify(created, null, 2));
          line(ctx.io.stdout, `${paint(ctx.io, 'green', 'added')} course ${created.code} "${created.title}" (id:${created.id}, ${created.language}${created.owner ? `, owner ${created.owner.username}` : ''})`);
        }),
      );
    examples(add, ['roster course add C101 --title "Introduction to algebra" --owner ada', 'roster course add PHYS2 --title "Physique 2" --language french']);

    const list = course
      .command('list')
      .description('the courses, with how many teachers and students each has')
      .option('--owner <user>', 'the courses this user owns')
      .option('--search <text>', 'code or title contains this text (any case, any accents)')
      .action(inContext(async (ctx, opts: { owner?: string; search?: string }) => {
          const { listCourses } = await import('../core/courses');
          const courses = await listCourses(ctx, { owner: opts.owner, search: opts.search });
          if (ctx.json) return line(ctx.io.stdout, JSON.stringify(courses, null, 2));
          await printCourses(ctx, courses);
        }),
      );
    examples(list, ['roster course list', 'roster course list --owner ada', 'roster course list --search algebra --json']);

    const show = course
      .command('show <code>')
      .description('a course: owner, teachers, number of students, sessions')
      .action(inContext(async (ctx, code: string, _opts: unknown) => {
          const { getCourse } = await import('../core/courses');
          const details = await getCourse(ctx, code);
          if (ctx.json) return line(ctx.io.stdout, JSON.stringify(details, null, 2));
          printCourse(ctx, details);
        }),
      );
    examples(show, ['roster course show C101', 'roster course show c101 --json']);

    const edit = course
      .command('edit <code>')
      .description('change a course: code, title, language, owner')
      .option('--code <code>', 'a new code')
      .option('--title <title>', 'a new title')
      .option('--language <code>', 'a new language')
      .option('--owner <user>', 'a new owner')
      .option('--no-owner', 'remove the owner')
      .hook('preAction', (_command, action) => requireAnOption(action.opts(), action))
      .action(inContext(async (ctx, code: string, opts: EditOptions) => {
          const { editCourse } = await import('../core/courses');
          const owner = opts.owner === false ? null : opts.owner;
          const result = await editCourse(ctx, code, { code: opts.code, title: opts.title, language: opts.language, owner });
          if (ctx.json) return line(ctx.io.stdout, JSON.stringify({ changed: result.changes.length ? 1 : 0, course: result.course, changes: result.changes }, null, 2));
          if (!result.changes.length) return line(ctx.io.stdout, `nothing changed for course ${result.course.code}`);
          line(ctx.io.stdout, `${paint(ctx.io, 'green', 'changed')} course ${result.course.code}:`);
          for (const change of result.changes) line(ctx.io.stdout, `  ${describeChange(change)}`);
        }),
      );
    excludeEachOther(edit, 'owner', 'no-owner');
    examples(edit, ['roster course edit C101 --title "Algebra I" --owner bob', 'roster course edit C101 --no-owner', 'roster course edit c101 --code MATH101']);

    const remove = course
      .command('delete <code>')
      .description('delete a course (asks first; refuses while users are enrolled unless --force)')
      .option('--force', 'delete it with its enrolments')
      .action(inContext((ctx, code: string, opts: { force?: boolean }) => runDelete(ctx, code, Boolean(opts.force))));
    examples(remove, ['roster course delete C101', 'roster course delete C101 --force --yes']);
  });
}

async function runDelete(ctx: CommandContext, code: string, force: boolean): Promise<void> {
  const { checkCourseDeletable, deleteCourse } = await import('../core/courses');
  const course = await checkCourseDeletable(ctx, code, force);
  const enrolled = course.enrolled.total ? ` and unenroll its ${course.enrolled.total} user(s)` : '';
  await confirmOrStop(ctx.io, ctx.yes, `Delete course ${course.code} "${course.title}"${enrolled}?`);
  const result = await deleteCourse(ctx, code, { force });
  if (ctx.json) return line(ctx.io.stdout, JSON.stringify({ changed: 1, course: result.course, unenrolled: result.unenrolled }, null, 2));
  line(ctx.io.stdout, `${paint(ctx.io, 'green', 'deleted')} course ${result.course.code}${result.unenrolled ? `; ${result.unenrolled} user(s) unenrolled` : ''}`);
}

async function printCourses(ctx: CommandContext, courses: Course[]): Promise<void> {
  if (!courses.length) return line(ctx.io.stderr, 'no courses match; add one with roster course add <code> --title <title>');
  await printTable(
    ctx.io,
    ['Code', 'Title', 'Language', 'Owner', 'Teachers', 'Students', 'Created'],
    courses.map((c) => [c.code, c.title, c.language, c.owner?.username ?? '', c.enrolled.teachers, c.enrolled.students, c.createdAt.slice(0, 10)]),
  );
}

function printCourse(ctx: CommandContext, c: CourseDetails): void {
  const out = (label: string, value: unknown) => line(ctx.io.stdout, `${paint(ctx.io, 'bold', label.padEnd(10))}${value === null || value === undefined || value === '' ? paint(ctx.io, 'dim', '-') : String(value)}`);
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
