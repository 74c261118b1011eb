import type { Command } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { line } from '../../cli/io';
import { printFields, printList } from '../../cli/named-record';
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
  printFields(ctx, [
    ['Name', s.name],
    ['Id', s.id],
    ['Period', sessionPeriod(s)],
    ['Coach', s.coach?.username],
    ['Created', s.createdAt],
    ['Users', s.enrolled.total],
  ]);
  printList(
    ctx,
    'Courses',
    s.courses.map((c) => `${c.code}  ${c.title}`),
  );
}
