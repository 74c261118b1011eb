import { sql, type Transaction } from 'kysely';
import { ConflictError, NotFoundError, SystemError } from '../shared/errors';
import fs from 'node:fs';
import { openDatabase, resolveDatabaseReference, type RosterDb } from './database';
import { migrateToLatest } from './migrator';
import { isPostgresUrl } from './reference';
import type { Database } from './schema';
import { slices } from './chunks';

/**
 * `roster db copy`: a whole database into an empty one, SQLite to
 * PostgreSQL or back, in one streaming pass. Both sides stay migrated to the
 * latest schema, so every table has the same columns on both.
 */

type TableName = keyof Database;

/** Every table, parents before children (foreign keys), each read in the order of its key. */
const TABLES: { name: TableName; key: string[]; identity?: boolean }[] = [
  { name: 'user', key: ['id'], identity: true },
  { name: 'user_role', key: ['user_id', 'role'] },
  { name: 'extra_field', key: ['id'], identity: true },
  { name: 'user_extra_value', key: ['user_id', 'field_id'] },
  { name: 'course', key: ['id'], identity: true },
  { name: 'training_session', key: ['id'], identity: true },
  { name: 'session_course', key: ['session_id', 'course_id'] },
  { name: 'course_user', key: ['course_id', 'user_id'] },
  { name: 'session_user', key: ['session_id', 'user_id'] },
  { name: 'login_token', key: ['id'], identity: true },
  { name: 'setting', key: ['key'] },
  { name: 'mail_notice', key: ['user_id', 'template', 'about'] },
  { name: 'audit_log', key: ['id'], identity: true },
];

/** Rows read at a time; rows per INSERT stay within every engine's limit on parameters (25 columns × 400). */
const PAGE_ROWS = 2000;
const ROWS_PER_INSERT = 400;

export interface CopyResult {
  from: string;
  to: string;
  /** Rows copied, by table: the same count was found on both sides before the copy was committed. */
  rows: Record<string, number>;
}

/**
 * Copies `source` into `target`, which must hold nothing but what its
 * migrations made (the fallback user): the target's fallback is replaced by
 * the source's, ids are kept. Both sides are in a transaction throughout
 * (each holds its write lock, so the copy is consistent and nobody writes to
 * the target half-way); the counts of both are compared before the target
 * commits, and nothing is left in it when anything fails.
 */
export async function copyDatabase(source: RosterDb, target: RosterDb): Promise<CopyResult> {
  await assertEmpty(target);
  const rows: Record<string, number> = {};
  await source.kysely.transaction().execute(async (from) => {
    await target.kysely.transaction().execute(async (to) => {
      // The migration's fallback user: the source's comes with its own id.
      await to.deleteFrom('user').execute();
      for (const table of TABLES) rows[table.name] = await copyTable(from, to, table);
      if (target.engine === 'postgres') await advanceIdentities(to);
      for (const table of TABLES) {
        const [there, here] = [await countRows(from, table.name), await countRows(to, table.name)];
        if (there !== rows[table.name] || here !== rows[table.name]) {
          throw new SystemError(
            `db copy: table ${table.name} has ${there} row(s) in ${source.location} but ${here} in ${target.location} after copying ${rows[table.name]}; nothing was kept`,
          );
        }
      }
    });
  });
  return { from: source.location, to: target.location, rows };
}

/**
 * Copies `source` into the database `option` names (see openCopyTarget). A
 * file made for the copy is removed again when the copy fails: the same
 * command can simply be run again.
 */
export async function copyInto(source: RosterDb, option: string): Promise<CopyResult> {
  refuseNewSource(source);
  const target = await openCopyTarget(source, option);
  let result: CopyResult;
  try {
    result = await copyDatabase(source, target);
  } catch (error) {
    await target.close();
    if (target.engine === 'sqlite') for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(`${target.path}${suffix}`, { force: true });
    throw error;
  }
  await target.close();
  return result;
}

/**
 * Opens the database a copy goes into: a file that does not exist yet
 * (created, mode 0600, and migrated), or a PostgreSQL database (checked for
 * other programs' tables, then migrated; checked empty of rows by copyDatabase). Never the source itself.
 */
async function openCopyTarget(source: RosterDb, option: string): Promise<RosterDb> {
  const reference = resolveDatabaseReference(option);
  const sameAsSource =
    source.engine === 'sqlite'
      ? reference === source.path
      : isPostgresUrl(reference) && new URL(reference).toString() === new URL(source.connectionUrl).toString();
  if (sameAsSource) throw new ConflictError(`--to names the database being copied (${source.location})`, 'give another file or database');
  if (!isPostgresUrl(reference) && fs.existsSync(reference)) {
    throw new ConflictError(
      `${reference} already exists; db copy writes only into a new file or an empty PostgreSQL database`,
      'give the path of a file that does not exist yet',
    );
  }
  if (!isPostgresUrl(reference)) return openDatabase(reference);
  // Another program's tables are refused before roster sets up its own beside them.
  const target = await openDatabase(reference, { migrate: false });
  try {
    await assertNoForeignTables(target);
    await migrateToLatest(target);
  } catch (error) {
    await target.close();
    throw error;
  }
  return target;
}

async function copyTable(from: Transaction<Database>, to: Transaction<Database>, table: (typeof TABLES)[number]): Promise<number> {
  let copied = 0;
  let query = from.selectFrom(table.name).selectAll();
  for (const column of table.key) query = query.orderBy(sql.ref(column));
  let page: Record<string, unknown>[] = [];
  const flush = async () => {
    for (const some of slices(page, ROWS_PER_INSERT)) await to.insertInto(table.name).values(some).execute();
    copied += page.length;
    page = [];
  };
  for await (const row of query.stream(PAGE_ROWS)) {
    page.push(row);
    if (page.length === PAGE_ROWS) await flush();
  }
  await flush();
  return copied;
}

/** PostgreSQL numbers new rows from a sequence, which the copied ids did not move. */
async function advanceIdentities(to: Transaction<Database>): Promise<void> {
  for (const table of TABLES.filter((t) => t.identity)) {
    await sql`SELECT setval(pg_get_serial_sequence(${`"${table.name}"`}, 'id'), coalesce(max(id), 1), max(id) IS NOT NULL) FROM ${sql.table(table.name)}`.execute(
      to,
    );
  }
}

async function countRows(db: Transaction<Database>, table: TableName): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select(sql<number>`count(*)`.as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Nothing but the migrations' own fallback user: anything else would be lost or mixed. */
async function assertEmpty(target: RosterDb): Promise<void> {
  for (const table of TABLES) {
    let query = target.kysely.selectFrom(table.name).select(sql<number>`count(*)`.as('n'));
    if (table.name === 'user') query = query.where(sql.ref('is_system'), '=', 0);
    const { n } = await query.executeTakeFirstOrThrow();
    if (Number(n) > 0) {
      throw new ConflictError(
        `${target.location} is not empty (table ${table.name} has ${rowsOf(table.name, Number(n))}); db copy writes only into an empty database`,
        'give a new file, or a new PostgreSQL database (createdb -O <owner> <name>)',
      );
    }
  }
}

/** What a table of the target holds: the user table's count leaves out the fallback user, and says so. */
function rowsOf(table: TableName, n: number): string {
  if (table === 'user') return `${n} ${n === 1 ? 'user' : 'users'} besides roster's fallback user`;
  return `${n} ${n === 1 ? 'row' : 'rows'}`;
}

/** The tables roster's migrations make, and Kysely's own record of them. */
const ROSTER_TABLES = new Set<string>([...TABLES.map((t) => t.name), 'kysely_migration', 'kysely_migration_lock']);

/**
 * A PostgreSQL database that holds another program's tables is not the empty
 * database a copy needs (a mistyped database name, say, into the platform's own).
 */
async function assertNoForeignTables(target: RosterDb): Promise<void> {
  const { rows } = await sql<{ table_schema: string; table_name: string }>`
    SELECT table_schema, table_name FROM information_schema.tables
    WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY table_schema, table_name`.execute(target.kysely);
  const foreign = rows.filter((r) => r.table_schema !== 'public' || !ROSTER_TABLES.has(r.table_name)).map((r) => `${r.table_schema}.${r.table_name}`);
  if (foreign.length) {
    const shown = foreign.slice(0, 5).join(', ') + (foreign.length > 5 ? `, and ${foreign.length - 5} more` : '');
    throw new ConflictError(
      `${target.location} holds tables roster does not know (${shown}); db copy writes only into an empty database`,
      'give a new PostgreSQL database (createdb -O <owner> <name>)',
    );
  }
}

/**
 * The database being copied must hold roster's data: db copy opens a file
 * without creating it (a mistyped path is refused before), but an empty
 * PostgreSQL database would have its tables set up by this run.
 */
function refuseNewSource(source: RosterDb): void {
  if (!source.created) return;
  throw new NotFoundError(
    `${source.location} was empty (roster has just set up its tables there); there is nothing to copy`,
    'check --db or ROSTER_DB: it names the database to copy from',
  );
}
