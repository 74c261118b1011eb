import type { RosterDb } from './database';
import { sqliteOnly } from './sqlite-only';

/**
 * What a GDPR erasure (anonymize, purge) needs beyond ordinary updates, so
 * that the erased values are gone from the file itself and not only from
 * queries. Freed space is zeroed on every connection (secure_delete = ON)
 * and the search index removes entries at once (FTS5 secure-delete, set by
 * migration 0005); what is left is the write-ahead log, which still holds
 * the old page images, and the backups taken before.
 */
export interface Eraser {
  /** After the erasure: copy the write-ahead log into the database and empty it. */
  flushLog(): { complete: boolean };
  /** The backups recorded in the audit log (db backup audits each one): they may still hold the erased data. */
  backupsTaken(): BackupsTaken;
}

export interface BackupsTaken {
  /** The latest ones, newest first. */
  files: { file: string; at: string }[];
  /** How many more there are (see roster audit --action db.backup). */
  more: number;
}

const LISTED_BACKUPS = 20;

export function eraser(rosterDb: RosterDb): Eraser {
  const db = sqliteOnly(rosterDb, 'anonymize and purge');
  const backups = db.raw.prepare(`SELECT at, details FROM audit_log WHERE action = 'db.backup' ORDER BY id DESC`);
  let taken: BackupsTaken | undefined;
  return {
    flushLog() {
      const [row] = db.raw.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
      return { complete: !row || (row.busy === 0 && row.log === row.checkpointed) };
    },
    // Every backup, whatever the dates say (a registration date can be anything an import gave).
    backupsTaken() {
      if (taken) return taken;
      const rows = backups.all() as { at: string; details: string | null }[];
      const files = rows.slice(0, LISTED_BACKUPS).map((r) => ({ file: String((JSON.parse(r.details ?? '{}') as { file?: unknown }).file ?? ''), at: r.at }));
      return (taken = { files, more: Math.max(0, rows.length - LISTED_BACKUPS) });
    },
  };
}
