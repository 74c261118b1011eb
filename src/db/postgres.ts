import { CompiledQuery, Kysely, PostgresDialect, PostgresDriver, type DatabaseConnection, type PostgresDialectConfig, type TransactionSettings } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
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
    if (oid === pg.types.builtins.INT8 && format !== 'binary') return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

/**
 * `sslmode` means what it means to psql and pg_dump (libpq): `require`
 * encrypts without checking the certificate, `verify-full` checks it and
 * the host name. pg reads require as verify-full unless told otherwise.
 */
function withLibpqSslModes(url: string): string {
  const parsed = new URL(url);
  if (parsed.searchParams.has('sslmode') && !parsed.searchParams.has('uselibpqcompat')) parsed.searchParams.set('uselibpqcompat', 'true');
  return parsed.toString();
}

/**
 * A client that closes its socket when it fails to connect. pg-pool drops
 * such a client without ending it, and after a refused login (no password,
 * a wrong one) the server keeps the half-open connection for its
 * authentication_timeout (60 s): roster would print its error, then hang.
 */
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
}

/**
 * Connects to a `postgres://` URL. The password comes from the URL, else
 * PGPASSWORD, else ~/.pgpass (all three read by pg itself), and `sslmode`
 * is honoured. One connection: roster's commands run one statement at a
 * time, as on SQLite.
 */
export function connectPostgres(url: string, lockTimeoutMs: number): PostgresConnection {
  const pool = new pg.Pool({
    Client: ClosingClient,
    connectionString: withLibpqSslModes(url),
    max: 1,
    application_name: 'roster',
    // A writer waits this long for another one (or a row lock) before giving up (exit 8).
    options: `-c lock_timeout=${lockTimeoutMs} -c client_min_messages=warning`,
    types,
  });
  // A dropped idle connection must not crash the process with an unhandled 'error' event.
  pool.on('error', () => {});
  const kysely = new Kysely<Database>({ dialect: new RosterPostgresDialect({ pool, cursor: Cursor }) });
  return { kysely, location: redactUrl(url) };
}
