import type { Command } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { line } from '../../cli/io';
import { examples } from '../../cli/options';

export function define(db: Command): void {
  const status = db
    .command('status')
    .description('applied and pending schema migrations')
    // Opened as it is: status shows the pending migrations rather than applying them, and a
    // mistyped path is an error rather than a new file.
    .action(inContext((ctx) => runDbStatus(ctx), { migrate: false, create: false }));
  examples(status, ['roster db status']);
}

export async function runDbStatus(ctx: CommandContext): Promise<void> {
  const { migrationStatus } = await import('../../db/migrator');
  const states = await migrationStatus(ctx.db);
  if (ctx.json) return line(ctx.io.stdout, JSON.stringify({ database: ctx.db.location, migrations: states }, null, 2));
  line(ctx.io.stdout, `database: ${ctx.db.location}`);
  for (const s of states) line(ctx.io.stdout, `${s.appliedAt ? 'applied' : 'pending'}  ${s.name}${s.appliedAt ? `  ${s.appliedAt}` : ''}`);
}
