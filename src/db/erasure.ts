import type { RosterDb } from './database';

/**
 * What a GDPR erasure needs of SQLite beyond ordinary updates, so that the
 * erased values are gone from the file itself and not only from queries.
 */
export interface Eraser {
  /** Inside the erasing transaction: search-index entries are removed, not shadowed by delete markers. */
  withSecureIndex<T>(run: () => T): T;
  /** After the erasure: copy the write-ahead log into the database and empty it (it holds old page images). */
  flushLog(): { complete: boolean };
}

export function eraser(db: RosterDb): Eraser {
  // Freed space, freelist and overflow pages included, is overwritten with zeros (this connection only).
  db.raw.pragma('secure_delete = ON');
  // FTS5 keeps deleted entries in older segments until they are merged; secure-delete removes them at once.
  // (The value must be an SQL integer literal: a bound JavaScript number arrives as a real, which FTS5 rejects.)
  const secureOn = db.raw.prepare(`INSERT INTO user_search(user_search, rank) VALUES ('secure-delete', 1)`);
  const secureOff = db.raw.prepare(`INSERT INTO user_search(user_search, rank) VALUES ('secure-delete', 0)`);
  return {
    withSecureIndex(run) {
      secureOn.run();
      try {
        return run();
      } finally {
        // Set and reset in the same transaction: other connections never see it set.
        secureOff.run();
      }
    },
    flushLog() {
      const [row] = db.raw.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
      return { complete: !row || (row.busy === 0 && row.log === row.checkpointed) };
    },
  };
}
