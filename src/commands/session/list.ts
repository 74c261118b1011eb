import type { Command } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { line } from '../../cli/io';
import { sessionCourseCodes } from '../../cli/session-text';
import { examples } from '../../cli/options';
import { printTable } from '../../cli/render-records';

export function define(session: Command): void {
  const list = session
    .command('list')
    .description('the training sessions, with their courses and how many users each has')
    .option('--search <text>', 'name contains this text (any case, any accents)')
    .option('--course <code>', 'the sessions that hold this course')
    .action(inContext((ctx, opts: { search?: string; course?: string }) => runSessionList(ctx, opts)));
  examples(list, ['roster session list', 'roster session list --course C101 --json']);
}

export async function runSessionList(ctx: CommandContext, opts: { search?: string; course?: string }): Promise<void> {
  const { listSessions } = await import('../../core/sessions');
  const sessions = await listSessions(ctx, { search: opts.search, course: opts.course });
  if (ctx.json) return line(ctx.io.stdout, JSON.stringify(sessions, null, 2));
  if (!sessions.length) return line(ctx.io.stderr, 'no sessions match; add one with roster session add <name> --start <date> --end <date>');
  await printTable(
    ctx.io,
    ['Name', 'Starts', 'Ends', 'Coach', 'Courses', 'Users'],
    sessions.map((s) => [s.name, s.startsOn.slice(0, 10), s.endsOn.slice(0, 10), s.coach?.username ?? '', sessionCourseCodes(s), s.enrolled.total]),
  );
}
