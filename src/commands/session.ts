import type { CommandRegistry } from '../cli/registry';
import { confirmOrStop } from '../cli/confirm';
import { inContext, type CommandContext } from '../cli/context';
import { line, paint } from '../cli/io';
import { collect, examples, excludeEachOther, requireAnOption } from '../cli/options';
import { printTable } from '../cli/render-records';
import type { SessionCoursesResult, TrainingSession } from '../core/sessions';
import { describeChange } from '../cli/describe-change';

interface AddOptions {
  start: string;
  end: string;
  coach?: string;
  course?: string[];
}

interface EditOptions {
  name?: string;
  start?: string;
  end?: string;
  coach?: string | false;
}

export function register(commands: CommandRegistry): void {
  commands.add('session', 'training sessions (a cohort, a period, its courses): add, list, show, edit, delete', (session) => {
    examples(session, ['roster session add "Spring 2026" --start 2026-03-01 --end 2026-06-30 --course C101', 'roster session list', 'roster enroll - --session "Spring 2026" --yes < cohort.txt']);

    const add = session
      .command('add <name>')
      .description('create a training session')
      .requiredOption('--start <date>', 'first day (YYYY-MM-DD)')
      .requiredOption('--end <date>', 'last day (YYYY-MM-DD)')
      .option('--coach <user>', 'the user who coaches the session')
      .option('--course <code>', 'a course of the session (repeatable)', collect)
      .action(inContext(async (ctx, name: string, opts: AddOptions) => {
          const { addSession } = await import('../core/sessions');
          const created = await addSession(ctx, { name, start: opts.start, end: opts.end, coach: opts.coach, courses: opts.course });
          if (ctx.json) return line(ctx.io.stdout, JSON.stringify(created, null, 2));
          line(ctx.io.stdout, `${paint(ctx.io, 'green', 'added')} session "${created.name}" (id:${created.id}, ${period(created)}${created.courses.length ? `, courses ${codes(created)}` : ''})`);
        }),
      );
    examples(add, ['roster session add "Spring 2026" --start 2026-03-01 --end 2026-06-30 --course C101 --course C102', 'roster session add Bootcamp --start 2026-09-01 --end 2026-09-14 --coach ada']);

    const list = session
      .command('list')
      .description('the training sessions, with their courses and how many users each has')
      .option('--search <text>', 'name contains this text (any case, any accents)')
      .option('--course <code>', 'the sessions that hold this course')
      .action(inContext(async (ctx, opts: { search?: string; course?: string }) => {
          const { listSessions } = await import('../core/sessions');
          const sessions = await listSessions(ctx, { search: opts.search, course: opts.course });
          if (ctx.json) return line(ctx.io.stdout, JSON.stringify(sessions, null, 2));
          if (!sessions.length) return line(ctx.io.stderr, 'no sessions match; add one with roster session add <name> --start <date> --end <date>');
          await printTable(
            ctx.io,
            ['Name', 'Starts', 'Ends', 'Coach', 'Courses', 'Users'],
            sessions.map((s) => [s.name, s.startsOn.slice(0, 10), s.endsOn.slice(0, 10), s.coach?.username ?? '', codes(s), s.enrolled.total]),
          );
        }),
      );
    examples(list, ['roster session list', 'roster session list --course C101 --json']);

    const show = session
      .command('show <name>')
      .description('a training session: period, coach, courses, number of users')
      .action(inContext(async (ctx, name: string, _opts: unknown) => {
          const { getSession } = await import('../core/sessions');
          const details = await getSession(ctx, name);
          if (ctx.json) return line(ctx.io.stdout, JSON.stringify(details, null, 2));
          printSession(ctx, details);
        }),
      );
    examples(show, ['roster session show "Spring 2026"', 'roster session show "spring 2026" --json']);

    const edit = session
      .command('edit <name>')
      .description('change a session: name, dates, coach')
      .option('--name <name>', 'a new name')
      .option('--start <date>', 'a new first day')
      .option('--end <date>', 'a new last day')
      .option('--coach <user>', 'a new coach')
      .option('--no-coach', 'remove the coach')
      .hook('preAction', (_command, action) => requireAnOption(action.opts(), action))
      .action(inContext(async (ctx, name: string, opts: EditOptions) => {
          const { editSession } = await import('../core/sessions');
          const coach = opts.coach === false ? null : opts.coach;
          const result = await editSession(ctx, name, { name: opts.name, start: opts.start, end: opts.end, coach });
          if (ctx.json) return line(ctx.io.stdout, JSON.stringify({ changed: result.changes.length ? 1 : 0, session: result.session, changes: result.changes }, null, 2));
          if (!result.changes.length) return line(ctx.io.stdout, `nothing changed for session "${result.session.name}"`);
          line(ctx.io.stdout, `${paint(ctx.io, 'green', 'changed')} session "${result.session.name}":`);
          for (const change of result.changes) line(ctx.io.stdout, `  ${describeChange(change)}`);
        }),
      );
    excludeEachOther(edit, 'coach', 'no-coach');
    examples(edit, ['roster session edit "Spring 2026" --end 2026-07-15', 'roster session edit "Spring 2026" --name "Spring 2026 (A)" --no-coach']);

    const remove = session
      .command('delete <name>')
      .description('delete a session (asks first; refuses while users are enrolled unless --force); its courses stay')
      .option('--force', 'delete it with its enrolments')
      .action(inContext((ctx, name: string, opts: { force?: boolean }) => runDelete(ctx, name, Boolean(opts.force))));
    examples(remove, ['roster session delete "Spring 2026"', 'roster session delete "Spring 2026" --force --yes']);

    const addCourse = session
      .command('add-course <name> <codes...>')
      .description('add courses to a session')
      .action(inContext(async (ctx, name: string, courses: string[], _opts: unknown) => {
          const { addSessionCourses } = await import('../core/sessions');
          renderCourses(ctx, await addSessionCourses(ctx, name, courses), 'added', 'already in the session');
        }),
      );
    examples(addCourse, ['roster session add-course "Spring 2026" C103 C104']);

    const removeCourse = session
      .command('remove-course <name> <codes...>')
      .description('remove courses from a session (the courses and their enrolments stay)')
      .action(inContext(async (ctx, name: string, courses: string[], _opts: unknown) => {
          const { removeSessionCourses } = await import('../core/sessions');
          renderCourses(ctx, await removeSessionCourses(ctx, name, courses), 'removed', 'not in the session');
        }),
      );
    examples(removeCourse, ['roster session remove-course "Spring 2026" C104']);
  });
}

async function runDelete(ctx: CommandContext, name: string, force: boolean): Promise<void> {
  const { checkSessionDeletable, deleteSession } = await import('../core/sessions');
  const session = await checkSessionDeletable(ctx, name, force);
  const enrolled = session.enrolled.total ? ` and unenroll its ${session.enrolled.total} user(s)` : '';
  await confirmOrStop(ctx.io, ctx.yes, `Delete session "${session.name}"${enrolled}?`);
  const result = await deleteSession(ctx, name, { force });
  if (ctx.json) return line(ctx.io.stdout, JSON.stringify({ changed: 1, session: result.session, unenrolled: result.unenrolled }, null, 2));
  line(ctx.io.stdout, `${paint(ctx.io, 'green', 'deleted')} session "${result.session.name}"${result.unenrolled ? `; ${result.unenrolled} user(s) unenrolled` : ''}`);
}

function renderCourses(ctx: CommandContext, result: SessionCoursesResult, done: string, already: string): void {
  if (ctx.json) {
    line(ctx.io.stdout, JSON.stringify({ changed: result.changed.length, [done]: result.changed, unchanged: result.unchanged, session: result.session }, null, 2));
    return;
  }
  const name = `session "${result.session.name}"`;
  if (result.changed.length) line(ctx.io.stdout, `${paint(ctx.io, 'green', done)} ${result.changed.join(', ')} (${name})`);
  if (result.unchanged.length) line(ctx.io.stdout, `unchanged: ${result.unchanged.join(', ')} (${already})`);
}

function period(s: TrainingSession): string {
  return `${s.startsOn.slice(0, 10)} → ${s.endsOn.slice(0, 10)}`;
}

function codes(s: TrainingSession): string {
  return s.courses.map((c) => c.code).join(', ');
}

function printSession(ctx: CommandContext, s: TrainingSession): void {
  const out = (label: string, value: unknown) => line(ctx.io.stdout, `${paint(ctx.io, 'bold', label.padEnd(10))}${value === null || value === undefined || value === '' ? paint(ctx.io, 'dim', '-') : String(value)}`);
  out('Name', s.name);
  out('Id', s.id);
  out('Period', period(s));
  out('Coach', s.coach?.username);
  out('Created', s.createdAt);
  out('Users', s.enrolled.total);
  line(ctx.io.stdout, paint(ctx.io, 'bold', `Courses (${s.courses.length})`));
  for (const c of s.courses) line(ctx.io.stdout, `  ${c.code}  ${c.title}`);
}
