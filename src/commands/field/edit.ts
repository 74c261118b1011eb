import type { Command } from 'commander';
import { Option } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { line, paint } from '../../cli/io';
import { collectList, examples, requireAnOption } from '../../cli/options';

export function define(field: Command): void {
  const edit = field
    .command('edit <name>')
    .description('change the label, the choices or the type of an extra field, where the values users hold allow it')
    .option('--label <label>', 'the label shown to people')
    .addOption(new Option('--type <type>', 'a new value type (every stored value must fit it)').choices(['text', 'number', 'date', 'boolean', 'choice']))
    .option('--choices <a,b,c>', 'the allowed values of a choice field (every value users hold must stay)', collectList)
    .hook('preAction', (_command, action) => requireAnOption(action.opts(), action))
    .action(inContext((ctx, name: string, opts: { label?: string; type?: string; choices?: string[] }) => runFieldEdit(ctx, name, opts)));
  examples(edit, ['roster field edit campus --choices north,south,east', 'roster field edit cohort --type number --label "Cohort year"']);
}

export async function runFieldEdit(ctx: CommandContext, name: string, opts: { label?: string; type?: string; choices?: string[] }): Promise<void> {
  const [{ editField }, { describeChange }] = await Promise.all([import('../../core/fields'), import('../../cli/describe-change')]);
  const result = await editField(ctx, name, opts);
  if (ctx.json) return line(ctx.io.stdout, JSON.stringify(result, null, 2));
  if (!result.changes.length) return line(ctx.io.stdout, `nothing changed for extra field ${result.field.name}`);
  const rewritten = result.valuesRewritten ? `; ${result.valuesRewritten} stored value(s) rewritten as ${result.field.type}` : '';
  line(ctx.io.stdout, `${paint(ctx.io, 'green', 'changed')} extra field ${result.field.name}: ${result.changes.map(describeChange).join('; ')}${rewritten}`);
}
