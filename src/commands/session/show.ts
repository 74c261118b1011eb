import type { Command } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { line, paint } from '../../cli/io';
import { sessionPeriod } from '../../cli/session-text';
import { examples } from '../../cli/options';
import type { TrainingSession } from '../../core/sessions';

export function define(session: Command): void {
  const show = session
    .command('show <name>')
    .description('a training session: period, coach, courses, number of users')
    .action(inContext((ctx, name: string, _opts: unknown) => runSessionShow(ctx, name)));
  examples(show, ['roster session show "Spring 2026"', 'roster session show "spring 2026" --json']);
}

export async function runSessionShow(ctx: CommandContext, name: string): Promise<void> {
  const { getSession } = await import('../../core/sessions');
  const details = await getSession(ctx, name);
  if (ctx.json) return line(ctx.io.stdout, JSON.stringify(details, null, 2));
  printSession(ctx, details);
}

function printSession(ctx: CommandContext, s: TrainingSession): void {
  const out = (label: string, value: unknown) =>
    line(
      ctx.io.stdout,
      `${paint(ctx.io, 'bold', label.padEnd(10))}${value === null || value === undefined || value === '' ? paint(ctx.io, 'dim', '-') : String(value)}`,
    );
  out('Name', s.name);
  out('Id', s.id);
  out('Period', sessionPeriod(s));
  out('Coach', s.coach?.username);
  out('Created', s.createdAt);
  out('Users', s.enrolled.total);
  line(ctx.io.stdout, paint(ctx.io, 'bold', `Courses (${s.courses.length})`));
  for (const c of s.courses) line(ctx.io.stdout, `  ${c.code}  ${c.title}`);
}
