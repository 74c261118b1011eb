import type { CommandRegistry } from '../cli/registry';
import { inContext, type CommandContext, type Outcome } from '../cli/context';
import { warn } from '../cli/io';
import { examples } from '../cli/options';
import { addSelectionOptions, confirmBatch, renderBatch, selectionFromCommand, type BatchCliOptions } from '../cli/selection';

export function register(commands: CommandRegistry): void {
  commands.add(
    'anonymize [users...]',
    'GDPR erasure: replace the personal data of accounts with neutral values, for good (enrolments and courses stay)',
    (anonymize) => {
      addSelectionOptions(anonymize);
      anonymize.action(inContext((ctx, users: string[], opts: BatchCliOptions) => runAnonymize(ctx, users, opts)));
      examples(anonymize, ['roster anonymize bob', 'roster anonymize id:42 --yes --json']);
    },
  );
}

export async function runAnonymize(ctx: CommandContext, users: string[], opts: BatchCliOptions): Promise<Outcome> {
  const [{ planBatch, runBatch, withoutRefused }, { anonymizeAction, anonymizeUsers, assertAnonymizable }] = await Promise.all([
    import('../core/batch'),
    import('../core/anonymize'),
  ]);
  const plan = withoutRefused(await planBatch(ctx, await selectionFromCommand(ctx, users, opts)), assertAnonymizable);
  await confirmBatch(
    ctx,
    plan,
    (who) => `Anonymize ${who} for good (names, username, email, official code, phone, picture, extra fields and password are erased; this cannot be undone)?`,
    {
      always: true,
      dryRun: opts.dryRun,
      wouldChange: () => runBatch(ctx, plan, anonymizeAction(ctx), { dryRun: true, atomic: opts.atomic }),
    },
  );
  const result = await anonymizeUsers(ctx, plan, { dryRun: opts.dryRun, atomic: opts.atomic });
  const outcome = await renderBatch(ctx, result, { done: 'anonymized', would: 'anonymize', unchanged: 'already anonymized' });
  if (result.leftover) warn(ctx.io, result.leftover);
  return outcome;
}
