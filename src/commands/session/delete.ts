import type { Command } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { deleteRecord } from '../../cli/named-record';
import { examples } from '../../cli/options';

export function define(session: Command): void {
  const remove = session
    .command('delete <name>')
    .description('delete a session (asks first; refuses while users are enrolled unless --force); its courses stay')
    .option('--force', 'delete it with its enrolments')
    .action(inContext((ctx, name: string, opts: { force?: boolean }) => runSessionDelete(ctx, name, opts)));
  examples(remove, ['roster session delete "Spring 2026"', 'roster session delete "Spring 2026" --force --yes']);
}

export async function runSessionDelete(ctx: CommandContext, name: string, opts: { force?: boolean }): Promise<void> {
  const { checkSessionDeletable, deleteSession } = await import('../../core/sessions');
  const force = Boolean(opts.force);
  await deleteRecord(ctx, {
    kind: 'session',
    check: () => checkSessionDeletable(ctx, name, force),
    label: (s) => `session "${s.name}"`,
    remove: async () => {
      const { session, unenrolled } = await deleteSession(ctx, name, { force });
      return { record: session, unenrolled };
    },
  });
}
