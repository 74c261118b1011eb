import type { Command } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { line } from '../../cli/io';
import { examples } from '../../cli/options';

export function define(db: Command): void {
  const backup = db
    .command('backup <file>')
    .description('an online, consistent snapshot of the database (others may keep writing)')
    .option('--force', 'replace the file if it exists')
    .action(inContext((ctx, file: string, opts: { force?: boolean }) => runDbBackup(ctx, file, opts)));
  examples(backup, ['roster db backup /var/backups/roster-$(date +%F).db']);
}

export async function runDbBackup(ctx: CommandContext, file: string, opts: { force?: boolean }): Promise<void> {
  const [{ backupDatabase }, { audit }] = await Promise.all([import('../../db/backup'), import('../../core/audit')]);
  const result = await backupDatabase(ctx.db, file, { force: opts.force });
  // Recorded, so that an erasure can name the copies that still hold the erased data.
  await audit(ctx.db.kysely, ctx, 'db.backup', null, { file: result.file, bytes: result.bytes });
  if (ctx.json) return line(ctx.io.stdout, JSON.stringify(result, null, 2));
  line(ctx.io.stdout, `backed up ${ctx.db.location} to ${result.file} (${result.bytes} bytes)`);
}
