import { eraser } from '../db/erasure';
import * as erasure from '../db/erasure-repository';
import { AdminGuard } from './admin-guard';
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema';
import type { AuditDetails } from './audit';
import { runBatch, type BatchOptions, type BatchPlan, type BatchResult, type BatchStep, type Outcome, type TargetUser } from './batch';
import { nowIso, type ServiceContext } from './context';
import { ConflictError } from '../shared/errors';
import { foldedKey, identityKey } from '../shared/folding';

/** Audit fields that hold personal data: their values are erased from the history of an anonymized user. */
const PERSONAL_FIELDS = new Set(['username', 'email', 'firstname', 'lastname', 'official_code', 'phone', 'picture', 'password']);
const ERASED = ['username', 'email', 'firstname', 'lastname', 'official_code', 'phone', 'picture', 'password', 'extra fields', 'login tokens'];
export const REDACTED = '[anonymized]';

export function isPersonalField(field: string): boolean {
  return PERSONAL_FIELDS.has(field) || field.startsWith('extra.');
}

/** The neutral identity of an anonymized account: unique like the one it replaces. */
export function anonymousIdentity(id: number, attempt = 0): { username: string; email: string } {
  const username = `anonymous-${id}${attempt ? `-${attempt + 1}` : ''}`;
  return { username, email: `${username}@anonymized.invalid` };
}

/**
 * Erases the personal values from one audit entry's details: the before and
 * after of personal fields become null, and any text that contains a known
 * personal value (a name in a login-as reason) has it replaced. Returns the
 * details unchanged (same object) when there was nothing to erase.
 */
export function scrubAuditDetails(details: AuditDetails, personal: readonly string[]): AuditDetails {
  const patterns = personalPatterns(personal);
  const exact = new Set(personal.map((p) => p.trim().toLowerCase()));
  let touched = false;
  const scrub = (value: unknown): unknown => {
    if (typeof value === 'string') {
      // A date is one value: erased when it is itself personal (a birthday), never cut into
      // (an official code 2027 is not the year of 2027-06-30).
      const next = ISO_DATE.test(value)
        ? exact.has(value.toLowerCase())
          ? REDACTED
          : value
        : patterns.reduce((text, pattern) => text.replace(pattern, REDACTED), value);
      if (next !== value) touched = true;
      return next;
    }
    if (Array.isArray(value)) return value.map(scrub);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v)]));
    return value;
  };
  const result: AuditDetails = {};
  for (const [key, value] of Object.entries(details)) {
    if (key === 'changes' && Array.isArray(value)) {
      result.changes = value.map((change: { field: string; before: unknown; after: unknown }) => {
        if (!isPersonalField(String(change.field)) || (change.before === null && change.after === null)) return scrub(change) as typeof change;
        touched = true;
        return { ...change, before: null, after: null, erased: true };
      });
    } else result[key] = scrub(value);
  }
  return touched ? result : details;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** Whole-word, case-insensitive matchers for each personal value (longest first). */
function personalPatterns(personal: readonly string[]): RegExp[] {
  const values = [...new Set(personal.map((p) => p.trim()).filter((p) => p.length >= 2))].sort((a, b) => b.length - a.length);
  return values.map((v) => new RegExp(`(?<![\\p{L}\\p{N}])${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}])`, 'giu'));
}

/** The personal values of an account as stored now, and as its audit history recorded them before. */
async function personalValues(
  trx: Transaction<Database>,
  userId: number,
  row: erasure.PersonalData | undefined,
  history: { details: AuditDetails }[],
): Promise<string[]> {
  const values: string[] = [];
  const add = (v: unknown) => {
    if (typeof v === 'string') values.push(v);
    else if (typeof v === 'number') values.push(String(v));
  };
  if (row) {
    Object.values(row).forEach(add);
    add(`${row.firstname} ${row.lastname}`);
    add(`${row.lastname} ${row.firstname}`);
  }
  for (const { value, type } of await erasure.extraValuesOf(trx, userId)) if (type !== 'boolean') add(value);
  for (const { details } of history) {
    for (const change of details.changes ?? []) {
      if (isPersonalField(change.field) && !change.secret) {
        add(change.before);
        add(change.after);
      }
    }
  }
  return values;
}

/**
 * Erases a person's values from the audit trail: from their own entries,
 * and from the course and session entries that name them as owner or coach.
 * Called before the account row changes (anonymize) or goes (purge), while
 * its values can still be read. Returns how many entries were changed.
 */
export async function eraseFromAuditTrail(trx: Transaction<Database>, userId: number): Promise<number> {
  const parse = (rows: { id: number; details: string }[]) => rows.map((r) => ({ id: r.id, details: JSON.parse(r.details) as AuditDetails }));
  const history = parse(await erasure.auditEntriesOf(trx, userId));
  const row = await erasure.personalDataOf(trx, userId);
  const personal = await personalValues(trx, userId, row, history);
  const mentions = row ? parse(await erasure.mentionsOf(trx, row.username)) : [];
  let scrubbed = 0;
  for (const entry of [...history, ...mentions]) {
    const clean = scrubAuditDetails(entry.details, personal);
    if (clean === entry.details) continue;
    await erasure.setAuditDetails(trx, entry.id, JSON.stringify(clean));
    scrubbed++;
  }
  return scrubbed;
}

export function assertAnonymizable(user: TargetUser): void {
  if (user.is_system) throw new ConflictError(`${user.username} is the system fallback account; it cannot be anonymized`);
}

/**
 * GDPR erasure of one account: personal data replaced by neutral values that
 * keep the uniqueness constraints, extra values and tokens removed, the
 * account deactivated, and the personal values erased from its earlier audit
 * entries. Enrolments and owned courses stay. The fallback user and the last
 * active admin are refused.
 */
export function anonymizeAction(ctx: ServiceContext) {
  const erase = eraser(ctx.db);
  const now = nowIso(ctx);
  // Which users of a chunk are admins: read once per chunk.
  const guard = new AdminGuard(nowIso(ctx));
  return {
    readChunk: (users: readonly TargetUser[], trx: Transaction<Database>) =>
      guard.load(
        trx,
        users.map((u) => u.id),
      ),
    eraser: erase,
    async apply(user: TargetUser, { trx, audit: auditLog }: BatchStep): Promise<Outcome> {
      assertAnonymizable(user);
      if (user.anonymized_at) return 'unchanged';
      await guard.assert(trx, user, 'anonymize it', 'give another account the admin role first, then anonymize this one');
      const scrubbed = await eraseFromAuditTrail(trx, user.id);
      const identity = await freeIdentity(trx, user.id);
      await erasure.anonymizeAccount(
        trx,
        user.id,
        {
          username: identity.username,
          username_key: identityKey(identity.username),
          username_fold_key: foldedKey(identity.username),
          email: identity.email,
          email_key: identityKey(identity.email),
          email_fold_key: foldedKey(identity.email),
          firstname: 'Anonymous',
          lastname: 'User',
          // The folded copies too: the real name must not survive in a sort key.
          firstname_key: foldedKey('Anonymous'),
          lastname_key: foldedKey('User'),
        },
        now,
      );
      await erasure.deleteExtraValues(trx, user.id);
      const tokens = await erasure.deleteTokens(trx, user.id);
      auditLog('user.anonymize', user.id, {
        erased: ERASED,
        auditEntriesErased: scrubbed,
        tokensRevoked: tokens,
        changes: user.active ? [{ field: 'active', before: 1, after: 0 }] : [],
        // The copies that still hold what was erased: the administrator destroys them.
        backupsHoldingData: await erase.backupsTaken(trx),
      });
      return 'changed';
    },
  };
}

/** anonymous-<id>, unless a real account happens to hold it. */
async function freeIdentity(trx: Transaction<Database>, userId: number): Promise<{ username: string; email: string }> {
  for (let attempt = 0; ; attempt++) {
    const identity = anonymousIdentity(userId, attempt);
    const holder = await erasure.identityHolder(trx, identityKey(identity.username), identityKey(identity.email));
    if (holder === undefined || holder === userId) return identity;
  }
}

export interface AnonymizeResult extends BatchResult {
  /** False when another process kept reading old pages, so the write-ahead log could not be emptied yet. */
  /** What may still hold the erased values (see Eraser.flushLog), or undefined. */
  leftover?: string;
}

/** Runs the erasure over a plan, then empties the write-ahead log, which still holds the old pages. */
export async function anonymizeUsers(ctx: ServiceContext, plan: BatchPlan, options: BatchOptions = {}): Promise<AnonymizeResult> {
  const action = anonymizeAction(ctx);
  const result = await runBatch(ctx, plan, action, options);
  const leftover = result.changed.length && !result.dryRun && !result.rolledBack ? await action.eraser.flushLog() : undefined;
  return { ...result, leftover };
}
