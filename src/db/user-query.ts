import { sql, type Expression, type ExpressionBuilder, type Kysely, type SelectQueryBuilder, type SqlBool, type Transaction } from 'kysely';
import type { UserFilter, UserOrder, SortKey } from '../shared/user-filter';
import { foldedKey } from '../shared/folding';
import { recordKey } from '../shared/folding';
import type { RosterDb } from './database';
import { engineOf, type Engine } from './engine';
import { streamPages } from './row-pages';
import { contains, jsonObjectText, joinedText, NOTHING } from './sql-functions';
import type { Database, UserRow } from './schema';

type Executor = Kysely<Database> | Transaction<Database>;
type UserEb = ExpressionBuilder<Database, 'user'>;

/** A user row with its roles and extra values gathered by the same query (no N+1). */
export interface UserListRow extends UserRow {
  roles: string | null;
  extra: string | null;
}

// The trigram index answers substrings of 3 characters or more; shorter ones are scanned.
const TRIGRAM = 3;

/** The search index's column for each field: names, usernames and emails are indexed folded (migrations 0006, 0008). */
const SEARCH_COLUMNS = {
  firstname: 'firstname_key',
  lastname: 'lastname_key',
  username: 'username_fold_key',
  email: 'email_fold_key',
  officialCode: 'official_code',
} as const;

/** The selection as a query of user ids and rows, ready for ordering and streaming. */
export function selectUsers(db: Executor, filter: UserFilter, order: UserOrder = {}): SelectQueryBuilder<Database, 'user', UserListRow> {
  const engine = engineOf(db);
  let query = db
    .selectFrom('user')
    .selectAll('user')
    .select((eb) => [
      eb
        .selectFrom('user_role')
        .select(joinedText(engine, sql.ref('role'), ',').as('r'))
        .whereRef('user_role.user_id', '=', 'user.id')
        .as('roles'),
      eb
        .selectFrom('user_extra_value')
        .innerJoin('extra_field', 'extra_field.id', 'user_extra_value.field_id')
        .select(jsonObjectText(engine, sql.ref('extra_field.name'), sql.ref('user_extra_value.value')).as('x'))
        .whereRef('user_extra_value.user_id', '=', 'user.id')
        .as('extra'),
    ])
    .where((eb) => eb.and(filterConditions(eb, filter, engine)));
  query = applyOrder(query, order, engine);
  return query;
}

/** Streams the selection's rows, a page at a time: bounded memory whatever its size. */
export function userRowPages(db: RosterDb, filter: UserFilter, order: UserOrder = {}): AsyncGenerator<UserListRow[]> {
  return streamPages(db, selectUsers(db.kysely, filter, order).compile());
}

/** Only the ids: what batch commands and counts need. */
export function selectUserIds(db: Executor, filter: UserFilter) {
  return db
    .selectFrom('user')
    .select('user.id')
    .where((eb) => eb.and(filterConditions(eb, filter, engineOf(db))))
    .orderBy('user.id');
}

export async function countUsers(db: Executor, filter: UserFilter): Promise<number> {
  const row = await db
    .selectFrom('user')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where((eb) => eb.and(filterConditions(eb, filter, engineOf(db))))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

function filterConditions(eb: UserEb, f: UserFilter, engine: Engine): Expression<SqlBool>[] {
  const where: Expression<SqlBool>[] = [];
  if (!f.anyState) {
    where.push(f.deleted || f.deletedBefore ? eb('user.deleted_at', 'is not', null) : eb('user.deleted_at', 'is', null));
    if (!f.system) where.push(eb('user.is_system', '=', 0));
  }
  if (f.deletedBefore) where.push(eb('user.deleted_at', '<', f.deletedBefore));
  if (f.legacyHash) where.push(eb.or([eb('user.password_hash', 'like', 'md5:%'), eb('user.password_hash', 'like', 'sha1:%')]));
  if (!f.anyState && !f.deleted && !f.deletedBefore) {
    if (f.anonymized === 'only') where.push(eb('user.anonymized_at', 'is not', null));
    else if (f.anonymized !== 'include') where.push(eb('user.anonymized_at', 'is', null));
  }
  if (f.ids) where.push(f.ids.length ? eb('user.id', 'in', f.ids) : NOTHING);
  if (f.roles?.length) {
    where.push(
      eb.exists(eb.selectFrom('user_role').select('user_role.user_id').whereRef('user_role.user_id', '=', 'user.id').where('user_role.role', 'in', f.roles)),
    );
  }
  if (f.excludeRoles?.length) {
    where.push(
      eb.not(
        eb.exists(
          eb.selectFrom('user_role').select('user_role.user_id').whereRef('user_role.user_id', '=', 'user.id').where('user_role.role', 'in', f.excludeRoles),
        ),
      ),
    );
  }
  if (f.active !== undefined) where.push(eb('user.active', '=', f.active ? 1 : 0));
  if (f.registeredSince) where.push(eb('user.registered_at', '>=', f.registeredSince));
  if (f.registeredBefore) where.push(eb('user.registered_at', '<', f.registeredBefore));
  if (f.lastLoginBefore) where.push(eb('user.last_login_at', '<', f.lastLoginBefore));
  if (f.neverLoggedIn) where.push(eb('user.last_login_at', 'is', null));
  if (f.dormantSince) where.push(eb(eb.fn.coalesce('user.last_login_at', 'user.registered_at'), '<', f.dormantSince));
  if (f.expiresBefore) where.push(eb('user.expires_at', '<', f.expiresBefore));
  if (f.expiresAfter) where.push(eb('user.expires_at', '>', f.expiresAfter));
  if (f.expiredAt) where.push(eb('user.expires_at', '<=', f.expiredAt));
  if (f.language) where.push(eb('user.language', '=', f.language));
  if (f.authSource) where.push(eb('user.auth_source', '=', f.authSource));
  for (const field of f.fields ?? []) {
    where.push(
      eb.exists(
        eb
          .selectFrom('user_extra_value')
          .innerJoin('extra_field', 'extra_field.id', 'user_extra_value.field_id')
          .select('user_extra_value.user_id')
          .whereRef('user_extra_value.user_id', '=', 'user.id')
          .where('extra_field.name', '=', field.name)
          .where('user_extra_value.value', '=', field.value),
      ),
    );
  }
  if (f.course) {
    const code = recordKey(f.course);
    let enrolled = eb
      .selectFrom('course_user')
      .innerJoin('course', 'course.id', 'course_user.course_id')
      .select('course_user.user_id')
      .whereRef('course_user.user_id', '=', 'user.id')
      .where('course.code_key', '=', code);
    if (f.courseRole) enrolled = enrolled.where('course_user.role', '=', f.courseRole);
    where.push(eb.exists(enrolled));
  }
  if (f.session) {
    const name = recordKey(f.session);
    where.push(
      eb.exists(
        eb
          .selectFrom('session_user')
          .innerJoin('training_session', 'training_session.id', 'session_user.session_id')
          .select('session_user.user_id')
          .whereRef('session_user.user_id', '=', 'user.id')
          .where('training_session.name_key', '=', name),
      ),
    );
  }
  if (f.noCourse) where.push(eb.not(eb.exists(eb.selectFrom('course_user').select('course_user.user_id').whereRef('course_user.user_id', '=', 'user.id'))));
  where.push(...(engine === 'postgres' ? trigramConditions(f) : textConditions(f)));
  if (f.anyOf) where.push(f.anyOf.length ? eb.or(f.anyOf.map((sub) => eb.and(filterConditions(eb, { ...sub, anyState: true }, engine)))) : NOTHING);
  return where;
}

/** Keyword and per-field text: one trigram MATCH for the long terms, a folded scan for short ones. */
function textConditions(f: UserFilter): Expression<SqlBool>[] {
  const terms: string[] = [];
  const scans: Expression<SqlBool>[] = [];
  if (f.keyword) {
    // Folded like the names in the index: ð is d, O'Brien is obrien.
    const keyword = foldedKey(f.keyword);
    // Only quotes or apostrophes: folded away, they match nothing (not everybody).
    if (!keyword) scans.push(NOTHING);
    else if ([...keyword].length >= TRIGRAM) terms.push(phrase(keyword));
    else {
      const parts = Object.values(SEARCH_COLUMNS).map((column) => foldedContains(column, keyword));
      scans.push(sql<SqlBool>`(${sql.join(parts, sql` OR `)})`);
    }
  }
  for (const [key, column] of Object.entries(SEARCH_COLUMNS) as [keyof typeof SEARCH_COLUMNS, string][]) {
    const given = f[key];
    if (!given) continue;
    const value = foldedKey(given);
    if (!value) {
      scans.push(NOTHING);
      continue;
    }
    if ([...value].length >= TRIGRAM) terms.push(`${column}:${phrase(value)}`);
    else scans.push(foldedContains(column, value));
  }
  if (terms.length) {
    scans.unshift(sql<SqlBool>`user.id IN (SELECT rowid FROM user_search WHERE user_search MATCH ${terms.join(' AND ')})`);
  }
  return scans;
}

/**
 * PostgreSQL: a LIKE on each folded key, which pg_trgm's GIN indexes serve
 * from three characters on (migration 0009); the same folded keys and the
 * same folded terms as SQLite's index, so both engines find the same users.
 * The official code has no folded copy: it is compared in lower case.
 */
function trigramConditions(f: UserFilter): Expression<SqlBool>[] {
  const where: Expression<SqlBool>[] = [];
  const columnText = (column: string) => (column.endsWith('_key') ? sql.ref(`user.${column}`) : sql`lower(${sql.ref(`user.${column}`)})`);
  if (f.keyword) {
    const keyword = foldedKey(f.keyword);
    if (!keyword) where.push(NOTHING);
    else
      where.push(
        sql<SqlBool>`(${sql.join(
          Object.values(SEARCH_COLUMNS).map((column) => contains(columnText(column), keyword)),
          sql` OR `,
        )})`,
      );
  }
  for (const [key, column] of Object.entries(SEARCH_COLUMNS) as [keyof typeof SEARCH_COLUMNS, string][]) {
    const given = f[key];
    if (!given) continue;
    const value = foldedKey(given);
    where.push(value ? contains(columnText(column), value) : NOTHING);
  }
  return where;
}

function phrase(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

/**
 * A short term, which the trigram index cannot serve: a scan. `value` is
 * folded already; a `*_key` column is stored folded, the official code is
 * folded by roster_fold(), registered on the connection (see database.ts).
 */
function foldedContains(column: string, value: string): Expression<SqlBool> {
  const text = column.endsWith('_key') ? sql.ref(`user.${column}`) : sql`roster_fold(${sql.ref(`user.${column}`)})`;
  return sql<SqlBool>`instr(${text}, ${value}) > 0`;
}

const SORT_COLUMNS: Record<SortKey, (keyof UserRow)[]> = {
  lastname: ['lastname_key', 'firstname_key'],
  firstname: ['firstname_key', 'lastname_key'],
  username: ['username_key'],
  email: ['email_key'],
  registered: ['registered_at'],
  'last-login': ['last_login_at'],
  expires: ['expires_at'],
  id: ['id'],
};

/**
 * Where the empty dates go, the same on every engine: an account that never
 * expires expires last, one never used was last used before all others.
 */
const NULLS_SORT_AS: Partial<Record<keyof UserRow, 'latest' | 'earliest'>> = { expires_at: 'latest', last_login_at: 'earliest' };

function applyOrder<O>(query: SelectQueryBuilder<Database, 'user', O>, order: UserOrder, engine: Engine): SelectQueryBuilder<Database, 'user', O> {
  const direction = order.desc ? 'desc' : 'asc';
  for (const column of SORT_COLUMNS[order.sort ?? 'lastname']) {
    const nulls = NULLS_SORT_AS[column];
    if (!nulls) {
      query = query.orderBy(`user.${column}`, direction);
      continue;
    }
    const nullsLast = (nulls === 'latest') === (direction === 'asc');
    query = query.orderBy(`user.${column}`, (ob) => {
      const sorted = direction === 'asc' ? ob.asc() : ob.desc();
      return nullsLast ? sorted.nullsLast() : sorted.nullsFirst();
    });
  }
  query = query.orderBy('user.id', direction);
  if (order.limit !== undefined) query = query.limit(order.limit);
  // SQLite takes an OFFSET only after a LIMIT, where -1 means none; PostgreSQL takes it alone.
  if (order.offset) query = order.limit === undefined && engine === 'sqlite' ? query.limit(-1).offset(order.offset) : query.offset(order.offset);
  return query;
}
