import type { Command } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { line } from '../../cli/io';
import { examples } from '../../cli/options';

export function define(role: Command): void {
  const list = role
    .command('list')
    .description('each role and how many users hold it')
    .action(inContext((ctx, _opts: unknown) => runRoleList(ctx)));
  examples(list, ['roster role list', 'roster role list --json']);
}

export async function runRoleList(ctx: CommandContext): Promise<void> {
  const { roleCounts } = await import('../../core/role-stats');
  const counts = await roleCounts(ctx);
  if (ctx.json) return line(ctx.io.stdout, JSON.stringify(counts, null, 2));
  const width = Math.max(...counts.map((c) => c.role.length));
  for (const c of counts) line(ctx.io.stdout, `${c.role.padEnd(width)}  ${c.users}`);
}
