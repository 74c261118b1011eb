import { sql, type Insertable, type Kysely, type Transaction } from 'kysely';
import type { RosterDb } from './database';
import { insertMany } from './bulk-insert';
import type { AuditLogRow, AuditLogTable, Database } from './schema';
import { slices } from './chunks';

type Executor = Kysely<Database> | Transaction<Database>;

/** The one writer of the audit log: rows inserted a few hundred at a time, each statement within every engine's limit on parameters. */
export async function insertAuditEntries(db: Executor, entries: readonly Insertable<AuditLogTable>[]): Promise<void> {
  for (const some of slices(entries)) await db.insertInto('audit_log').values(some).execute();
}

/** A batch's audit rows, in the transaction `trx` holds on `db`: the engine's fastest bulk insert. */
export async function insertAuditBatch(db: RosterDb, trx: Executor, entries: readonly Insertable<AuditLogTable>[]): Promise<void> {
  const rows = entries.map((e) => ({ at: e.at, actor: e.actor, action: e.action, user_id: e.user_id ?? null, details: e.details ?? null }));
  await insertMany(db, trx, 'audit_log', AUDIT_COLUMNS, rows);
}

const AUDIT_COLUMNS = ['at', 'actor', 'action', 'user_id', 'details'];

export interface AuditQuery {
  userId?: number;
  action?: string;
  /** Who did it (any case: `--by Alice` finds alice). */
  actor?: string;
  since?: string;
  limit?: number;
}

/** Oldest first; with a limit, the latest `limit` entries (still oldest first). */
export async function queryAudit(db: Executor, query: AuditQuery): Promise<AuditLogRow[]> {
  let q = db
    .selectFrom('audit_log')
    .selectAll()
    .orderBy('id', query.limit === undefined ? 'asc' : 'desc');
  if (query.userId !== undefined) q = q.where('user_id', '=', query.userId);
  if (query.action) {
    // `--action user` matches user.add, user.edit, …; a full name matches itself.
    const action = query.action;
    q = q.where((eb) => eb.or([eb('action', '=', action), eb('action', 'like', `${action}.%`)]));
  }
  // lower() on both sides: ASCII case on SQLite (as NOCASE), all of Unicode on PostgreSQL.
  if (query.actor) q = q.where(sql<string>`lower(actor)`, '=', sql<string>`lower(${query.actor})`);
  if (query.since) q = q.where('at', '>=', query.since);
  if (query.limit === undefined) return q.execute();
  return (await q.limit(query.limit).execute()).reverse();
}

/** The usernames of these user ids (a purged one is missing), a few hundred at a time. */
export async function usernamesOf(db: Executor, ids: readonly number[]): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  for (const some of slices(ids)) {
    const rows = await db.selectFrom('user').select(['id', 'username']).where('id', 'in', some).execute();
    for (const row of rows) names.set(row.id, row.username);
  }
  return names;
}
