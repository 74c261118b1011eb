import type { Command } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { line } from '../../cli/io';
import { examples } from '../../cli/options';

export function define(field: Command): void {
  const remove = field
    .command('remove <name>')
    .description('remove an extra field definition (and, with --force, its values)')
    .option('--force', 'remove it even when users have values')
    .action(inContext((ctx, name: string, opts: { force?: boolean }) => runFieldRemove(ctx, name, opts)));
  examples(remove, ['roster field remove campus', 'roster field remove cohort --force']);
}

export async function runFieldRemove(ctx: CommandContext, name: string, opts: { force?: boolean }): Promise<void> {
  const { removeField } = await import('../../core/fields');
  const result = await removeField(ctx, name, Boolean(opts.force));
  if (ctx.json) return line(ctx.io.stdout, JSON.stringify(result, null, 2));
  line(ctx.io.stdout, `removed extra field ${result.field} and ${result.valuesRemoved} value(s)`);
}
