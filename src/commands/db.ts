import type { CommandRegistry } from '../cli/registry';
import { inContext } from '../cli/context';
import { line, warn } from '../cli/io';
import { examples } from '../cli/options';

export function register(commands: CommandRegistry): void {
  commands.add('db', 'the database: schema migrations and backups', (db) => {
    examples(db, ['roster db status', 'roster db backup /var/backups/roster.db']);
    const status = db
      .command('status')
      .description('applied and pending schema migrations')
      .action(
        inContext(
          async (ctx) => {
            const { migrationStatus } = await import('../db/migrator');
            const states = await migrationStatus(ctx.db);
            if (ctx.json) return line(ctx.io.stdout, JSON.stringify({ database: ctx.db.location, migrations: states }, null, 2));
            line(ctx.io.stdout, `database: ${ctx.db.location}`);
            for (const s of states) line(ctx.io.stdout, `${s.appliedAt ? 'applied' : 'pending'}  ${s.name}${s.appliedAt ? `  ${s.appliedAt}` : ''}`);
          },
          { migrate: false },
        ),
      );
    examples(status, ['roster db status']);

    const migrate = db
      .command('migrate')
      .description('apply the pending schema migrations')
      .action(
        inContext(
          async (ctx) => {
            const { migrateToLatest } = await import('../db/migrator');
            const { applied } = await migrateToLatest(ctx.db);
            if (ctx.json) return line(ctx.io.stdout, JSON.stringify({ applied }, null, 2));
            line(ctx.io.stdout, applied.length ? `applied ${applied.join(', ')}` : 'the schema is up to date; nothing to apply');
          },
          { migrate: false },
        ),
      );
    examples(migrate, ['roster db migrate']);

    const backup = db
      .command('backup <file>')
      .description('an online, consistent snapshot of the database (others may keep writing)')
      .option('--force', 'replace the file if it exists')
      .action(inContext(async (ctx, file: string, opts: { force?: boolean }) => {
          const [{ backupDatabase }, { audit }] = await Promise.all([import('../db/backup'), import('../core/audit')]);
          const result = await backupDatabase(ctx.db, file, { force: opts.force });
          // Recorded, so that an erasure can name the copies that still hold the erased data.
          await audit(ctx.db.kysely, ctx, 'db.backup', null, { file: result.file, bytes: result.bytes });
          if (ctx.json) return line(ctx.io.stdout, JSON.stringify(result, null, 2));
          line(ctx.io.stdout, `backed up ${ctx.db.location} to ${result.file} (${result.bytes} bytes)`);
        }),
      );
    examples(backup, ['roster db backup /var/backups/roster-$(date +%F).db']);

    const copy = db
      .command('copy')
      .description('copy the whole database into a new file or an empty PostgreSQL database (or back), checking the counts')
      .requiredOption('--to <file|url>', 'the target: a file that does not exist yet, or postgres://… of an empty database')
      .action(inContext(async (ctx, opts: { to: string }) => {
          const [{ copyInto }, { hasPassword, isPostgresUrl }] = await Promise.all([import('../db/copy'), import('../db/reference')]);
          // As for --db: a command line is in the process list, which every user of the host can read.
          if (isPostgresUrl(opts.to) && hasPassword(opts.to)) warn(ctx.io, 'the password in --to is visible to other users of this host (ps); put it in PGPASSWORD or ~/.pgpass');
          const result = await copyInto(ctx.db, opts.to);
          if (ctx.json) return line(ctx.io.stdout, JSON.stringify(result, null, 2));
          const counts = Object.entries(result.rows).map(([table, n]) => `${n.toLocaleString('en')} ${table}`);
          line(ctx.io.stdout, `copied ${result.from} to ${result.to}: ${counts.join(', ')} (row counts compared on both sides)`);
        }),
      );
    examples(copy, ["roster db copy --to 'postgres://roster@db.example.org/roster'", 'roster --db postgres://roster@db.example.org/roster db copy --to /var/lib/roster/roster.db']);
  });
}
