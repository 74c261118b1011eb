import type { Command } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { line } from '../../cli/io';
import { examples } from '../../cli/options';

export function define(db: Command): void {
  const migrate = db
    .command('migrate')
    .description('apply the pending schema migrations')
    // Opened as it is, so that the migrations applied here are the ones reported.
    .action(inContext((ctx) => runDbMigrate(ctx), { migrate: false }));
  examples(migrate, ['roster db migrate']);
}

export async function runDbMigrate(ctx: CommandContext): Promise<void> {
  const { migrateToLatest } = await import('../../db/migrator');
  const { applied } = await migrateToLatest(ctx.db);
  if (ctx.json) return line(ctx.io.stdout, JSON.stringify({ applied }, null, 2));
  line(ctx.io.stdout, applied.length ? `applied ${applied.join(', ')}` : 'the schema is up to date; nothing to apply');
}
