import { sql, type Kysely, type Transaction } from 'kysely';
import { contains } from './sql-functions';
import type { Database } from './schema';

type Executor = Kysely<Database> | Transaction<Database>;

/**
 * The statements of purge and anonymize (a GDPR erasure), one account at a
 * time: erasures are rare and each one reads the account's audit trail.
 */

export interface PersonalData {
  username: string;
  email: string;
  firstname: string;
  lastname: string;
  official_code: string | null;
  phone: string | null;
  picture: string | null;
}

export async function personalDataOf(db: Executor, userId: number): Promise<PersonalData | undefined> {
  return db
    .selectFrom('user')
    .select(['username', 'email', 'firstname', 'lastname', 'official_code', 'phone', 'picture'])
    .where('id', '=', userId)
    .executeTakeFirst();
}

export async function extraValuesOf(db: Executor, userId: number): Promise<{ value: string; type: string }[]> {
  return db
    .selectFrom('user_extra_value')
    .innerJoin('extra_field', 'extra_field.id', 'user_extra_value.field_id')
    .select(['user_extra_value.value', 'extra_field.type'])
    .where('user_extra_value.user_id', '=', userId)
    .execute();
}

/** The account holding this username or email key, if any. */
export async function identityHolder(db: Executor, usernameKey: string, emailKey: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('user')
    .select('id')
    .where((eb) => eb.or([eb('username_key', '=', usernameKey), eb('email_key', '=', emailKey)]))
    .executeTakeFirst();
  return row?.id;
}

export interface AnonymousIdentity {
  username: string;
  username_key: string;
  username_fold_key: string;
  email: string;
  email_key: string;
  email_fold_key: string;
  firstname: string;
  lastname: string;
  firstname_key: string;
  lastname_key: string;
}

/** Replaces the personal data of an account, removes its password and deactivates it. */
export async function anonymizeAccount(db: Executor, userId: number, identity: AnonymousIdentity, anonymizedAt: string): Promise<void> {
  await db
    .updateTable('user')
    .set({ ...identity, official_code: null, phone: null, picture: null, password_hash: null, active: 0, anonymized_at: anonymizedAt })
    .where('id', '=', userId)
    .execute();
}

export async function deleteExtraValues(db: Executor, userId: number): Promise<void> {
  await db.deleteFrom('user_extra_value').where('user_id', '=', userId).execute();
}

/** Removes all the account's login-as tokens; returns how many there were. */
export async function deleteTokens(db: Executor, userId: number): Promise<number> {
  const result = await db.deleteFrom('login_token').where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The account's audit entries that carry details. */
export async function auditEntriesOf(db: Executor, userId: number): Promise<{ id: number; details: string }[]> {
  const rows = await db.selectFrom('audit_log').select(['id', 'details']).where('user_id', '=', userId).where('details', 'is not', null).execute();
  return rows as { id: number; details: string }[];
}

/**
 * The entries about courses and sessions that name the user as owner or coach (by username,
 * with no user id of their own): found through the action index, then by the username's text.
 */
export async function mentionsOf(db: Executor, username: string): Promise<{ id: number; details: string }[]> {
  const rows = await db
    .selectFrom('audit_log')
    .select(['id', 'details'])
    .where('action', 'in', ['course.add', 'course.edit', 'session.add', 'session.edit'])
    .where(contains(sql`lower(details)`, username.toLowerCase()))
    .execute();
  return rows.filter((r): r is { id: number; details: string } => r.details !== null);
}

export async function setAuditDetails(db: Executor, entryId: number, details: string): Promise<void> {
  await db.updateTable('audit_log').set({ details }).where('id', '=', entryId).execute();
}

/** What a purge re-checks of the account receiving the courses, inside its transaction. */
export async function receiverState(db: Executor, userId: number) {
  return db.selectFrom('user').select(['id', 'username', 'active', 'deleted_at', 'anonymized_at', 'is_system']).where('id', '=', userId).executeTakeFirst();
}

export async function coursesOwnedByUser(db: Executor, userId: number): Promise<number[]> {
  return (await db.selectFrom('course').select('id').where('owner_id', '=', userId).orderBy('id').execute()).map((r) => r.id);
}

export async function sessionsCoachedByUser(db: Executor, userId: number): Promise<number[]> {
  return (await db.selectFrom('training_session').select('id').where('coach_id', '=', userId).orderBy('id').execute()).map((r) => r.id);
}

/** Hands a user's courses and coached sessions to another account. */
export async function handOver(db: Executor, fromUserId: number, toUserId: number): Promise<void> {
  await db.updateTable('course').set({ owner_id: toUserId }).where('owner_id', '=', fromUserId).execute();
  await db.updateTable('training_session').set({ coach_id: toUserId }).where('coach_id', '=', fromUserId).execute();
}

/** Deletes the account row; roles, extra values, enrolments and tokens follow by ON DELETE CASCADE. */
export async function deleteAccount(db: Executor, userId: number): Promise<void> {
  await db.deleteFrom('user').where('id', '=', userId).execute();
}
