import type { Command } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { line } from '../../cli/io';
import { examples } from '../../cli/options';

export function define(config: Command): void {
  const list = config
    .command('list')
    .description('every setting, set or not')
    .action(inContext((ctx, _opts: unknown) => runConfigList(ctx)));
  examples(list, ['roster config list']);
}

export async function runConfigList(ctx: CommandContext): Promise<void> {
  const { listSettings } = await import('../../core/settings');
  const settings = await listSettings(ctx);
  if (ctx.json) return line(ctx.io.stdout, JSON.stringify(settings, null, 2));
  for (const s of settings) line(ctx.io.stdout, `${s.key} = ${s.value ?? '(not set)'}    # ${s.description}`);
}
