import type { Command } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { line, paint } from '../../cli/io';
import { sessionCourseCodes, sessionPeriod } from '../../cli/session-text';
import { collect, examples } from '../../cli/options';

export interface AddOptions {
  start: string;
  end: string;
  coach?: string;
  course?: string[];
}

export function define(session: Command): void {
  const add = session
    .command('add <name>')
    .description('create a training session')
    .requiredOption('--start <date>', 'first day (YYYY-MM-DD)')
    .requiredOption('--end <date>', 'last day (YYYY-MM-DD)')
    .option('--coach <user>', 'the user who coaches the session')
    .option('--course <code>', 'a course of the session (repeatable)', collect)
    .action(inContext((ctx, name: string, opts: AddOptions) => runSessionAdd(ctx, name, opts)));
  examples(add, [
    'roster session add "Spring 2026" --start 2026-03-01 --end 2026-06-30 --course C101 --course C102',
    'roster session add Bootcamp --start 2026-09-01 --end 2026-09-14 --coach ada',
  ]);
}

export async function runSessionAdd(ctx: CommandContext, name: string, opts: AddOptions): Promise<void> {
  const { addSession } = await import('../../core/sessions');
  const created = await addSession(ctx, { name, start: opts.start, end: opts.end, coach: opts.coach, courses: opts.course });
  if (ctx.json) return line(ctx.io.stdout, JSON.stringify(created, null, 2));
  line(
    ctx.io.stdout,
    `${paint(ctx.io, 'green', 'added')} session "${created.name}" (id:${created.id}, ${sessionPeriod(created)}${created.courses.length ? `, courses ${sessionCourseCodes(created)}` : ''})`,
  );
}
