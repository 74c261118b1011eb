import type { Command } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { line } from '../../cli/io';
import { examples } from '../../cli/options';

export function define(field: Command): void {
  const list = field
    .command('list')
    .description('the extra profile fields and how many users have a value')
    .action(inContext((ctx, _opts: unknown) => runFieldList(ctx)));
  examples(list, ['roster field list']);
}

export async function runFieldList(ctx: CommandContext): Promise<void> {
  const { listFields } = await import('../../core/fields');
  const fields = await listFields(ctx);
  if (ctx.json) return line(ctx.io.stdout, JSON.stringify(fields, null, 2));
  if (!fields.length) return line(ctx.io.stderr, 'no extra fields defined; add one with roster field add <name> --type <type>');
  for (const f of fields) {
    line(ctx.io.stdout, `${f.name}  ${f.type}${f.choices ? ` (${f.choices.join(', ')})` : ''}  "${f.label}"  ${f.users} user(s)`);
  }
}
