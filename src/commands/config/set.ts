import type { Command } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { line } from '../../cli/io';
import { examples } from '../../cli/options';

export function define(config: Command): void {
  const set = config
    .command('set <key> <value>')
    .description('set a setting')
    .action(inContext((ctx, key: string, value: string, _opts: unknown) => runConfigSet(ctx, key, value)));
  examples(set, [
    'roster config set base-url https://campus.example.org/',
    "roster config set base-url 'https://campus.example.org/login?as={user}&token={token}'",
    "roster config set mail.command '/usr/sbin/sendmail -t'",
    "roster config set mail.from 'Campus <noreply@campus.example.org>'",
  ]);
}

export async function runConfigSet(ctx: CommandContext, key: string, value: string): Promise<void> {
  const { setSetting } = await import('../../core/settings');
  const change = await setSetting(ctx, key, value);
  if (ctx.json) return line(ctx.io.stdout, JSON.stringify(change, null, 2));
  line(ctx.io.stdout, change.before === change.after ? `${key} is already ${change.after}` : `${key}: ${change.before ?? '(not set)'} → ${change.after}`);
}
