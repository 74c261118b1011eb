import type { CommandRegistry } from '../cli/registry';
import { inContext, type CommandContext, type Outcome } from '../cli/context';
import { examples } from '../cli/options';
import { addSelectionOptions, confirmBatch, renderBatch, type BatchCliOptions } from '../cli/selection';
import { deletedView } from '../cli/deleted-users';

export function register(commands: CommandRegistry): void {
  commands.add('restore [users...]', 'bring soft-deleted accounts back as they were', (restore) => {
    addSelectionOptions(restore, { omit: ['deleted'] });
    restore.action(inContext((ctx, users: string[], opts: BatchCliOptions) => runRestore(ctx, users, opts)));
    examples(restore, ['roster restore bob', 'roster restore --role teacher --yes']);
  });
}

export async function runRestore(ctx: CommandContext, users: string[], opts: BatchCliOptions): Promise<Outcome> {
  const [{ planBatch, runBatch }, { restoreAction }] = await Promise.all([import('../core/batch'), import('../core/deletion')]);
  const plan = await planBatch(ctx, await deletedView(ctx, users, opts));
  await confirmBatch(ctx, plan, (who) => `Restore ${who}?`, {
    dryRun: opts.dryRun,
    wouldChange: () => runBatch(ctx, plan, restoreAction(), { dryRun: true, atomic: opts.atomic }),
  });
  const result = await runBatch(ctx, plan, restoreAction(), { dryRun: opts.dryRun, atomic: opts.atomic });
  return renderBatch(ctx, result, { done: 'restored', would: 'restore', unchanged: 'not deleted' });
}
