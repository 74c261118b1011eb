import type { CommandRegistry } from '../cli/registry';
import { inContext, type CommandContext, type Outcome } from '../cli/context';
import { examples } from '../cli/options';
import { addSelectionOptions, confirmBatch, renderBatch, selectionFromCommand, type BatchCliOptions } from '../cli/selection';

export function register(commands: CommandRegistry): void {
  commands.add('deactivate [users...]', 'disable accounts; their data stays (several users, - for stdin, or the filters of list)', (deactivate) => {
    addSelectionOptions(deactivate, { omit: ['inactive', 'deleted'] });
    deactivate.action(inContext((ctx, users: string[], opts: BatchCliOptions) => runDeactivate(ctx, users, opts)));
    examples(deactivate, [
      'roster deactivate ada bob',
      'roster list --role student --last-login-before 365d --format ids | roster deactivate - --yes',
      'roster deactivate --role student --inactive-since 180d --dry-run',
    ]);
  });
}

export async function runDeactivate(ctx: CommandContext, users: string[], opts: BatchCliOptions): Promise<Outcome> {
  const [{ planBatch, runBatch }, { deactivateAction }] = await Promise.all([import('../core/batch'), import('../core/activation')]);
  const plan = await planBatch(ctx, await selectionFromCommand(ctx, users, opts));
  await confirmBatch(ctx, plan, (who) => `Deactivate ${who}?`, {
    dryRun: opts.dryRun,
    wouldChange: () => runBatch(ctx, plan, deactivateAction(ctx), { dryRun: true, atomic: opts.atomic }),
  });
  const result = await runBatch(ctx, plan, deactivateAction(ctx), { dryRun: opts.dryRun, atomic: opts.atomic });
  return renderBatch(ctx, result, { done: 'deactivated', would: 'deactivate' });
}
