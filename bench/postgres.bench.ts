import { spawnSync } from 'node:child_process';
import pg from 'pg';
// The throwaway cluster of the tests (initdb in a temporary directory, a private port, fsync off).
import { findServerBinaries, startCluster } from '../scripts/pg-cluster.mjs';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { BIN, medianInterleavedMs, rateFigure, tempDir, timeFigure } from './harness';
import { writeCopyRows, writePrehashedCsv } from './import.bench';
import { buildUsersDatabase } from './users.bench';

/**
 * PostgreSQL (issue 11): start-up with a look-up and a selective search on
 * a large database, a batch deactivation selected by a filter, an import of
 * 100,000 pre-hashed users and `db copy` of a whole SQLite database, each next
 * to its raw limit in the same run. `npm run bench -- postgres`;
 * ROSTER_BENCH_PG_USERS changes the size (default 1,000,000), as
 * ROSTER_BENCH_COPY_USERS and ROSTER_BENCH_PG_IMPORT_USERS do for the copy and the import. Skipped when PostgreSQL's server
 * binaries are not installed.
 */
const USERS = Number(process.env.ROSTER_BENCH_PG_USERS || 1_000_000);
const RARE = 'zyqwert';
const DEACTIVATED = 10_000;
const IMPORTED = Number(process.env.ROSTER_BENCH_PG_IMPORT_USERS || 100_000);
const COPIED = Number(process.env.ROSTER_BENCH_COPY_USERS || 1_000_000);
const FAKE_HASH = '$2b$10$abcdefghijklmnopqrstuuQ7wP1mYy0Vq8x0e5n2JQbq2x1W7m3Gm';

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function databaseUrl(server: string, name: string): string {
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The real migrations through the CLI, then the users inserted by the server itself (generate_series). */
async function buildDatabase(url: string, users: number): Promise<void> {
  const migrate = spawnSync(process.execPath, [BIN, '--db', url, 'db', 'migrate'], { encoding: 'utf8' });
  if (migrate.status !== 0) throw new Error(`roster db migrate failed: ${migrate.stderr}`);
  await withClient(url, async (client) => {
    // Names as SQLite's bench makes them: syllables, one rare last name every 200,000 users; all folded already (ASCII).
    await client.query(
      `INSERT INTO "user" (username, username_key, email, email_key, firstname, lastname, firstname_key, lastname_key, username_fold_key, email_fold_key,
         password_hash, official_code, language, active, registered_at, last_login_at, created_by)
       SELECT u, u, u || '@example.org', u || '@example.org', f, l, lower(f), lower(l), u, u || '@example.org',
         $1, CASE WHEN i % 2 = 1 THEN 'OC-' || i END, CASE WHEN i % 3 = 0 THEN 'fr' ELSE 'en' END, CASE WHEN i % 10 = 9 THEN 0 ELSE 1 END,
         to_char(timestamp '2020-01-01' + i * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), NULL, 'bench'
       FROM (SELECT i, 'user' || lpad(i::text, 7, '0') AS u,
               (ARRAY['Elodie','Jean','Zoe','Ana','Bjorn','Chloe','Lukasz','Maria','Noel','Soren'])[1 + i % 10] AS f,
               CASE WHEN i % 200000 = 7 THEN 'Zyqwert' ELSE initcap((ARRAY['du','pont','mar','ley','ang','strom','ber','nard','gar','cia'])[1 + i % 10] || (ARRAY['lo','pez','mul','ler','ro','ssi','ko','wal','ski','van'])[1 + (i / 10) % 10]) END AS l
             FROM generate_series(0, $2::int - 1) AS i) AS s`,
      [FAKE_HASH, users],
    );
    await client.query(`INSERT INTO user_role (user_id, role) SELECT id, 'student' FROM "user" WHERE is_system = 0`);
    await client.query('VACUUM ANALYZE');
  });
}

/** The set-based statements a deactivation of these users needs at the least: the update, the tokens, one audit row each. */
async function rawDeactivation(url: string, from: string, to: string): Promise<number> {
  return withClient(url, async (client) => {
    const start = process.hrtime.bigint();
    await client.query('BEGIN');
    const ids = `SELECT id FROM "user" WHERE registered_at >= $1 AND registered_at < $2 AND active = 1 AND deleted_at IS NULL AND is_system = 0`;
    await client.query(`UPDATE "user" SET active = 0 WHERE id IN (${ids})`, [from, to]);
    await client.query(
      `DELETE FROM login_token WHERE used_at IS NULL AND user_id IN (SELECT id FROM "user" WHERE registered_at >= $1 AND registered_at < $2)`,
      [from, to],
    );
    await client.query(
      `INSERT INTO audit_log (at, actor, action, user_id, details) SELECT $3, 'bench', 'user.deactivate', id, '{"changes":[{"field":"active","before":1,"after":0}]}' FROM "user" WHERE registered_at >= $1 AND registered_at < $2 AND active = 0`,
      [from, to, new Date().toISOString()],
    );
    await client.query('COMMIT');
    return Number(process.hrtime.bigint() - start) / 1e6;
  });
}

/** The least a PostgreSQL command does: load pg, connect (SCRAM), read one user, disconnect. */
const RAW_CLIENT = `
const pg = require(${JSON.stringify(require.resolve('pg'))});
const client = new pg.Client({ connectionString: process.env.ROSTER_DB });
client.connect()
  .then(() => client.query('SELECT * FROM "user" WHERE username_key = $1', [process.argv[1]]))
  .then((result) => { if (result.rows.length !== 1) process.exit(1); return client.end(); });
`;

/** A new database on the cluster, migrated by roster itself. */
async function migratedDatabase(server: string, name: string): Promise<string> {
  await withClient(server, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = databaseUrl(server, name);
  const migrate = spawnSync(process.execPath, [BIN, '--db', url, 'db', 'migrate'], { encoding: 'utf8' });
  if (migrate.status !== 0) throw new Error(`roster db migrate failed: ${migrate.stderr}`);
  return url;
}

/** Runs psql on a database, stopping at the first error; its wall time in ms. */
function psql(bin: string, url: string, commands: string[]): number {
  const client = fs.existsSync(path.join(bin, 'psql')) ? path.join(bin, 'psql') : 'psql';
  const start = process.hrtime.bigint();
  const result = spawnSync(client, ['--no-psqlrc', '-q', '-v', 'ON_ERROR_STOP=1', '-1', ...commands.flatMap((c) => ['-c', c]), url], { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
  return ms;
}

async function countUsers(url: string): Promise<number> {
  return withClient(url, async (client) => Number((await client.query('SELECT count(*) AS n FROM "user" WHERE is_system = 0')).rows[0].n));
}

function timedRoster(args: string[], url: string): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ROSTER_DB: url },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`roster ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

/** Import of 100,000 pre-hashed users, against psql's COPY of the same rows (and their roles) into the same schema. */
async function importFigure(server: string, bin: string): Promise<void> {
  const dir = tempDir('pg-import');
  try {
    const csv = path.join(dir, 'users.csv');
    writePrehashedCsv(csv, IMPORTED);
    const rows = path.join(dir, 'copy.csv');
    const { columns } = writeCopyRows(rows, IMPORTED);
    let ours = Infinity;
    let raw = Infinity;
    // Alternate and keep the best of each: the machine is shared.
    for (let round = 0; round < 2; round++) {
      const rawUrl = await migratedDatabase(server, `bench_copy_${round}`);
      raw = Math.min(
        raw,
        psql(bin, rawUrl, [
          `\\copy "user" (${columns.join(', ')}) FROM '${rows}' WITH (FORMAT csv)`,
          `INSERT INTO user_role (user_id, role) SELECT id, 'student' FROM "user" WHERE is_system = 0`,
        ]),
      );
      const oursUrl = await migratedDatabase(server, `bench_import_${round}`);
      ours = Math.min(ours, timedRoster(['import', csv], oursUrl));
      for (const url of [rawUrl, oursUrl]) {
        const count = await countUsers(url);
        if (count !== IMPORTED) throw new Error(`import bench: ${count} users in ${new URL(url).pathname}, expected ${IMPORTED}`);
      }
    }
    rateFigure(
      `PostgreSQL: import ${IMPORTED.toLocaleString('en')} users, pre-hashed passwords (CLI, whole command)`,
      (IMPORTED / ours) * 1000,
      (IMPORTED / raw) * 1000,
      'rows/s',
      0.5,
      `raw: psql \\copy of the same rows and an INSERT … SELECT of their roles, one transaction (${(raw / 1000).toFixed(1)} s); roster ${(ours / 1000).toFixed(1)} s incl. start-up, validation, audit rows`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `roster db copy` of a whole SQLite database of COPIED users into an empty
 * PostgreSQL database, against psql's COPY of its users and roles (read out
 * of the file beforehand, not timed): the floor of any copy.
 */
async function copyFigure(server: string, bin: string): Promise<void> {
  const dir = tempDir('pg-copy');
  try {
    const file = path.join(dir, 'roster.db');
    buildUsersDatabase(file, COPIED);
    const users = path.join(dir, 'users.csv');
    const roles = path.join(dir, 'roles.csv');
    const columns = [
      'id',
      'username',
      'username_key',
      'email',
      'email_key',
      'firstname',
      'lastname',
      'firstname_key',
      'lastname_key',
      'username_fold_key',
      'email_fold_key',
      'password_hash',
      'official_code',
      'language',
      'active',
      'expires_at',
      'registered_at',
      'last_login_at',
      'created_by',
    ];
    const source = new Database(file, { readonly: true });
    const quote = (v: unknown) => (v === null ? '' : `"${String(v).replace(/"/g, '""')}"`);
    const out = fs.openSync(users, 'w');
    let batch: string[] = [];
    for (const row of source
      .prepare(`SELECT ${columns.join(', ')} FROM user WHERE is_system = 0`)
      .raw()
      .iterate() as Iterable<unknown[]>) {
      batch.push(row.map(quote).join(','));
      if (batch.length === 10_000) {
        fs.writeSync(out, `${batch.join('\n')}\n`);
        batch = [];
      }
    }
    if (batch.length) fs.writeSync(out, `${batch.join('\n')}\n`);
    fs.closeSync(out);
    fs.writeFileSync(roles, (source.prepare('SELECT user_id, role FROM user_role').raw().all() as unknown[][]).map((r) => r.join(',')).join('\n') + '\n');
    source.close();

    const rawUrl = await migratedDatabase(server, 'bench_copy_raw');
    // The fallback user the migration made would collide with the file's ids: the raw copy takes the file's.
    const rawMs = psql(bin, rawUrl, [
      'DELETE FROM "user"',
      `\\copy "user" (${columns.join(', ')}) FROM '${users}' WITH (FORMAT csv)`,
      `\\copy user_role (user_id, role) FROM '${roles}' WITH (FORMAT csv)`,
    ]);
    await withClient(server, (client) => client.query('CREATE DATABASE bench_copy_ours'));
    const oursUrl = databaseUrl(server, 'bench_copy_ours');
    const oursMs = timedRoster(['--db', file, 'db', 'copy', '--to', oursUrl], file);
    const count = await countUsers(oursUrl);
    if (count !== COPIED) throw new Error(`copy bench: ${count} users copied, expected ${COPIED}`);
    rateFigure(
      `SQLite → PostgreSQL: roster db copy of ${COPIED.toLocaleString('en')} users (with roles, extra values, audit log)`,
      (COPIED / oursMs) * 1000,
      (COPIED / rawMs) * 1000,
      'users/s',
      0.3,
      `raw: psql \\copy of the users and their roles only (${(rawMs / 1000).toFixed(1)} s); roster ${(oursMs / 1000).toFixed(1)} s`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The registration window holding the next `count` users from minute `offset` on. */
function window(offset: number, count: number): [string, string] {
  const at = (minutes: number) => new Date(Date.UTC(2020, 0, 1) + minutes * 60_000).toISOString();
  return [at(offset), at(offset + count)];
}

export async function postgresBench(): Promise<void> {
  const bin = findServerBinaries();
  if (!bin) {
    process.stdout.write("      (skipped: no PostgreSQL server binaries; install Debian's postgresql package)\n");
    return;
  }
  const cluster = await startCluster(bin);
  // Ctrl-C or a kill must not leave the cluster running (finally does not run then).
  const interrupted = (signal: NodeJS.Signals) => {
    cluster.stop();
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    await withClient(cluster.url, (client) => client.query('CREATE DATABASE bench'));
    const url = databaseUrl(cluster.url, 'bench');
    const built = Date.now();
    await buildDatabase(url, USERS);
    const label = USERS.toLocaleString('en');
    process.stdout.write(`      (built ${label} users in ${((Date.now() - built) / 1000).toFixed(1)} s)\n`);

    const node = process.execPath;
    const bareEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
    const env = { ...bareEnv, ROSTER_DB: url };
    const middle = `user${String(Math.floor(USERS / 2)).padStart(7, '0')}`;
    const [nodeMs, clientMs, showMs, searchMs] = medianInterleavedMs(
      [
        { command: node, args: ['-e', '0'], env: bareEnv },
        { command: node, args: ['-e', RAW_CLIENT, middle], env },
        { command: node, args: [BIN, 'show', middle], env },
        { command: node, args: [BIN, 'search', RARE], env },
      ],
      15,
    );
    const floor = `the floor of any PostgreSQL client here (node, require pg, connect with SCRAM, one query): ${clientMs!.toFixed(0)} ms, ${(clientMs! / nodeMs!).toFixed(2)}× node -e 0`;
    timeFigure(`PostgreSQL: roster show on ${label} users vs node -e 0`, showMs!, nodeMs!, 3, floor);
    timeFigure(`PostgreSQL: roster search ${RARE} (trigram index, ${label} users) vs node -e 0`, searchMs!, nodeMs!, 3);
    timeFigure(`PostgreSQL: roster show vs that floor`, showMs!, clientMs!, 1.5);

    // Deactivating 10,000 users selected by a filter, against the raw set-based statements on the next 10,000.
    const [ourFrom, ourTo] = window(100_000, DEACTIVATED);
    const started = process.hrtime.bigint();
    const ours = spawnSync(node, [BIN, 'deactivate', '--registered-since', ourFrom, '--registered-before', ourTo, '--yes'], { env, encoding: 'utf8' });
    const oursMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (ours.status !== 0) throw new Error(`roster deactivate failed: ${ours.stderr}`);
    const [rawFrom, rawTo] = window(200_000, DEACTIVATED);
    const rawMs = await rawDeactivation(url, rawFrom, rawTo);
    rateFigure(
      `PostgreSQL: deactivate ${DEACTIVATED.toLocaleString('en')} users selected by a filter`,
      DEACTIVATED / (oursMs / 1000),
      DEACTIVATED / (rawMs / 1000),
      'users/s',
      0.5,
      'raw: UPDATE, DELETE of tokens and INSERT … SELECT of the audit rows in one transaction',
    );

    await importFigure(cluster.url, bin);
    await copyFigure(cluster.url, bin);
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    cluster.stop();
  }
}
