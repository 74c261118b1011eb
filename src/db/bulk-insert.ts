import { sql, type Kysely, type Transaction } from 'kysely';
import { slices } from './chunks';
import type { RosterDb, SqliteDb } from './database';
import { param, prepare, type Prepared } from './prepared';
import type { Database, NewUserRow } from './schema';

type Executor = Kysely<Database> | Transaction<Database>;

/**
 * The one engine-specific bulk insert of a chunk's rows, in the transaction
 * `trx` holds on `db`. SQLite's fastest is one prepared statement run per
 * row (a statement of 500 rows costs more to build than to run: measured on
 * enroll, 0.61× of the raw limit against 0.75× per row); PostgreSQL takes
 * the rows as one JSON parameter (see insertFromJson).
 */
export async function insertMany(
  db: RosterDb,
  trx: Executor,
  table: keyof Database,
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  if (!rows.length) return;
  if (db.engine !== 'sqlite') {
    for (const some of slices(rows, ROWS_PER_JSON_INSERT)) await insertFromJson(table, columns, some).execute(trx);
    return;
  }
  const insert = preparedInsert(db, table, columns);
  for (const row of rows) insert.run(row);
}

const preparedInserts = new WeakMap<RosterDb, Map<string, Prepared<string>>>();

function preparedInsert(db: RosterDb & { engine: 'sqlite' }, table: keyof Database, columns: readonly string[]): Prepared<string> {
  let byShape = preparedInserts.get(db);
  if (!byShape) preparedInserts.set(db, (byShape = new Map<string, Prepared<string>>()));
  const shape = `${table}(${columns.join(',')})`;
  let insert = byShape.get(shape);
  if (!insert) {
    const values = Object.fromEntries(columns.map((column) => [column, param(column)]));
    insert = prepare<string>(db.raw, db.kysely.insertInto(table).values(values));
    byShape.set(shape, insert);
  }
  return insert;
}

/** Every column of a new user, in one order, with the defaults of the schema for what a row leaves out. */
const USER_DEFAULTS: Record<string, unknown> = {
  username: undefined,
  username_key: undefined,
  email: undefined,
  email_key: undefined,
  firstname: undefined,
  lastname: undefined,
  firstname_key: undefined,
  lastname_key: undefined,
  username_fold_key: undefined,
  email_fold_key: undefined,
  password_hash: null,
  official_code: null,
  phone: null,
  language: 'en',
  picture: null,
  auth_source: 'platform',
  active: 1,
  expires_at: null,
  registered_at: undefined,
  last_login_at: null,
  created_by: null,
  deleted_at: null,
  anonymized_at: null,
};
const USER_COLUMNS = Object.keys(USER_DEFAULTS);

function completeUser(row: NewUserRow): Record<string, unknown> {
  const full: Record<string, unknown> = {};
  for (const column of USER_COLUMNS) full[column] = (row as unknown as Record<string, unknown>)[column] ?? USER_DEFAULTS[column];
  return full;
}

/**
 * Inserts new users and returns their ids, in the order of `rows`. SQLite:
 * a prepared statement per row (its row id comes back with it);
 * PostgreSQL: multi-row inserts returning the ids, matched to the rows by
 * their username key (unique).
 */
export async function insertUsers(db: RosterDb, trx: Executor, rows: readonly NewUserRow[]): Promise<number[]> {
  if (!rows.length) return [];
  if (db.engine === 'sqlite') {
    const insert = preparedInsert(db, 'user', USER_COLUMNS);
    const insertAll = () => rows.map((row) => Number(insert.run(completeUser(row)).lastInsertRowid));
    return rows.length >= BULK_INDEXED_USERS ? indexedInBulk(db.raw, insertAll) : insertAll();
  }
  const ids: number[] = [];
  for (const some of slices(rows, ROWS_PER_JSON_INSERT)) {
    const inserted = await sql<{
      id: number;
      username_key: string;
    }>`${insertFromJson('user', USER_COLUMNS, some.map(completeUser))} returning id, username_key`.execute(trx);
    const byKey = new Map(inserted.rows.map((r) => [r.username_key, r.id]));
    for (const row of some) ids.push(byKey.get(row.username_key)!);
  }
  return ids;
}

/** Rows of one PostgreSQL insert from JSON: a chunk of an import (2,000 users) in one statement, its text a few MB at most. */
const ROWS_PER_JSON_INSERT = 5000;

/**
 * PostgreSQL: an insert of `rows` sent as one JSON parameter, which the
 * server turns into rows of the table's own type (json_populate_recordset).
 * A multi-row VALUES insert of 2,000 users binds 46,000 parameters: parsing
 * and binding them cost the server 1.6 s of a 100,000-user import, and
 * building the statement as much again in roster. The values keep their
 * columns' types; a column left out of `columns` takes its default, one
 * named there but absent from a row is null, and a row's other keys are
 * ignored: the rows are sent as they are.
 */
function insertFromJson(table: keyof Database, columns: readonly string[], rows: readonly Record<string, unknown>[]) {
  const names = sql.join(columns.map((column) => sql.ref(column)));
  return sql`insert into ${sql.table(table)} (${names}) select ${names} from json_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(rows)}::json)`;
}

/** From this many new users on, SQLite's search index takes them in one statement (see indexedInBulk). */
const BULK_INDEXED_USERS = 50;

/**
 * Runs `insert` (new users, in the caller's transaction) with SQLite's search
 * index filled in one statement instead of by its insert trigger, one index
 * insert per user: 100,000 users took 11.3 s through the trigger and 3.3 s
 * this way (measured here; a trigger that does nothing still cost 45 µs a
 * row). The trigger is dropped and created again from its own text inside the
 * transaction, so that no other connection sees the table without it and a
 * failure (or a rolled-back savepoint) gives it back as it was.
 */
function indexedInBulk(raw: SqliteDb['raw'], insert: () => number[]): number[] {
  if (!raw.inTransaction) throw new Error('indexedInBulk: the search index may only be bypassed inside a transaction');
  const trigger = raw.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'user_search_insert'").pluck().get() as string | undefined;
  if (trigger === undefined) return insert();
  // What the index holds is its own column list, the same names as the user table's columns.
  const columns = (raw.prepare("SELECT name FROM pragma_table_info('user_search')").pluck().all() as string[]).join(', ');
  raw.exec('DROP TRIGGER user_search_insert');
  const ids = insert();
  raw
    .prepare(`INSERT INTO user_search (rowid, ${columns}) SELECT id, ${columns} FROM user WHERE id IN (SELECT value FROM json_each(?))`)
    .run(JSON.stringify(ids));
  raw.exec(trigger);
  return ids;
}

/**
 * An import's page cache on SQLite: a larger one keeps the search index's
 * pages between chunks, so that chunked commits cost no more than one big
 * transaction. Returns what gives the connection its usual cache back.
 */
export function enlargeCacheForImport(db: RosterDb): () => void {
  if (db.engine !== 'sqlite') return () => undefined;
  const previous = db.raw.pragma('cache_size', { simple: true }) as number;
  // Negative: KiB (SQLite's convention).
  db.raw.pragma('cache_size = -8192');
  return () => db.raw.pragma(`cache_size = ${previous}`);
}
