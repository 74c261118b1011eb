import type { Insertable, Kysely, Transaction } from 'kysely';
import type { AuditLogTable, Database } from '../db/schema';
import { insertAuditBatch, insertAuditEntries, queryAudit, usernamesOf, type AuditQuery } from '../db/audit-repository';
import { parseUserRef, resolveUserId } from '../db/user-repository';
import type { ServiceContext } from './context';
import { nowIso } from './context';
import { NotFoundError, UsageError } from '../shared/errors';

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
  username: string | null;
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
  await insertAuditEntries(trx, [auditRow(ctx, action, userId, details)]);
}

export type Auditor = (action: string, userId: number | null, details?: AuditDetails) => void;

/**
 * The audit rows of a batch chunk, kept until the chunk is written: then one
 * bulk insert (src/db chooses how, per engine), in the chunk's transaction. A user whose change is
 * refused takes its rows back (`truncate` to the mark taken before it).
 */
export class AuditBuffer {
  private rows: Insertable<AuditLogTable>[] = [];

  constructor(private readonly ctx: ServiceContext) {}

  readonly add: Auditor = (action, userId, details) => {
    this.rows.push(auditRow(this.ctx, action, userId, details));
  };

  get length(): number {
    return this.rows.length;
  }

  truncate(length: number): void {
    this.rows.length = length;
  }

  async flush(trx: Transaction<Database>): Promise<void> {
    const rows = this.rows;
    this.rows = [];
    await insertAuditBatch(this.ctx.db, trx, rows);
  }
}

function auditRow(ctx: ServiceContext, action: string, userId: number | null, details?: AuditDetails): Insertable<AuditLogTable> {
  return { at: nowIso(ctx), actor: ctx.actor, action, user_id: userId, details: details ? JSON.stringify(redactSecrets(details)) : null };
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

/** Every action roster records, by family: `--action` takes one of them or a family. */
export const AUDIT_ACTIONS = [
  'user.add',
  'user.edit',
  'user.import',
  'user.activate',
  'user.deactivate',
  'user.expire',
  'user.delete',
  'user.restore',
  'user.purge',
  'user.anonymize',
  'user.login',
  'user.login-as',
  'user.password-upgrade',
  'user.sync',
  'course.add',
  'course.edit',
  'course.delete',
  'course.enroll',
  'course.unenroll',
  'session.add',
  'session.edit',
  'session.delete',
  'session.add-course',
  'session.remove-course',
  'session.enroll',
  'session.unenroll',
  'field.add',
  'field.edit',
  'field.remove',
  'config.set',
  'config.unset',
  'db.backup',
  'mail.sent',
  'mail.failed',
] as const;

/** Refuses an action name roster never writes: `--action nope` would otherwise list nothing, with exit 0. */
export function checkAuditAction(action: string): void {
  const families = new Set(AUDIT_ACTIONS.map((a) => a.split('.')[0]!));
  if ((AUDIT_ACTIONS as readonly string[]).includes(action) || families.has(action)) return;
  throw new UsageError(
    `--action: "${action}" is no action roster records`,
    `use a family (${[...families].join(', ')}) or one of: ${AUDIT_ACTIONS.join(', ')}`,
  );
}

export async function listAudit(ctx: ServiceContext, filter: AuditFilter): Promise<AuditEntry[]> {
  if (filter.action) checkAuditAction(filter.action);
  const query: AuditQuery = { action: filter.action, actor: filter.actor?.trim() || undefined, since: filter.since, limit: filter.limit };
  if (filter.user) {
    // The trail outlives a purged account: id:<n> is accepted even when the user is gone.
    const ref = parseUserRef(filter.user);
    const id = ref?.kind === 'id' ? ref.id : await resolveUserId(ctx.db.kysely, filter.user);
    if (id === undefined) throw new NotFoundError(`no user "${filter.user}"`, 'a user is a username, an email address or id:<number>');
    query.userId = id;
  }
  const rows = await queryAudit(ctx.db.kysely, query);
  const usernames = await usernamesOf(ctx.db.kysely, [...new Set(rows.flatMap((r) => (r.user_id === null ? [] : [r.user_id])))]);
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    actor: r.actor,
    action: r.action,
    userId: r.user_id,
    // The account's username today (null once it is purged).
    username: r.user_id === null ? null : (usernames.get(r.user_id) ?? null),
    details: r.details ? (JSON.parse(r.details) as AuditDetails) : null,
  }));
}
