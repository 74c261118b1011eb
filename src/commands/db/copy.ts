import type { Command } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { line, warn } from '../../cli/io';
import { examples } from '../../cli/options';

export function define(db: Command): void {
  const copy = db
    .command('copy')
    .description('copy the whole database into a new file or an empty PostgreSQL database (or back), checking the counts')
    .requiredOption('--to <file|url>', 'the target: a file that does not exist yet, or postgres://… of an empty database')
    // The source must exist: copying a mistyped path would copy a new, empty database.
    .action(inContext((ctx, opts: { to: string }) => runDbCopy(ctx, opts), { create: false }));
  examples(copy, [
    "roster db copy --to 'postgres://roster@db.example.org/roster'",
    'roster --db postgres://roster@db.example.org/roster db copy --to /var/lib/roster/roster.db',
  ]);
}

export async function runDbCopy(ctx: CommandContext, opts: { to: string }): Promise<void> {
  const [{ copyInto }, { hasPassword, isPostgresUrl }] = await Promise.all([import('../../db/copy'), import('../../db/reference')]);
  // As for --db: a command line is in the process list, which every user of the host can read.
  if (isPostgresUrl(opts.to) && hasPassword(opts.to))
    warn(ctx.io, 'the password in --to is visible to other users of this host (ps); put it in PGPASSWORD or ~/.pgpass');
  const result = await copyInto(ctx.db, opts.to);
  if (ctx.json) return line(ctx.io.stdout, JSON.stringify(result, null, 2));
  const counts = Object.entries(result.rows).map(([table, n]) => `${n.toLocaleString('en')} ${table}`);
  line(ctx.io.stdout, `copied ${result.from} to ${result.to}: ${counts.join(', ')} (row counts compared on both sides)`);
}
