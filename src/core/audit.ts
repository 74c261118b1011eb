import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema';
import { insertAuditEntry, prepareAuditInsert, queryAudit, type AuditQuery } from '../db/audit-repository';
import { parseUserRef, resolveUserId } from '../db/user-repository';
import type { ServiceContext } from './context';
import { nowIso } from './context';
import { NotFoundError } from './errors';

/** A field's value before and after a change. Secret fields record only that they changed. */
export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
  secret?: boolean;
  /** The values were personal data of an account since anonymized, and were erased. */
  erased?: boolean;
}

export interface AuditDetails {
  changes?: FieldChange[];
  [key: string]: unknown;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  userId: number | null;
  details: AuditDetails | null;
}

/** Writes one audit row; call it inside the transaction of the change it records. */
export async function audit(
  trx: Kysely<Database> | Transaction<Database>,
  ctx: ServiceContext,
  action: string,
  userId: number | null,
  details?: AuditDetails,
): Promise<void> {
  await insertAuditEntry(trx, {
    at: nowIso(ctx),
    actor: ctx.actor,
    action,
    user_id: userId,
    details: details ? JSON.stringify(redactSecrets(details)) : null,
  });
}

export type SyncAuditor = (action: string, userId: number | null, details?: AuditDetails) => void;

/** The synchronous twin of audit(), with its statement prepared once, for batches and imports. */
export function batchAuditor(ctx: ServiceContext): SyncAuditor {
  const insert = prepareAuditInsert(ctx.db);
  return (action, userId, details) => {
    insert.run({
      at: nowIso(ctx),
      actor: ctx.actor,
      action,
      user_id: userId,
      details: details ? JSON.stringify(redactSecrets(details)) : null,
    });
  };
}

/** Never a password or hash in the log, whatever the caller passed. */
function redactSecrets(details: AuditDetails): AuditDetails {
  if (!details.changes) return details;
  return {
    ...details,
    changes: details.changes.map((c) => (c.secret ? { field: c.field, before: null, after: null, secret: true } : c)),
  };
}

export interface AuditFilter {
  user?: string;
  action?: string;
  actor?: string;
  since?: string;
  limit?: number;
}

export async function listAudit(ctx: ServiceContext, filter: AuditFilter): Promise<AuditEntry[]> {
  const query: AuditQuery = { action: filter.action, actor: filter.actor?.trim() || undefined, since: filter.since, limit: filter.limit };
  if (filter.user) {
    // The trail outlives a purged account: id:<n> is accepted even when the user is gone.
    const ref = parseUserRef(filter.user);
    const id = ref?.kind === 'id' ? ref.id : await resolveUserId(ctx.db.kysely, filter.user);
    if (id === undefined) throw new NotFoundError(`no user "${filter.user}"`, 'a user is a username, an email address or id:<number>');
    query.userId = id;
  }
  const rows = await queryAudit(ctx.db.kysely, query);
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    actor: r.actor,
    action: r.action,
    userId: r.user_id,
    details: r.details ? (JSON.parse(r.details) as AuditDetails) : null,
  }));
}
