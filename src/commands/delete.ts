import type { CommandRegistry } from '../cli/registry';
import { inContext, type CommandContext, type Outcome } from '../cli/context';
import { examples } from '../cli/options';
import { addSelectionOptions, confirmBatch, renderBatch, selectionFromCommand, type BatchCliOptions } from '../cli/selection';
import { warnOwnedCourses } from '../cli/deleted-users';

export function register(commands: CommandRegistry): void {
  commands.add(
    'delete [users...]',
    'soft-delete accounts: they leave list and search and cannot log in, but keep their data (restore brings them back)',
    (del) => {
      addSelectionOptions(del, { omit: ['deleted'] });
      del.action(inContext((ctx, users: string[], opts: BatchCliOptions) => runDelete(ctx, users, opts)));
      examples(del, ['roster delete bob --yes', 'roster delete --role student --registered-before 2020-01-01 --dry-run', 'roster list --deleted']);
    },
  );
}

export async function runDelete(ctx: CommandContext, users: string[], opts: BatchCliOptions): Promise<Outcome> {
  const [{ planBatch, runBatch, withoutRefused }, { assertDeletable, deleteAction }] = await Promise.all([import('../core/batch'), import('../core/deletion')]);
  const plan = withoutRefused(await planBatch(ctx, await selectionFromCommand(ctx, users, opts)), assertDeletable);
  await warnOwnedCourses(
    ctx,
    plan,
    'courses and coached sessions stay with them while deleted; a purge hands them to the fallback user (or to --reassign-to <user>)',
  );
  await confirmBatch(ctx, plan, (who) => `Delete ${who} (roster restore undoes it)?`, {
    always: true,
    dryRun: opts.dryRun,
    wouldChange: () => runBatch(ctx, plan, deleteAction(ctx), { dryRun: true, atomic: opts.atomic }),
  });
  const result = await runBatch(ctx, plan, deleteAction(ctx), { dryRun: opts.dryRun, atomic: opts.atomic });
  return renderBatch(ctx, result, { done: 'deleted', would: 'delete', unchanged: 'already deleted' });
}
