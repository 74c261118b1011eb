import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { foldedKey } from '../src/shared/folding';
import { openDatabase } from '../src/db/database';
import { selectUsers } from '../src/db/user-query';
import { BIN, medianInterleavedMs, memoryFigure, peakMemoryMb, peakMemoryOfNode, rateFigure, tempDir, timeFigure } from './harness';

/**
 * Issue 2: start-up, a user lookup and a selective search on a large
 * database, and the streamed CSV list. `npm run bench -- users`;
 * ROSTER_BENCH_USERS changes the size (default 1,000,000), ROSTER_BENCH_DB
 * keeps the built database in that file for the next run.
 */
const USERS = Number(process.env.ROSTER_BENCH_USERS || 1_000_000);

const FIRST = [
  'Élodie',
  'Jean',
  'Zoë',
  'Ana',
  'Björn',
  'Chloé',
  'Łukasz',
  'María',
  'Noël',
  'Søren',
  'Amélie',
  'Ömer',
  'Li',
  'Fatima',
  'Oleksandr',
  'Grace',
  'Ada',
  'Alan',
  'Nuno',
  'Inès',
  'Kofi',
  'Mei',
  'Raúl',
  'Ingrid',
  'Tomás',
  'Yūki',
  'Zoltán',
  'Agnès',
  'Hélène',
  'Jürgen',
];
const SYLLABLES = [
  'du',
  'pont',
  'mar',
  'ley',
  'ång',
  'ström',
  'ber',
  'nard',
  'gar',
  'cía',
  'lo',
  'pez',
  'mül',
  'ler',
  'ro',
  'ssi',
  'ko',
  'wal',
  'ski',
  'van',
  'dijk',
  'o',
  'brien',
  'nak',
  'amu',
  'ra',
  'sil',
  'va',
  'le',
  'roy',
];
// A last name given to a handful of users only: the selective search looks for it.
const RARE = 'Zyqwert';
const FAKE_HASH = '$2b$10$abcdefghijklmnopqrstuuQ7wP1mYy0Vq8x0e5n2JQbq2x1W7m3Gm';

function lastName(i: number): string {
  if (i % 200_000 === 7) return RARE;
  const a = SYLLABLES[i % SYLLABLES.length]!;
  const b = SYLLABLES[Math.floor(i / SYLLABLES.length) % SYLLABLES.length]!;
  const c = i % 7 === 0 ? SYLLABLES[Math.floor(i / 900) % SYLLABLES.length]! : '';
  const name = a + b + c;
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** The real migrations through the CLI, then raw inserts (indexes and the search index built once at the end). */
export function buildUsersDatabase(file: string, users: number): void {
  const env = { ...process.env, ROSTER_DB: file };
  const migrate = spawnSync(process.execPath, [BIN, 'db', 'migrate'], { env, encoding: 'utf8' });
  if (migrate.status !== 0) throw new Error(`roster db migrate failed: ${migrate.stderr}`);
  const field = spawnSync(process.execPath, [BIN, 'field', 'add', 'cohort', '--type', 'number'], { env, encoding: 'utf8' });
  if (field.status !== 0) throw new Error(`roster field add failed: ${field.stderr}`);

  const db = new Database(file);
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  const schema = db.prepare("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'user' AND type IN ('index', 'trigger') AND sql IS NOT NULL").all() as {
    type: string;
    name: string;
    sql: string;
  }[];
  for (const item of schema) db.exec(`DROP ${item.type.toUpperCase()} ${item.name}`);
  const insertUser = db.prepare(`INSERT INTO user (username, username_key, email, email_key, firstname, lastname, firstname_key, lastname_key,
      username_fold_key, email_fold_key, password_hash, official_code, language, active, expires_at, registered_at, last_login_at, created_by)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'bench')`);
  const insertRole = db.prepare('INSERT INTO user_role (user_id, role) VALUES (?, ?)');
  const insertExtra = db.prepare('INSERT INTO user_extra_value (user_id, field_id, value) VALUES (?, 1, ?)');
  const start = Date.UTC(2020, 0, 1);
  db.transaction(() => {
    for (let i = 0; i < users; i++) {
      const username = `user${String(i).padStart(7, '0')}`;
      const firstname = FIRST[i % FIRST.length]!;
      const lastname = lastName(i);
      const registered = new Date(start + i * 60_000).toISOString();
      const lastLogin = i % 10 < 7 ? new Date(start + i * 60_000 + (i % 1000) * 3_600_000).toISOString() : null;
      const { lastInsertRowid } = insertUser.run(
        username,
        username,
        `${username}@example.org`,
        `${username}@example.org`,
        firstname,
        lastname,
        foldedKey(firstname),
        foldedKey(lastname),
        username,
        `${username}@example.org`,
        FAKE_HASH,
        i % 2 ? `OC-${i}` : null,
        i % 3 ? 'en' : 'fr',
        i % 10 === 9 ? 0 : 1,
        i % 20 === 0 ? '2027-06-30T00:00:00.000Z' : null,
        registered,
        lastLogin,
      );
      insertRole.run(lastInsertRowid, 'student');
      if (i % 20 === 1) insertRole.run(lastInsertRowid, 'teacher');
      if (i % 2 === 0) insertExtra.run(lastInsertRowid, String(2020 + (i % 7)));
    }
  })();
  for (const item of schema) db.exec(item.sql);
  db.exec("INSERT INTO user_search(user_search) VALUES ('rebuild')");
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/** The SQL that `roster list --format csv` runs, as roster's own query builder compiles it (default order: last name). */
async function listQuery(file: string): Promise<{ sql: string; parameters: readonly unknown[] }> {
  const db = await openDatabase(file);
  try {
    return selectUsers(db.kysely, {}, { sort: 'lastname' }).compile();
  } finally {
    await db.close();
  }
}

/** The raw limit: better-sqlite3 iterating the same query into csv-stringify, in a process of its own. */
const RAW_CSV_SCRIPT = `
const Database = require('better-sqlite3');
const { stringify } = require('csv-stringify');
const [file, sql, params] = process.argv.slice(1);
const db = new Database(file, { readonly: true });
const out = stringify({ header: true, columns: ${JSON.stringify(['id', 'username', 'email', 'firstname', 'lastname', 'roles', 'active', 'language', 'officialCode', 'phone', 'picture', 'registeredAt', 'lastLoginAt', 'expiresAt', 'deletedAt'])} });
out.pipe(process.stdout);
const rows = db.prepare(sql).iterate(...JSON.parse(params));
function pump() {
  for (;;) {
    const next = rows.next();
    if (next.done) return out.end();
    const r = next.value;
    const ok = out.write([r.id, r.username, r.email, r.firstname, r.lastname, r.roles, r.active, r.language, r.official_code, r.phone, r.picture, r.registered_at, r.last_login_at, r.expires_at, r.deleted_at]);
    if (!ok) return out.once('drain', pump);
  }
}
pump();
`;

export async function usersBench(): Promise<void> {
  const node = process.execPath;
  const bareEnv = { PATH: process.env.PATH, HOME: process.env.HOME };

  // Start-up alone (roster --help) is the startup suite's, on each Node version.

  // ROSTER_BENCH_DB=<file> keeps the database between runs (built if missing), for profiling.
  const kept = process.env.ROSTER_BENCH_DB;
  const dir = tempDir('users');
  try {
    const file = kept ? path.resolve(kept) : path.join(dir, 'roster.db');
    if (!fs.existsSync(file)) {
      const built = Date.now();
      buildUsersDatabase(file, USERS);
      process.stdout.write(
        `      (built ${USERS.toLocaleString('en')} users in ${((Date.now() - built) / 1000).toFixed(1)} s, ${(fs.statSync(file).size / 1024 / 1024).toFixed(0)} MB)\n`,
      );
    }
    const env = { ...bareEnv, ROSTER_DB: file };
    const label = USERS.toLocaleString('en');

    const middle = `user${String(Math.floor(USERS / 2)).padStart(7, '0')}`;
    const [node2, showMs, searchMs, exactMs] = medianInterleavedMs(
      [
        { command: node, args: ['-e', '0'], env: bareEnv },
        { command: node, args: [BIN, 'show', middle], env },
        { command: node, args: [BIN, 'search', RARE.toLowerCase()], env },
        { command: node, args: [BIN, 'search', '--lastname', RARE.slice(0, 4), '--role', 'student', '--json'], env },
      ],
      21,
    );
    timeFigure(`roster show on ${label} users vs node -e 0`, showMs!, node2!, 2.5);
    timeFigure(
      `roster search ${RARE.toLowerCase()} (${USERS >= 200_000 ? Math.ceil(USERS / 200_000) : 1} of ${label} users) vs node -e 0`,
      searchMs!,
      node2!,
      2.5,
    );
    timeFigure(`roster search --lastname ${RARE.slice(0, 4)} --role student --json vs node -e 0`, exactMs!, node2!, 2.5);

    // The streamed CSV list, and what the same query gives when iterated raw into csv-stringify.
    const { sql, parameters } = await listQuery(file);
    // Both are dominated by SQLite walking the same query: each runs twice, in turn, and keeps its best time.
    const runs = { raw: [] as { ms: number; mb: number }[], ours: [] as { ms: number; mb: number }[] };
    for (let round = 0; round < 2; round++) {
      runs.raw.push(peakMemoryOfNode(['-e', RAW_CSV_SCRIPT, file, sql, JSON.stringify(parameters)], bareEnv));
      runs.ours.push(peakMemoryMb(['list', '--format', 'csv'], env));
    }
    const best = (list: { ms: number }[]) => Math.min(...list.map((r) => r.ms));
    const peak = (list: { mb: number }[]) => Math.max(...list.map((r) => r.mb));
    rateFigure(
      `roster list --format csv of ${label} users`,
      USERS / (best(runs.ours) / 1000),
      USERS / (best(runs.raw) / 1000),
      'users/s',
      0.8,
      'raw: better-sqlite3 iterate → csv-stringify; best of 2',
    );
    memoryFigure(`roster list --format csv of ${label} users, peak memory`, peak(runs.ours), peak(runs.raw), 150);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
