import type { Command } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { line } from '../../cli/io';
import { examples } from '../../cli/options';

export function define(config: Command): void {
  const unset = config
    .command('unset <key>')
    .description('remove a setting')
    .action(inContext((ctx, key: string, _opts: unknown) => runConfigUnset(ctx, key)));
  examples(unset, ['roster config unset base-url']);
}

export async function runConfigUnset(ctx: CommandContext, key: string): Promise<void> {
  const { setSetting } = await import('../../core/settings');
  const change = await setSetting(ctx, key, null);
  if (ctx.json) return line(ctx.io.stdout, JSON.stringify(change, null, 2));
  line(ctx.io.stdout, change.before === null ? `${key} was not set` : `${key}: ${change.before} → (not set)`);
}
