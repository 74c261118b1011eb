import { CompiledQuery, Kysely, PostgresDialect, PostgresDriver, type DatabaseConnection, type PostgresDialectConfig, type TransactionSettings } from 'kysely';
import fs from 'node:fs';
import { userInfo } from 'node:os';
import pg from 'pg';
import type CursorType from 'pg-cursor';
import { parse } from 'pg-connection-string';
import type { Database } from './schema';
import { redactUrl } from './reference';

/**
 * One writer at a time, as on SQLite: every roster transaction takes this
 * transaction-scoped advisory lock first. Without it, under READ COMMITTED,
 * two concurrent deactivations of the last two admins both pass the
 * last-admin check and leave none. The number is roster's own ("roster" in
 * ASCII); readers outside a transaction do not take it.
 */
const WRITER_LOCK = 0x726f73746572;

class WriterLockDriver extends PostgresDriver {
  override async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await super.beginTransaction(connection, settings);
    await connection.executeQuery(CompiledQuery.raw(`select pg_advisory_xact_lock(${WRITER_LOCK})`));
  }
}

class RosterPostgresDialect extends PostgresDialect {
  constructor(private readonly settings: PostgresDialectConfig) {
    super(settings);
  }
  override createDriver(): PostgresDriver {
    return new WriterLockDriver(this.settings);
  }
}

/**
 * `count(*)` and other bigints arrive as strings from pg, where a check such
 * as `count > 0` would pass by accident ("0" > 0 is false, but "10" < "9" is
 * true). roster's counts and ids fit in a double: read them as numbers.
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === (pg.types.builtins.INT8 as number) && format !== 'binary') return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
  }) as typeof pg.types.getTypeParser,
};

class ClosingClient extends pg.Client {
  override connect(): Promise<pg.Client>;
  override connect(callback: (err: Error) => void): void;
  override connect(callback?: (err: Error) => void): Promise<pg.Client> | void {
    const closeOnError = (error: Error): Error => {
      this.end().catch(() => {});
      return error;
    };
    if (!callback) {
      return super.connect().catch((error: Error) => {
        throw closeOnError(error);
      });
    }
    super.connect((error: Error) => callback(error ? closeOnError(error) : error));
  }
}

export interface PostgresConnection {
  kysely: Kysely<Database>;
  location: string;
  /** How long a connection may take: named when the server does not answer. */
  connectSeconds: number;
}

/**
 * pg-cursor, loaded when a command first streams (list, export): the others
 * do not pay its 13 ms at start-up. Kysely only ever calls `new cursor(…)`.
 */
class LazyCursor {
  constructor(...args: ConstructorParameters<typeof CursorType>) {
    const Cursor = require('pg-cursor') as typeof CursorType;
    return new Cursor(...args);
  }
}

/** How long a connection may take when the URL sets no connect_timeout (seconds, as libpq's). */
const CONNECT_TIMEOUT_S = 30;

/** Where Debian's PostgreSQL listens locally: libpq's default host, as a URL without one means. */
const LOCAL_SOCKET_DIR = '/var/run/postgresql';

/**
 * Connects to a `postgres://` URL (checked by src/db/reference.ts). The
 * password comes from the URL, else PGPASSWORD, else ~/.pgpass (or
 * PGPASSFILE), as psql finds it; `sslmode` means what it means to libpq
 * (`require` encrypts, `verify-full` also checks the certificate and host
 * name), except that `prefer` and `allow` connect without SSL: pg cannot
 * fall back from one to the other. One connection: roster's commands run
 * one statement at a time, as on SQLite.
 */
export function connectPostgres(url: string, lockTimeoutMs: number): PostgresConnection {
  const parsed = parse(url, { useLibpqCompat: true });
  const sslmode = new URL(url).searchParams.get('sslmode');
  const host = parsed.host || (fs.existsSync(LOCAL_SOCKET_DIR) ? LOCAL_SOCKET_DIR : 'localhost');
  const port = parsed.port ? Number(parsed.port) : 5432;
  const user = parsed.user || process.env.PGUSER || userInfo().username;
  const database = parsed.database || user;
  const connectSeconds = Number(parsed.connect_timeout) > 0 ? Number(parsed.connect_timeout) : CONNECT_TIMEOUT_S;
  const pool = new pg.Pool({
    Client: ClosingClient,
    host,
    port,
    user,
    database,
    ssl: sslmode === 'prefer' || sslmode === 'allow' ? false : (parsed.ssl as pg.PoolConfig['ssl']),
    // pg takes undefined for "no password": the server's refusal then says so (src/db/unusable-database.ts).
    password: (() => passwordFor(parsed.password, { host, port, database, user })) as () => Promise<string>,
    connectionTimeoutMillis: connectSeconds * 1000,
    max: 1,
    application_name: 'roster',
    // A writer waits this long for another one (or a row lock) before giving up (exit 8).
    options: `-c lock_timeout=${lockTimeoutMs} -c client_min_messages=warning`,
    types,
  });
  // A dropped idle connection must not crash the process with an unhandled 'error' event.
  pool.on('error', () => {});
  const kysely = new Kysely<Database>({ dialect: new RosterPostgresDialect({ pool, cursor: LazyCursor as unknown as PostgresDialectConfig['cursor'] }) });
  return { kysely, location: redactUrl(url), connectSeconds };
}

/** The URL's password, else PGPASSWORD, else the matching line of ~/.pgpass; undefined when none is known. */
function passwordFor(inUrl: string | undefined, target: { host: string; port: number; database: string; user: string }): Promise<string | undefined> {
  if (inUrl) return Promise.resolve(inUrl);
  if (process.env.PGPASSWORD) return Promise.resolve(process.env.PGPASSWORD);
  // Loaded only here: most connections have their password already (10 ms saved at each start).
  const pgpass = require('pgpass') as typeof import('pgpass').default;
  return new Promise((resolve) => pgpass({ ...target, port: String(target.port) }, (found) => resolve(found)));
}
