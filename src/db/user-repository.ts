import { sql, type Kysely, type Transaction } from 'kysely';
import { UsageError } from '../shared/errors';
import { engineOf } from './engine';
import type { Database, ExtraFieldRow, NewUserRow, UserRow, UserUpdate } from './schema';
import { isOneOfKeys } from './sql-functions';

type Executor = Kysely<Database> | Transaction<Database>;

/** How a person names a user: `id:42`, an email, or a username. */
export type UserRef = { kind: 'id'; id: number } | { kind: 'name'; key: string };

export function parseUserRef(ref: string): UserRef | undefined {
  const text = ref.trim();
  const id = /^id:(\d+)$/i.exec(text);
  if (id) return { kind: 'id', id: Number(id[1]) };
  // No username or email can start so (":" is in neither): a typo, not somebody unknown.
  if (/^id:/i.test(text))
    throw new UsageError(`"${text}" is not a user reference: id: takes a number`, 'a user is a username, an email address or id:<number>, e.g. id:42');
  if (!text) return undefined;
  return { kind: 'name', key: text.normalize('NFC').toLowerCase() };
}

/**
 * Finds a user, deleted ones included. A reference with @ may be an email or
 * a username: when it names two different users it is refused as ambiguous
 * rather than guessed. A bare number is a username when an account has it
 * (student numbers are common usernames), else an id: see isBareNumber.
 */
export async function findUserByRef(db: Executor, ref: string): Promise<UserRow | undefined> {
  const parsed = parseUserRef(ref);
  if (!parsed) return undefined;
  if (parsed.kind === 'id') return findUserById(db, parsed.id);
  const byName = await findByUsernameKey(db, parsed.key);
  if (isBareNumber(parsed.key)) return byName ?? (await findUserById(db, Number(parsed.key)));
  const other = parsed.key.includes('@') ? await findByEmailKey(db, parsed.key) : undefined;
  return unambiguous(ref, byName, other);
}

/**
 * The one rule for a bare number (`15`): the username 15 if an account has
 * it, else id 15; never an ambiguity error. `list --format ids` writes
 * `id:15`, which names the id whatever the usernames.
 */
export function isBareNumber(key: string): boolean {
  return /^\d+$/.test(key);
}

/**
 * Of the user a reference names as a username and the one it names as an
 * email or id, the one that exists; refused when they are two different users.
 */
export function unambiguous<U extends { id: number; username: string }>(ref: string, byName: U | undefined, other: U | undefined): U | undefined {
  if (byName && other && byName.id !== other.id) {
    throw new UsageError(
      `"${ref}" is ambiguous: it names ${other.username} (id:${other.id}) and ${byName.username} (id:${byName.id})`,
      `write id:${other.id} or id:${byName.id}`,
    );
  }
  return other ?? byName;
}

export async function resolveUserId(db: Executor, ref: string): Promise<number | undefined> {
  return (await findUserByRef(db, ref))?.id;
}

export async function findUserById(db: Executor, id: number): Promise<UserRow | undefined> {
  return db.selectFrom('user').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findByUsernameKey(db: Executor, key: string): Promise<UserRow | undefined> {
  return db.selectFrom('user').selectAll().where('username_key', '=', key).executeTakeFirst();
}

/**
 * Another account whose username (or email) folds to the same text but is
 * not the same one: `josé` for `jose`. Deleted accounts included.
 */
export async function findLookAlike(
  db: Executor,
  column: 'username' | 'email',
  foldKey: string,
  identityKey: string,
  exceptId?: number,
): Promise<UserRow | undefined> {
  let query = db
    .selectFrom('user')
    .selectAll()
    .where(isOneOfKeys(engineOf(db), sql.ref(column === 'username' ? 'username_fold_key' : 'email_fold_key'), [foldKey]))
    .where(column === 'username' ? 'username_key' : 'email_key', '!=', identityKey)
    .where('anonymized_at', 'is', null);
  if (exceptId !== undefined) query = query.where('id', '!=', exceptId);
  return query.orderBy('id').executeTakeFirst();
}

export async function findByEmailKey(db: Executor, key: string): Promise<UserRow | undefined> {
  return db.selectFrom('user').selectAll().where('email_key', '=', key).executeTakeFirst();
}

export async function insertUser(db: Executor, row: NewUserRow): Promise<number> {
  const { id } = await db.insertInto('user').values(row).returning('id').executeTakeFirstOrThrow();
  return id;
}

export async function updateUser(db: Executor, id: number, changes: UserUpdate): Promise<void> {
  if (Object.keys(changes).length === 0) return;
  await db.updateTable('user').set(changes).where('id', '=', id).execute();
}

export async function rolesOf(db: Executor, userId: number): Promise<string[]> {
  const rows = await db.selectFrom('user_role').select('role').where('user_id', '=', userId).execute();
  return rows.map((r) => r.role);
}

export async function usernameOf(db: Executor, userId: number): Promise<string | undefined> {
  return (await db.selectFrom('user').select('username').where('id', '=', userId).executeTakeFirst())?.username;
}

/** The system account that receives a purged user's courses. */
export async function findFallbackUser(db: Executor, usernameKey: string): Promise<{ id: number; username: string } | undefined> {
  return db.selectFrom('user').select(['id', 'username']).where('is_system', '=', 1).where('username_key', '=', usernameKey).executeTakeFirst();
}

/** How many live (not deleted, anonymized or system) users hold each role that anybody holds: those roster list shows. */
export async function liveRoleCounts(db: Executor): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('user_role')
    .innerJoin('user', 'user.id', 'user_role.user_id')
    .select(['user_role.role', (eb) => eb.fn.countAll<number>().as('users')])
    .where('user.deleted_at', 'is', null)
    .where('user.anonymized_at', 'is', null)
    .where('user.is_system', '=', 0)
    .groupBy('user_role.role')
    .execute();
  return new Map(rows.map((r) => [r.role, Number(r.users)]));
}

/** Those of these users who hold the admin role. */
export async function adminsAmong(db: Executor, userIds: readonly number[]): Promise<number[]> {
  if (!userIds.length) return [];
  const rows = await db.selectFrom('user_role').select('user_id').where('role', '=', 'admin').where('user_id', 'in', userIds).execute();
  return rows.map((r) => r.user_id);
}

/**
 * Whether a live, active admin other than this user exists, whose expiration
 * date has not passed at `now` (a row, not a count: no engine's count type matters).
 */
export async function anotherActiveAdminExists(db: Executor, excluded: readonly number[], now: string): Promise<boolean> {
  const other = await db
    .selectFrom('user')
    .innerJoin('user_role', 'user_role.user_id', 'user.id')
    .select('user.id')
    .where('user_role.role', '=', 'admin')
    .where('user.active', '=', 1)
    .where('user.deleted_at', 'is', null)
    .where('user.id', 'not in', excluded)
    .where((eb) => eb.or([eb('user.expires_at', 'is', null), eb('user.expires_at', '>', now)]))
    .limit(1)
    .executeTakeFirst();
  return other !== undefined;
}

export async function addRoles(db: Executor, userId: number, roles: readonly string[]): Promise<void> {
  if (!roles.length) return;
  await db
    .insertInto('user_role')
    .values(roles.map((role) => ({ user_id: userId, role })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export async function removeRoles(db: Executor, userId: number, roles: readonly string[]): Promise<void> {
  if (!roles.length) return;
  await db.deleteFrom('user_role').where('user_id', '=', userId).where('role', 'in', roles).execute();
}

export async function listExtraFields(db: Executor): Promise<ExtraFieldRow[]> {
  return db.selectFrom('extra_field').selectAll().orderBy('name').execute();
}

/** Extra values by field name. */
export async function extraValuesOf(db: Executor, userId: number): Promise<Record<string, string>> {
  const rows = await db
    .selectFrom('user_extra_value')
    .innerJoin('extra_field', 'extra_field.id', 'user_extra_value.field_id')
    .select(['extra_field.name', 'user_extra_value.value'])
    .where('user_extra_value.user_id', '=', userId)
    .execute();
  return Object.fromEntries(rows.map((r) => [r.name, r.value]));
}

export async function setExtraValue(db: Executor, userId: number, fieldId: number, value: string): Promise<void> {
  await db
    .insertInto('user_extra_value')
    .values({ user_id: userId, field_id: fieldId, value })
    .onConflict((oc) => oc.columns(['user_id', 'field_id']).doUpdateSet({ value }))
    .execute();
}

export async function deleteExtraValue(db: Executor, userId: number, fieldId: number): Promise<void> {
  await db.deleteFrom('user_extra_value').where('user_id', '=', userId).where('field_id', '=', fieldId).execute();
}
