import { Option } from 'commander';
import type { CommandRegistry } from '../cli/registry';
import { inContext } from '../cli/context';
import { line, paint } from '../cli/io';
import { collectList, examples, requireAnOption } from '../cli/options';

export function register(commands: CommandRegistry): void {
  commands.add('field', 'extra profile fields: their definitions', (field) => {
    examples(field, ['roster field add cohort --type number', 'roster field add campus --type choice --choices north,south', 'roster edit ada --field cohort=2026']);
    const add = field
      .command('add <name>')
      .description('define an extra profile field')
      .addOption(new Option('--type <type>', 'value type').choices(['text', 'number', 'date', 'boolean', 'choice']).default('text'))
      .option('--label <label>', 'the label shown to people (default: the name)')
      .option('--choices <a,b,c>', 'the allowed values of a choice field', collectList)
      .action(inContext(async (ctx, name: string, opts: { type: string; label?: string; choices?: string[] }) => {
          const { addField } = await import('../core/fields');
          const created = await addField(ctx, { name, type: opts.type, label: opts.label, choices: opts.choices });
          if (ctx.json) return line(ctx.io.stdout, JSON.stringify(created, null, 2));
          line(ctx.io.stdout, `${paint(ctx.io, 'green', 'added')} extra field ${created.name} (${created.type}${created.choices ? `: ${created.choices.join(', ')}` : ''})`);
        }),
      );
    examples(add, ['roster field add cohort --type number --label "Cohort year"', 'roster field add campus --type choice --choices north,south']);

    const list = field
      .command('list')
      .description('the extra profile fields and how many users have a value')
      .action(inContext(async (ctx, _opts: unknown) => {
          const { listFields } = await import('../core/fields');
          const fields = await listFields(ctx);
          if (ctx.json) return line(ctx.io.stdout, JSON.stringify(fields, null, 2));
          if (!fields.length) return line(ctx.io.stderr, 'no extra fields defined; add one with roster field add <name> --type <type>');
          for (const f of fields) {
            line(ctx.io.stdout, `${f.name}  ${f.type}${f.choices ? ` (${f.choices.join(', ')})` : ''}  "${f.label}"  ${f.users} user(s)`);
          }
        }),
      );
    examples(list, ['roster field list']);

    const edit = field
      .command('edit <name>')
      .description('change the label, the choices or the type of an extra field, where the values users hold allow it')
      .option('--label <label>', 'the label shown to people')
      .addOption(new Option('--type <type>', 'a new value type (every stored value must fit it)').choices(['text', 'number', 'date', 'boolean', 'choice']))
      .option('--choices <a,b,c>', 'the allowed values of a choice field (every value users hold must stay)', collectList)
      .hook('preAction', (_command, action) => requireAnOption(action.opts(), action))
      .action(inContext(async (ctx, name: string, opts: { label?: string; type?: string; choices?: string[] }) => {
          const [{ editField }, { describeChange }] = await Promise.all([import('../core/fields'), import('../cli/describe-change')]);
          const result = await editField(ctx, name, opts);
          if (ctx.json) return line(ctx.io.stdout, JSON.stringify(result, null, 2));
          if (!result.changes.length) return line(ctx.io.stdout, `nothing changed for extra field ${result.field.name}`);
          const rewritten = result.valuesRewritten ? `; ${result.valuesRewritten} stored value(s) rewritten as ${result.field.type}` : '';
          line(ctx.io.stdout, `${paint(ctx.io, 'green', 'changed')} extra field ${result.field.name}: ${result.changes.map(describeChange).join('; ')}${rewritten}`);
        }),
      );
    examples(edit, ['roster field edit campus --choices north,south,east', 'roster field edit cohort --type number --label "Cohort year"']);

    const remove = field
      .command('remove <name>')
      .description('remove an extra field definition (and, with --force, its values)')
      .option('--force', 'remove it even when users have values')
      .action(inContext(async (ctx, name: string, opts: { force?: boolean }) => {
          const { removeField } = await import('../core/fields');
          const result = await removeField(ctx, name, Boolean(opts.force));
          if (ctx.json) return line(ctx.io.stdout, JSON.stringify(result, null, 2));
          line(ctx.io.stdout, `removed extra field ${result.field} and ${result.valuesRemoved} value(s)`);
        }),
      );
    examples(remove, ['roster field remove campus', 'roster field remove cohort --force']);
  });
}
