import type { CommandRegistry } from '../cli/registry';
import { inContext, type CommandContext } from '../cli/context';
import { addFilterOptions, addOrderOptions, filterFromOptions } from '../cli/filters';
import { examples } from '../cli/options';
import { addListOutputOptions, renderSelection, type ListOptions } from '../cli/user-list';

export function register(commands: CommandRegistry): void {
  commands.add('list', 'the user list: filter, sort, page; as a table, JSON, CSV, ids or a count', (command) => {
    addFilterOptions(command, { anonymized: true });
    addOrderOptions(command);
    addListOutputOptions(command);
    command.action(inContext((ctx, opts: ListOptions) => runList(ctx, opts)));
    examples(command, [
      'roster list --role teacher --active',
      'roster list --never-logged-in --registered-before 2026-01-01 --format csv > dormant.csv',
      'roster list --fields username,email,lastLogin --sort last-login',
      'roster list --deleted',
      'roster list --field cohort=2026 --format count',
    ]);
  });
}

export async function runList(ctx: CommandContext, opts: ListOptions): Promise<void> {
  await renderSelection(ctx, await filterFromOptions(opts, ctx.now()), opts);
}
