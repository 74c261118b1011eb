import type { CommandRegistry } from '../cli/registry';
import { inContext, type CommandContext, type Outcome } from '../cli/context';
import { examples } from '../cli/options';
import { addSelectionOptions, confirmBatch, renderBatch, selectionFromCommand, type BatchCliOptions } from '../cli/selection';

export interface ActivateOptions extends BatchCliOptions {
  expires?: string;
}

export function register(commands: CommandRegistry): void {
  commands.add('activate [users...]', 're-enable accounts (several users, - for stdin, or the filters of list)', (activate) => {
    activate.option('--expires <date|+duration|never>', 'also set a new expiration date, or this long from now (+90d); needed when it has passed');
    addSelectionOptions(activate, { omit: ['active', 'deleted'] });
    activate.action(inContext((ctx, users: string[], opts: ActivateOptions) => runActivate(ctx, users, opts)));
    examples(activate, ['roster activate ada', 'roster activate ada --expires 2027-06-30', 'roster activate --inactive --role teacher --yes']);
  });
}

export async function runActivate(ctx: CommandContext, users: string[], opts: ActivateOptions): Promise<Outcome> {
  const [{ planBatch, runBatch }, { activateAction }, { parseExpiry, resolveRelativeExpiry }] = await Promise.all([
    import('../core/batch'),
    import('../core/activation'),
    import('../core/time'),
  ]);
  const expiresAt = opts.expires === undefined ? undefined : parseExpiry(resolveRelativeExpiry(opts.expires, '--expires', ctx.now()), '--expires');
  const plan = await planBatch(ctx, await selectionFromCommand(ctx, users, opts));
  const action = () => activateAction(ctx, { expiresAt });
  await confirmBatch(ctx, plan, (who) => `Activate ${who}?`, {
    dryRun: opts.dryRun,
    wouldChange: () => runBatch(ctx, plan, action(), { dryRun: true, atomic: opts.atomic }),
  });
  const result = await runBatch(ctx, plan, action(), { dryRun: opts.dryRun, atomic: opts.atomic });
  // The date as --expires resolved it (+90d, a bare date's last minute): the person sees what was set.
  const object =
    expiresAt === undefined ? undefined : expiresAt === null ? 'with no expiration' : `with the expiration ${expiresAt.slice(0, 16).replace('T', ' ')} UTC`;
  return renderBatch(ctx, result, { done: 'activated', would: 'activate', object });
}
