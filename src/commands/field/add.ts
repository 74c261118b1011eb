import type { Command } from 'commander';
import { Option } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { line, paint } from '../../cli/io';
import { collectList, examples } from '../../cli/options';

export function define(field: Command): void {
  const add = field
    .command('add <name>')
    .description('define an extra profile field')
    .addOption(new Option('--type <type>', 'value type').choices(['text', 'number', 'date', 'boolean', 'choice']).default('text'))
    .option('--label <label>', 'the label shown to people (default: the name)')
    .option('--choices <a,b,c>', 'the allowed values of a choice field', collectList)
    .action(inContext((ctx, name: string, opts: { type: string; label?: string; choices?: string[] }) => runFieldAdd(ctx, name, opts)));
  examples(add, ['roster field add cohort --type number --label "Cohort year"', 'roster field add campus --type choice --choices north,south']);
}

export async function runFieldAdd(ctx: CommandContext, name: string, opts: { type: string; label?: string; choices?: string[] }): Promise<void> {
  const { addField } = await import('../../core/fields');
  const created = await addField(ctx, { name, type: opts.type, label: opts.label, choices: opts.choices });
  if (ctx.json) return line(ctx.io.stdout, JSON.stringify(created, null, 2));
  line(
    ctx.io.stdout,
    `${paint(ctx.io, 'green', 'added')} extra field ${created.name} (${created.type}${created.choices ? `: ${created.choices.join(', ')}` : ''})`,
  );
}
