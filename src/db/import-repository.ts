import { sql, type Kysely, type Transaction } from 'kysely';
import { KEYS_PER_LOOKUP, slices } from './chunks';
import { engineOf } from './engine';
import { isOneOfKeys } from './sql-functions';
import type { RosterDb } from './database';
import { insertMany, insertUsers } from './bulk-insert';
import type { Database, NewUserRow, UserRow, UserUpdate } from './schema';

type Executor = Kysely<Database> | Transaction<Database>;

/**
 * The reads and writes of an import, a chunk of rows at a time: each read
 * takes the keys of the whole chunk and answers with one statement per 500
 * ids or 2,000 username or email keys; each write takes the chunk's rows.
 * The same code serves both engines; the bulk inserts are engine-specific
 * (bulk-insert.ts).
 */

/** The accounts (deleted ones included) holding any of these username or email keys. */
export async function usersByIdentityKeys(db: Executor, usernameKeys: readonly string[], emailKeys: readonly string[]): Promise<UserRow[]> {
  const found = new Map<number, UserRow>();
  const engine = engineOf(db);
  for (const [column, keys] of [
    ['username_key', usernameKeys],
    ['email_key', emailKeys],
  ] as const) {
    for (const some of slices(unique(keys), KEYS_PER_LOOKUP)) {
      for (const user of await db
        .selectFrom('user')
        .selectAll()
        .where(isOneOfKeys(engine, sql.ref(column), some))
        .execute())
        found.set(user.id, user);
    }
  }
  return [...found.values()];
}

export async function usersByIds(db: Executor, ids: readonly number[]): Promise<Map<number, UserRow>> {
  const found = new Map<number, UserRow>();
  for (const some of slices(unique(ids))) {
    for (const user of await db.selectFrom('user').selectAll().where('id', 'in', some).execute()) found.set(user.id, user);
  }
  return found;
}

/** The roles of these users, by user id (a user without roles is absent). */
export async function rolesOfUsers(db: Executor, ids: readonly number[]): Promise<Map<number, string[]>> {
  const roles = new Map<number, string[]>();
  for (const some of slices(unique(ids))) {
    for (const row of await db.selectFrom('user_role').select(['user_id', 'role']).where('user_id', 'in', some).execute()) {
      const list = roles.get(row.user_id);
      if (list) list.push(row.role);
      else roles.set(row.user_id, [row.role]);
    }
  }
  return roles;
}

/** The extra values of these users: user id → field id → value. */
export async function extraValuesOfUsers(db: Executor, ids: readonly number[]): Promise<Map<number, Map<number, string>>> {
  const values = new Map<number, Map<number, string>>();
  for (const some of slices(unique(ids))) {
    for (const row of await db.selectFrom('user_extra_value').select(['user_id', 'field_id', 'value']).where('user_id', 'in', some).execute()) {
      let byField = values.get(row.user_id);
      if (!byField) values.set(row.user_id, (byField = new Map<number, string>()));
      byField.set(row.field_id, row.value);
    }
  }
  return values;
}

/** The courses and the sessions these users are enrolled in, by user id. */
export async function enrolmentIdsOfUsers(
  db: Executor,
  ids: readonly number[],
): Promise<{ courses: Map<number, Set<number>>; sessions: Map<number, Set<number>> }> {
  const courses = new Map<number, Set<number>>();
  const sessions = new Map<number, Set<number>>();
  for (const some of slices(unique(ids))) {
    for (const row of await db.selectFrom('course_user').select(['user_id', 'course_id']).where('user_id', 'in', some).execute())
      add(courses, row.user_id, row.course_id);
    for (const row of await db.selectFrom('session_user').select(['user_id', 'session_id']).where('user_id', 'in', some).execute())
      add(sessions, row.user_id, row.session_id);
  }
  return { courses, sessions };
}

export interface LookAlikeAccount {
  id: number;
  username: string;
  email: string;
  deleted_at: string | null;
  /** The column's identity key: a look-alike is another text that folds the same. */
  key: string;
  fold: string;
}

/** The accounts (not anonymized) whose username or email folds to one of these keys. */
export async function lookAlikesByFold(db: Executor, column: 'username' | 'email', folds: readonly string[]): Promise<LookAlikeAccount[]> {
  const found: LookAlikeAccount[] = [];
  for (const some of slices(unique(folds), KEYS_PER_LOOKUP)) found.push(...((await lookAlikesQuery(db, column, some).execute()) as LookAlikeAccount[]));
  return found;
}

/** The query of lookAlikesByFold for one slice of keys (its plan is tested on PostgreSQL). */
export function lookAlikesQuery(db: Executor, column: 'username' | 'email', folds: readonly string[]) {
  const foldColumn = column === 'username' ? 'username_fold_key' : 'email_fold_key';
  const keyColumn = column === 'username' ? 'username_key' : 'email_key';
  return db
    .selectFrom('user')
    .select(['id', 'username', 'email', 'deleted_at', `${keyColumn} as key`, `${foldColumn} as fold`])
    .where(isOneOfKeys(engineOf(db), sql.ref(foldColumn), folds))
    .where('anonymized_at', 'is', null)
    .orderBy('id');
}

/** Courses by their stored key (code_key), and sessions by theirs (name_key). */
export async function coursesByKeys(db: Executor, keys: readonly string[]): Promise<Map<string, { id: number; code: string }>> {
  const found = new Map<string, { id: number; code: string }>();
  for (const some of slices(unique(keys))) {
    for (const row of await db.selectFrom('course').select(['id', 'code', 'code_key']).where('code_key', 'in', some).execute())
      found.set(row.code_key, { id: row.id, code: row.code });
  }
  return found;
}

export async function sessionsByKeys(db: Executor, keys: readonly string[]): Promise<Map<string, { id: number; name: string }>> {
  const found = new Map<string, { id: number; name: string }>();
  for (const some of slices(unique(keys))) {
    for (const row of await db.selectFrom('training_session').select(['id', 'name', 'name_key']).where('name_key', 'in', some).execute())
      found.set(row.name_key, { id: row.id, name: row.name });
  }
  return found;
}

/** What a chunk of an import writes, all of it in the transaction `trx` holds on `db`. */
export interface ImportWrites {
  /** New accounts; their roles, values and enrolments name them by their index in this list. */
  users: NewUserRow[];
  roles: { user: UserSlot; role: string }[];
  removedRoles: { userId: number; role: string }[];
  extraValues: { user: UserSlot; fieldId: number; value: string }[];
  /** Values that replace a stored one (the pair exists). */
  replacedValues: { userId: number; fieldId: number; value: string }[];
  courseUsers: { user: UserSlot; courseId: number; role: string }[];
  sessionUsers: { user: UserSlot; sessionId: number }[];
  updates: { userId: number; update: UserUpdate }[];
  audit: { user: UserSlot; details: string }[];
}

/** An existing account by its id, or a new one by its index in `users`. */
export type UserSlot = { id: number } | { created: number };

export function emptyWrites(): ImportWrites {
  return { users: [], roles: [], removedRoles: [], extraValues: [], replacedValues: [], courseUsers: [], sessionUsers: [], updates: [], audit: [] };
}

/**
 * Writes a chunk: the new users first (their ids are needed by the rest),
 * then everything else with the engine's bulk insert. Returns the new ids.
 */
export async function writeImportChunk(db: RosterDb, trx: Executor, writes: ImportWrites, entry: { at: string; actor: string }): Promise<number[]> {
  const ids = await insertUsers(db, trx, writes.users);
  const idOf = (slot: UserSlot): number => ('id' in slot ? slot.id : ids[slot.created]!);
  for (const { userId, update } of writes.updates) await trx.updateTable('user').set(update).where('id', '=', userId).execute();
  for (const { userId, role } of writes.removedRoles) await trx.deleteFrom('user_role').where('user_id', '=', userId).where('role', '=', role).execute();
  for (const v of writes.replacedValues) {
    await trx.updateTable('user_extra_value').set({ value: v.value }).where('user_id', '=', v.userId).where('field_id', '=', v.fieldId).execute();
  }
  await insertMany(
    db,
    trx,
    'user_role',
    ['user_id', 'role'],
    writes.roles.map((r) => ({ user_id: idOf(r.user), role: r.role })),
  );
  await insertMany(
    db,
    trx,
    'user_extra_value',
    ['user_id', 'field_id', 'value'],
    writes.extraValues.map((v) => ({ user_id: idOf(v.user), field_id: v.fieldId, value: v.value })),
  );
  await insertMany(
    db,
    trx,
    'course_user',
    ['course_id', 'user_id', 'role', 'enrolled_at'],
    writes.courseUsers.map((c) => ({ course_id: c.courseId, user_id: idOf(c.user), role: c.role, enrolled_at: entry.at })),
  );
  await insertMany(
    db,
    trx,
    'session_user',
    ['session_id', 'user_id', 'enrolled_at'],
    writes.sessionUsers.map((s) => ({ session_id: s.sessionId, user_id: idOf(s.user), enrolled_at: entry.at })),
  );
  await insertMany(
    db,
    trx,
    'audit_log',
    ['at', 'actor', 'action', 'user_id', 'details'],
    writes.audit.map((a) => ({ at: entry.at, actor: entry.actor, action: 'user.import', user_id: idOf(a.user), details: a.details })),
  );
  await keepUserStatisticsCurrent(db, trx, ids.length);
  return ids;
}

/** Per open database: the user table's size when PostgreSQL's statistics last learned it, and the users added since. */
const userTableGrowth = new WeakMap<RosterDb, { analyzedSize: number; addedSince: number }>();

/**
 * PostgreSQL plans by the statistics of the last ANALYZE, which autovacuum
 * runs at most once a minute. An import filling an empty table had its
 * look-ups planned for a table of 1 row: a nested loop over the whole table,
 * 350 ms a chunk at 6,000 users and growing, instead of 2 ms through the
 * index. So the import analyzes the user table each time it has doubled it
 * (about 7 times for 100,000 users into an empty database), and only the key
 * columns the chunks look up: the table's size is learned all the same, at a
 * fifth of the cost of a whole ANALYZE, and autovacuum, whose count of changes
 * a partial ANALYZE leaves as it is, analyzes the rest later. In the chunk's
 * transaction: rolled back with it. A role that does not own the table gets a
 * warning from the server, not an error.
 */
async function keepUserStatisticsCurrent(db: RosterDb, trx: Executor, added: number): Promise<void> {
  if (db.engine !== 'postgres' || added === 0) return;
  let growth = userTableGrowth.get(db);
  if (!growth) {
    const known = await sql<{ rows: number }>`select greatest(reltuples, 0)::float8 as rows from pg_class where oid = '"user"'::regclass`.execute(trx);
    growth = { analyzedSize: Number(known.rows[0]?.rows ?? 0), addedSince: 0 };
    userTableGrowth.set(db, growth);
  }
  growth.addedSince += added;
  if (growth.addedSince <= growth.analyzedSize) return;
  await sql`analyze "user" (username_key, email_key, username_fold_key, email_fold_key)`.execute(trx);
  growth.analyzedSize += growth.addedSince;
  growth.addedSince = 0;
}

/** Whether an error is the engine refusing a duplicate key (another process took a username meanwhile). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/** Whether an error is the engine refusing a reference to a removed row (a course deleted meanwhile). */
export function isForeignKeyViolation(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503';
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)].filter((item) => item !== '');
}

function add(map: Map<number, Set<number>>, key: number, value: number): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}
