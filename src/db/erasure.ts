import { sql, type Transaction } from 'kysely';
import type { RosterDb } from './database';
import type { Database } from './schema';

/**
 * What a GDPR erasure (anonymize, purge) needs beyond ordinary updates, so
 * that the erased values are gone from storage and not only from queries.
 *
 * SQLite: freed space is zeroed on every connection (secure_delete = ON) and
 * the search index removes entries at once (FTS5 secure-delete, set by
 * migration 0005); what is left is the write-ahead log, which still holds
 * the old page images, and the backups taken before.
 *
 * PostgreSQL keeps the old row versions (dead tuples) until VACUUM reclaims
 * them; its write-ahead log, WAL archives, replicas and dumps hold them
 * beyond roster's reach (README, "Running on PostgreSQL").
 */
export interface Eraser {
  /**
   * After the erasure: SQLite copies the write-ahead log into the database
   * and empties it; PostgreSQL vacuums the tables that held the values.
   * Returns what still holds the erased values when that could not be done
   * (another process kept the log, no right to vacuum), else undefined.
   */
  flushLog(): Promise<string | undefined>;
  /** The backups recorded in the audit log (db backup audits each one): they may still hold the erased data. Read in `trx`. */
  backupsTaken(trx: Transaction<Database>): Promise<BackupsTaken>;
}

export interface BackupsTaken {
  /** The latest ones, newest first. */
  files: { file: string; at: string }[];
  /** How many more there are (see roster audit --action db.backup). */
  more: number;
}

const LISTED_BACKUPS = 20;

/** The tables an erasure changes: their dead row versions are what VACUUM removes. */
const ERASED_TABLES = ['user', 'user_extra_value', 'login_token', 'audit_log'];

export function eraser(db: RosterDb): Eraser {
  let taken: BackupsTaken | undefined;
  return {
    async flushLog() {
      if (db.engine === 'sqlite') {
        const [row] = db.raw.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
        if (!row || (row.busy === 0 && row.log === row.checkpointed)) return undefined;
        return `another process kept the database busy, so its write-ahead log (${db.path}-wal) may still hold the erased values until the next checkpoint`;
      }
      try {
        // PostgreSQL skips the tables of other owners with a mere warning, which no error reports: ask first.
        const { others } = await db.kysely
          .selectFrom('pg_class' as never)
          .select(sql<number>`count(*) FILTER (WHERE NOT pg_has_role(relowner, 'USAGE'))`.as('others'))
          .where(sql.ref('relname'), 'in', ERASED_TABLES)
          .where(sql<boolean>`relnamespace = current_schema()::regnamespace`)
          .executeTakeFirstOrThrow();
        if (Number(others) > 0) {
          return `VACUUM needs the owner of the tables, which this role is not, so old row versions may still hold the erased values until autovacuum reclaims them; their owner can run VACUUM "user", user_extra_value, login_token, audit_log`;
        }
        // Outside any transaction (VACUUM cannot run in one), after the erasure committed.
        await sql`VACUUM ${sql.join(ERASED_TABLES.map((t) => sql.table(t)))}`.execute(db.kysely);
        return undefined;
      } catch (error) {
        // Not the tables' owner: the erasure stands; autovacuum reclaims the old versions later.
        return `VACUUM failed (${(error as Error).message}), so old row versions may still hold the erased values until autovacuum reclaims them`;
      }
    },
    // Every backup, whatever the dates say (a registration date can be anything an import gave).
    async backupsTaken(trx) {
      if (taken) return taken;
      const rows = await trx.selectFrom('audit_log').select(['at', 'details']).where('action', '=', 'db.backup').orderBy('id', 'desc').execute();
      const files = rows.slice(0, LISTED_BACKUPS).map((r) => ({ file: String((JSON.parse(r.details ?? '{}') as { file?: unknown }).file ?? ''), at: r.at }));
      return (taken = { files, more: Math.max(0, rows.length - LISTED_BACKUPS) });
    },
  };
}
