import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, openSqlite, resolveDatabaseReference } from '../../src/db/database';
import { unusableDatabase } from '../../src/db/unusable-database';
import { latestSchemaVersion, migrateToLatest, migrationStatus } from '../../src/db/migrator';
import { createTestDatabase, dropTestDatabase, ENGINE, itOnSqlite } from '../support/engine';
import { caught, openTestDatabase } from './helpers';

const MIGRATIONS = [
  '0001_users',
  '0002_courses',
  '0003_lifecycle',
  '0004_list_order',
  '0005_secure_erase',
  '0006_folded_search',
  '0007_look_alike_keys',
  '0008_folded_identity_search',
  '0009_postgres_search',
  '0010_postgres_look_alike_index',
  '0011_mail_notice',
];

describe('the database', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-db-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is found at --db, else $ROSTER_DB, else under $XDG_DATA_HOME, else ~/.local/share', () => {
    const env = { ROSTER_DB: 'from-env.db', XDG_DATA_HOME: '/xdg' };
    expect(resolveDatabaseReference('opt.db', env)).toBe(path.resolve('opt.db'));
    expect(resolveDatabaseReference(undefined, env)).toBe(path.resolve('from-env.db'));
    expect(resolveDatabaseReference(undefined, { XDG_DATA_HOME: '/xdg' })).toBe('/xdg/roster/roster.db');
    expect(resolveDatabaseReference(undefined, { XDG_DATA_HOME: '' })).toBe(path.join(os.homedir(), '.local', 'share', 'roster', 'roster.db'));
  });

  itOnSqlite('is created with its directories (0700) as a private file (0600), in WAL mode, with foreign keys and a busy timeout', async () => {
    const file = path.join(dir, 'a', 'b', 'roster.db');
    const db = await openSqlite(file);
    try {
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.join(dir, 'a')).mode & 0o777).toBe(0o700);
      expect(fs.statSync(path.join(dir, 'a', 'b')).mode & 0o777).toBe(0o700);
      expect(db.raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.raw.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.raw.pragma('busy_timeout', { simple: true })).toBe(30000);
      // The WAL holds the same data as the database: SQLite gives it the same mode.
      db.raw.prepare("INSERT INTO setting (key, value) VALUES ('k', 'v')").run();
      expect(fs.statSync(`${file}-wal`).mode & 0o777).toBe(0o600);
      // Foreign keys are enforced.
      expect(() => db.raw.prepare("INSERT INTO user_role (user_id, role) VALUES (999999, 'student')").run()).toThrow(/FOREIGN KEY/);
    } finally {
      await db.close();
    }
  });

  it('is migrated to the latest schema, and migrating again applies nothing', async () => {
    const test = await openTestDatabase();
    try {
      const states = await migrationStatus(test.db);
      expect(states.map((s) => s.name)).toEqual(MIGRATIONS);
      expect(states.every((s) => s.appliedAt !== null)).toBe(true);
      expect(await migrateToLatest(test.db)).toEqual({ applied: [] });
      expect(await test.rows('SELECT username, is_system, password_hash, active FROM "user"')).toEqual([
        { username: 'fallback', is_system: 1, password_hash: null, active: 0 },
      ]);
      // Foreign keys are enforced on both engines. (Matched by message: better-sqlite3's error class
      // belongs to the first test file of the jest worker that loaded it, so instanceof Error may fail here.)
      await expect(test.execute("INSERT INTO user_role (user_id, role) VALUES (999999, 'student')")).rejects.toMatchObject({
        message: expect.stringMatching(/foreign key/i),
      });
    } finally {
      await test.cleanup();
    }
  });

  itOnSqlite('records its schema version in the file and holds every table, the search index included', async () => {
    const db = await openSqlite(path.join(dir, 'migrated.db'));
    try {
      expect(db.raw.pragma('user_version', { simple: true })).toBe(latestSchemaVersion());
      const tables = (db.raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
      expect(tables).toEqual(
        expect.arrayContaining([
          'user',
          'user_role',
          'extra_field',
          'user_extra_value',
          'audit_log',
          'course',
          'training_session',
          'session_course',
          'course_user',
          'session_user',
          'login_token',
          'setting',
          'user_search',
          'mail_notice',
        ]),
      );
    } finally {
      await db.close();
    }
  });

  it('can be opened without migrating (db status), and then shows pending migrations', async () => {
    const url = ENGINE === 'postgres' ? createTestDatabase({ empty: true }) : undefined;
    const db = await openDatabase(url ?? path.join(dir, 'fresh.db'), { migrate: false });
    try {
      expect((await migrationStatus(db)).map((s) => s.appliedAt)).toEqual(new Array(MIGRATIONS.length).fill(null));
      expect((await migrateToLatest(db)).applied).toEqual(MIGRATIONS);
    } finally {
      await db.close();
      if (url) dropTestDatabase(url);
    }
  });

  // Only SQLite files exist from before PostgreSQL came (schema 9).
  itOnSqlite('upgrades a database of schema 3: names get their sort keys, the list order its indexes', async () => {
    const db = await openSqlite(path.join(dir, 'old.db'), { migrate: false });
    try {
      const { Migrator } = await import('kysely');
      const { migrations } = await import('../../migrations');
      await new Migrator({ db: db.kysely, provider: { getMigrations: async () => migrations } }).migrateTo('0003_lifecycle');
      db.raw.pragma('user_version = 3');
      const insert = db.raw.prepare(
        "INSERT INTO user (username, username_key, email, email_key, firstname, lastname, language, active, registered_at) VALUES (?, ?, ?, ?, ?, ?, 'en', 1, '2026-01-01T00:00:00Z')",
      );
      insert.run('zoe', 'zoe', 'zoe@example.org', 'zoe@example.org', 'Zoë', 'Ångström');
      insert.run('bob', 'bob', 'bob@example.org', 'bob@example.org', 'Bob', 'de Vries');
      expect((await migrateToLatest(db)).applied).toEqual([
        '0004_list_order',
        '0005_secure_erase',
        '0006_folded_search',
        '0007_look_alike_keys',
        '0008_folded_identity_search',
        '0009_postgres_search',
        '0010_postgres_look_alike_index',
        '0011_mail_notice',
      ]);
      expect(db.raw.prepare('SELECT username, firstname_key, lastname_key FROM user WHERE is_system = 0 ORDER BY lastname_key').all()).toEqual([
        { username: 'zoe', firstname_key: 'zoe', lastname_key: 'angstrom' },
        { username: 'bob', firstname_key: 'bob', lastname_key: 'de vries' },
      ]);
      const indexes = db.raw
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'user' AND name IN ('user_lastname_idx', 'user_deleted_idx')")
        .all() as { name: string; sql: string }[];
      expect(indexes.find((i) => i.name === 'user_lastname_idx')?.sql).toContain('"lastname_key", "firstname_key"');
      expect(indexes.find((i) => i.name === 'user_deleted_idx')?.sql).toMatch(/where "deleted_at" is not null/i);
    } finally {
      await db.close();
    }
  });

  itOnSqlite('refuses a path it cannot create, without hanging, as not found (exit 3)', async () => {
    const file = path.join(dir, 'plain-file');
    fs.writeFileSync(file, '');
    expect(await caught(openSqlite(path.join(file, 'sub', 'roster.db')))).toMatchObject({
      exitCode: 3,
      message: expect.stringContaining('a part of the path is a file, not a directory (ENOTDIR)'),
    });
    if (fs.existsSync('/proc/self')) {
      expect(await caught(openSqlite('/proc/roster-test/deeper/roster.db'))).toMatchObject({
        exitCode: 3,
        message: expect.stringContaining('cannot create the database /proc/roster-test/deeper/roster.db'),
      });
    }
  });

  itOnSqlite('refuses a file that is not a database (exit 3), leaving it untouched', async () => {
    const file = path.join(dir, 'notes.txt');
    fs.writeFileSync(file, 'these are not the droids you are looking for; '.repeat(20));
    const before = fs.readFileSync(file);
    expect(await caught(openSqlite(file))).toMatchObject({ exitCode: 3, message: `cannot open the database ${file}: file is not a database` });
    expect(fs.readFileSync(file)).toEqual(before);
  });

  it('names a database it may not write (a read-only file or directory, seen by a non-root user) with what to check', () => {
    const readonly = Object.assign(new Error('attempt to write a readonly database'), { code: 'SQLITE_READONLY_DIRECTORY' });
    expect(unusableDatabase('/srv/r.db', readonly)).toMatchObject({
      exitCode: 3,
      message: 'cannot open the database /srv/r.db: attempt to write a readonly database',
      suggestion: expect.stringContaining('-wal and -shm files: check the owner and permissions'),
    });
    expect(unusableDatabase('/dev/null', Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_SHORT_READ' }))).toMatchObject({ exitCode: 3 });
    const other = Object.assign(new Error('constraint failed'), { code: 'SQLITE_CONSTRAINT' });
    expect(unusableDatabase('/srv/r.db', other)).toBe(other);
    // After opening, the file is not named, the rule is the same.
    expect(unusableDatabase(undefined, readonly)).toMatchObject({ exitCode: 3, message: 'cannot use the database: attempt to write a readonly database' });
  });

  it('maps a failed PostgreSQL connection, but not a file that is missing, to "cannot connect" (exit 3)', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', syscall: 'connect' });
    expect(unusableDatabase('postgres://u@h/db', refused)).toMatchObject({
      exitCode: 3,
      message: 'cannot connect to the database postgres://u@h/db: connect ECONNREFUSED 127.0.0.1:1',
    });
    const missingFile = Object.assign(new Error("ENOENT: no such file or directory, open 'x.csv'"), { code: 'ENOENT', syscall: 'open' });
    expect(unusableDatabase('postgres://u@h/db', missingFile)).toBe(missingFile);
    // A reset and a clean close are one event to the admin: the server closed the connection.
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', syscall: 'read' });
    expect(unusableDatabase('postgres://u@h/db', reset)).toMatchObject({
      exitCode: 3,
      message: 'cannot connect to the database postgres://u@h/db: the server closed the connection (read ECONNRESET)',
    });
    expect(unusableDatabase('postgres://u@h/db', new Error('Connection terminated unexpectedly'))).toMatchObject({
      exitCode: 3,
      message: 'cannot connect to the database postgres://u@h/db: the server closed the connection',
    });
    const busy = Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03' });
    expect(unusableDatabase('postgres://u@h/db', busy)).toMatchObject({ exitCode: 8 });
  });
});
