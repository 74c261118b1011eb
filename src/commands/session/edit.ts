import type { Command } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { printEdit } from '../../cli/named-record';
import { examples, excludeEachOther, requireAnOption } from '../../cli/options';

export interface EditOptions {
  name?: string;
  start?: string;
  end?: string;
  coach?: string | false;
}

export function define(session: Command): void {
  const edit = session
    .command('edit <name>')
    .description('change a session: name, dates, coach')
    .option('--name <name>', 'a new name')
    .option('--start <date>', 'a new first day')
    .option('--end <date>', 'a new last day')
    .option('--coach <user>', 'a new coach')
    .option('--no-coach', 'remove the coach')
    .hook('preAction', (_command, action) => requireAnOption(action.opts(), action))
    .action(inContext((ctx, name: string, opts: EditOptions) => runSessionEdit(ctx, name, opts)));
  excludeEachOther(edit, 'coach', 'no-coach');
  examples(edit, ['roster session edit "Spring 2026" --end 2026-07-15', 'roster session edit "Spring 2026" --name "Spring 2026 (A)" --no-coach']);
}

export async function runSessionEdit(ctx: CommandContext, name: string, opts: EditOptions): Promise<void> {
  const { editSession } = await import('../../core/sessions');
  const coach = opts.coach === false ? null : opts.coach;
  const result = await editSession(ctx, name, { name: opts.name, start: opts.start, end: opts.end, coach });
  printEdit(ctx, 'session', `session "${result.session.name}"`, { record: result.session, changes: result.changes });
}
