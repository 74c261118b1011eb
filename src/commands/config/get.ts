import type { Command } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { line } from '../../cli/io';
import { examples } from '../../cli/options';

export function define(config: Command): void {
  const get = config
    .command('get <key>')
    .description('print a setting (exit 3 when it is not set)')
    .action(inContext((ctx, key: string, _opts: unknown) => runConfigGet(ctx, key)));
  examples(get, ['roster config get base-url']);
}

export async function runConfigGet(ctx: CommandContext, key: string): Promise<void> {
  const { requireSetting } = await import('../../core/settings');
  const value = await requireSetting(ctx, key);
  line(ctx.io.stdout, ctx.json ? JSON.stringify({ key, value }) : value);
}
