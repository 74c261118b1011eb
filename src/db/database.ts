import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { checkPostgresUrl, isDatabaseUrl, isPostgresUrl, redactUrl, refuseDatabaseUrl } from './reference';
import { CompiledQuery, Kysely, SqliteDialect, SqliteDriver, type DatabaseConnection } from 'kysely';
import { isRosterError, NotFoundError, UsageError } from '../shared/errors';
import { pauseSync } from '../shared/pause';
import { unusableDatabase } from './unusable-database';
import { foldedKey } from '../shared/folding';
import type { Database } from './schema';
import { migrateToLatest, latestSchemaVersion, appliedMigrationCount } from './migrator';

interface OpenDatabase {
  readonly kysely: Kysely<Database>;
  /** Where the database is, as it may be shown: the file's path, or the URL with its password redacted. */
  readonly location: string;
  /**
   * This run created the file, or set up roster's tables in an empty
   * PostgreSQL database: a mistyped --db or ROSTER_DB shows up at once.
   */
  readonly created: boolean;
  /** What to say on stderr when `created`. */
  readonly createdNotice: string;
  close(): Promise<void>;
}

/** An SQLite file: Kysely for queries, the raw handle for the bulk paths. */
export interface SqliteDb extends OpenDatabase {
  /** Which engine runs: known to src/db alone, for its few engine-specific statements. */
  readonly engine: 'sqlite';
  readonly raw: BetterSqlite3.Database;
  readonly path: string;
}

/** A PostgreSQL database, reached through a URL. */
export interface PostgresDb extends OpenDatabase {
  readonly engine: 'postgres';
  /** The URL as given, password included: for pg_dump and db copy only, never to be shown (use location). */
  readonly connectionUrl: string;
}

export type RosterDb = SqliteDb | PostgresDb;

/** How long a writer waits for another one (a cron job, an admin) before giving up (exit 8). */
const BUSY_TIMEOUT_MS = 30_000;

/** ROSTER_BUSY_TIMEOUT: `30s` (the default), `2m`, `500ms`, or a number of seconds. */
export function busyTimeout(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.ROSTER_BUSY_TIMEOUT?.trim();
  if (!text) return BUSY_TIMEOUT_MS;
  const match = /^(\d{1,7})(ms|s|m)?$/.exec(text);
  if (!match) throw new UsageError(`ROSTER_BUSY_TIMEOUT must be a duration such as 30s, 2m or 500ms, not "${text}"`);
  const unit = match[2] === 'ms' ? 1 : match[2] === 'm' ? 60_000 : 1000;
  return Number(match[1]) * unit;
}

/** `--db`, else `$ROSTER_DB`, else `$XDG_DATA_HOME/roster/roster.db`: a file's absolute path, or a postgres:// URL as given. */
export function resolveDatabaseReference(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  // `--db "$DB"` with DB unset must not quietly fall back to the default database.
  if (option !== undefined && !option.trim())
    throw new UsageError('--db was given an empty path', 'give the database file, e.g. --db /var/lib/roster/roster.db, or leave --db out');
  // `--db` followed by another option (`--username --db --role x`) took that option as the path.
  if (option?.startsWith('-')) {
    throw new UsageError(
      `--db was given "${option}", which looks like an option: was a value left out before it?`,
      `give the database path after --db; a file whose name starts with "-" can be written ./${option}`,
    );
  }
  if (option) return fileOrPostgresUrl(option, '--db');
  if (env.ROSTER_DB) return fileOrPostgresUrl(env.ROSTER_DB, 'ROSTER_DB');
  // node:os is loaded only here: a command given its database does not pay for it.
  const dataHome = env.XDG_DATA_HOME || path.join((require('node:os') as typeof import('node:os')).homedir(), '.local', 'share');
  return path.join(dataHome, 'roster', 'roster.db');
}

function fileOrPostgresUrl(reference: string, source: string): string {
  if (isPostgresUrl(reference)) {
    checkPostgresUrl(reference, source);
    return reference.trim();
  }
  if (isDatabaseUrl(reference)) refuseDatabaseUrl(reference, source);
  return path.resolve(reference);
}

/**
 * SQLite upgrades a deferred transaction to a write lock only at its first
 * write, and two such upgrades deadlock without waiting for the busy timeout.
 * Taking the write lock up front makes concurrent writers queue instead.
 */
class ImmediateTransactionDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class RosterSqliteDialect extends SqliteDialect {
  constructor(private readonly database: BetterSqlite3.Database) {
    super({ database });
  }
  override createDriver(): SqliteDriver {
    return new ImmediateTransactionDriver({ database: this.database });
  }
}

export interface OpenOptions {
  /** Apply pending migrations (default). `db status` opens without. */
  migrate?: boolean;
  /**
   * Create a missing file (default). Commands that only look at a database (`db status`, the source
   * of `db copy`) open without: a mistyped path is an error, not a new empty file that a later
   * command would then take as the database.
   */
  create?: boolean;
  /** Told, before it starts, of work the opening does once and that takes a while (a VACUUM after an upgrade). */
  notify?: (message: string) => void;
}

/**
 * pg asks, as it loads, whether it runs in a Cloudflare Worker: where
 * `navigator` is missing (Node 20; Node 21 and later define it), it
 * constructs a fetch Response, which loads Node's whole fetch implementation
 * and costs every PostgreSQL command about 35 ms. Define what Node 21 does.
 */
function answerNavigatorForPg(): void {
  if (typeof (globalThis as { navigator?: unknown }).navigator === 'undefined') {
    Object.defineProperty(globalThis, 'navigator', {
      value: { userAgent: `Node.js/${process.versions.node.split('.')[0]}` },
      configurable: true,
      writable: true,
    });
  }
}

/** Opens a database file, or connects to a postgres:// URL (see resolveDatabaseReference). */
export async function openDatabase(reference: string, options: OpenOptions = {}): Promise<RosterDb> {
  return isPostgresUrl(reference) ? openPostgres(reference, options) : openSqlite(reference, options);
}

/** An SQLite file, whatever the reference: for tests and tools that need its raw handle. */
export async function openSqlite(file: string, options: OpenOptions = {}): Promise<SqliteDb> {
  if (options.create === false && file !== ':memory:' && !fs.existsSync(file)) {
    throw new NotFoundError(
      `no database at ${file}`,
      'check --db or ROSTER_DB; roster creates the database at the first command that uses it (roster db migrate makes it ready)',
    );
  }
  const { raw, created } = openRaw(file);
  const kysely = new Kysely<Database>({ dialect: new RosterSqliteDialect(raw) });
  const db: SqliteDb = {
    engine: 'sqlite',
    kysely,
    raw,
    path: file,
    location: file,
    created,
    createdNotice: `created a new, empty database at ${file}`,
    close: () => kysely.destroy(),
  };
  if (options.migrate !== false && currentSchemaVersion(raw) !== latestSchemaVersion()) {
    try {
      const { applied } = await migrateToLatest(db);
      if (!created && applied.includes(SECURE_ERASE_MIGRATION)) clearOldFreePages(raw, options.notify);
    } catch (error) {
      await db.close();
      throw error;
    }
  }
  return db;
}

async function openPostgres(url: string, options: OpenOptions): Promise<PostgresDb> {
  // pg is loaded only for a PostgreSQL database: SQLite's commands do not pay for it.
  answerNavigatorForPg();
  const { connectPostgres } = await import('./postgres');
  let connection: ReturnType<typeof connectPostgres>;
  try {
    connection = connectPostgres(url, busyTimeout());
  } catch (error) {
    // The URL's own settings cannot be used (an sslrootcert that does not exist, say).
    throw new UsageError(
      `cannot use the settings of the database URL ${redactUrl(url)}: ${(error as Error).message}`,
      'check the parameters of the URL (sslmode, sslrootcert, sslcert, sslkey…)',
    );
  }
  const { kysely, location, connectSeconds } = connection;
  let created = false;
  const db: PostgresDb = {
    engine: 'postgres',
    kysely,
    location,
    connectionUrl: url,
    // Set up by this run (an empty database got roster's tables): announced as a new file is.
    get created() {
      return created;
    },
    createdNotice: `set up roster's tables in the empty database ${location}`,
    close: () => kysely.destroy(),
  };
  try {
    const applied = await appliedMigrationCount(db);
    if (options.migrate !== false && applied !== latestSchemaVersion()) {
      await migrateToLatest(db);
      created = applied === 0;
    }
  } catch (error) {
    await db.close();
    if (/timeout exceeded when trying to connect|connection timeout/i.test((error as Error).message)) {
      throw new NotFoundError(
        `cannot connect to the database ${location}: no answer within ${connectSeconds} s`,
        'check the host and port, and that the server accepts connections from this host; connect_timeout=<seconds> in the URL waits longer',
      );
    }
    throw unusableDatabase(location, error);
  }
  return db;
}

function isDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}

/** Opens the file, creating it when missing; `created`: this process made it (not another one starting at the same time). */
function openRaw(file: string): { raw: BetterSqlite3.Database; created: boolean } {
  const created = file !== ':memory:' && createPrivateFile(file);
  const timeout = busyTimeout();
  let raw: BetterSqlite3.Database;
  try {
    raw = new BetterSqlite3(file, { timeout });
  } catch (error) {
    if (isDirectory(file))
      throw new NotFoundError(
        `cannot open the database ${file}: it is a directory`,
        `give the path of a database file, e.g. --db ${path.join(file, 'roster.db')}`,
      );
    const unusable = unusableDatabase(file, error);
    if (isRosterError(unusable)) throw unusable;
    throw new NotFoundError(`cannot open the database ${file}: ${(error as Error).message}`);
  }
  try {
    switchToWal(raw, timeout);
    raw.pragma('synchronous = NORMAL');
    raw.pragma('foreign_keys = ON');
    // Deleted and overwritten records are zeroed, and so are the pages they free (FAST would
    // leave freed pages as they were): an old email or an erased name does not linger in the file.
    raw.pragma('secure_delete = ON');
  } catch (error) {
    raw.close();
    throw unusableDatabase(file, error);
  }
  raw.function('roster_fold', { deterministic: true }, foldText);
  return { raw, created };
}

/**
 * Puts the file in WAL mode, waiting up to `timeoutMs` for other processes'
 * locks. The switch needs the file to itself, and SQLite answers it busy at
 * once, without the busy handler, when another connection holds a lock (to
 * avoid a deadlock): two cron jobs starting on a new file, or a file another
 * program has open in rollback mode, would otherwise fail (exit 8) in
 * milliseconds. Already in WAL mode, the pragma only reads.
 */
function switchToWal(raw: BetterSqlite3.Database, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      raw.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      const busy = String((error as { code?: unknown }).code ?? '').startsWith('SQLITE_BUSY');
      if (!busy || Date.now() >= deadline) throw error;
      // A synchronous pause: the open path is synchronous, and nothing else runs meanwhile.
      pauseSync(25);
    }
  }
}

/** roster_fold(): lower case without accents, for the short searches that the trigram index cannot serve. */
function foldText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return foldedKey(String(value));
}

const CREATE_FAILURES: Record<string, string> = {
  ENOENT: 'that location cannot hold a new file or directory (ENOENT)',
  ENOTDIR: 'a part of the path is a file, not a directory (ENOTDIR)',
  EACCES: 'permission denied (EACCES)',
  EPERM: 'operation not permitted (EPERM)',
  EROFS: 'the file system is read-only (EROFS)',
};

/** The database holds password hashes: its file is created readable by its owner only. */
function createPrivateFile(file: string): boolean {
  if (fs.existsSync(file)) return false;
  try {
    makeDirectories(path.dirname(file));
    // O_EXCL: of several processes starting at once on a new database, one creates it (and says so).
    fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600));
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    const reason = (code && CREATE_FAILURES[code]) ?? code ?? (error as Error).message;
    throw new NotFoundError(`cannot create the database ${file}: ${reason}`, 'choose a writable location with --db <path> or ROSTER_DB');
  }
}

/**
 * `mkdir -p` with mode 0700, one level at a time. Node's own recursive mkdir
 * spins forever under /proc, where mkdir answers ENOENT for a parent that
 * exists (nodejs/node: recursive mkdir retries the parent on every ENOENT).
 */
function makeDirectories(dir: string): void {
  const missing: string[] = [];
  let current = path.resolve(dir);
  while (!fs.existsSync(current)) {
    missing.unshift(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const level of missing) {
    try {
      fs.mkdirSync(level, { mode: 0o700 });
    } catch (error) {
      // Made meanwhile by another roster starting at the same time: as good.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

const SECURE_ERASE_MIGRATION = '0005_secure_erase';

/**
 * Versions before 0005 freed pages without zeroing them (secure_delete =
 * FAST), so deleted users' data could remain on the free list. Once, when
 * such a database is upgraded, VACUUM rewrites the file without them.
 */
function clearOldFreePages(raw: BetterSqlite3.Database, notify: OpenOptions['notify']): void {
  const free = raw.pragma('freelist_count', { simple: true }) as number;
  if (free === 0) return;
  notify?.(`clearing ${free} free page(s) of earlier deletions from the database file (once, after the upgrade)`);
  raw.exec('VACUUM');
  raw.pragma('wal_checkpoint(TRUNCATE)');
}

/** Migrations record their count in user_version, so a normal start skips the migrator. */
function currentSchemaVersion(raw: BetterSqlite3.Database): number {
  return raw.pragma('user_version', { simple: true }) as number;
}
