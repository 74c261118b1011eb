import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { redactUrl } from '../../src/db/reference';
import { batchOnTestDatabase, createTestDatabase, dropTestDatabase, ENGINE, queryTestDatabase, testPassword, type Statement } from '../support/engine';

export const ROOT = path.resolve(__dirname, '..', '..');
export const BIN = path.join(ROOT, 'bin', 'roster');
export const FIXTURES = path.join(ROOT, 'fixtures');
/** Freezes a run's clock at env.ROSTER_TEST_NOW (roster itself has no such setting). */
const FIXED_CLOCK = path.join(__dirname, 'fixed-clock.js');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
}

export { ENGINE };

/**
 * A scratch directory and database for one test file; removed by cleanup().
 * The database is a file in the directory on SQLite, a database of the
 * throwaway cluster on PostgreSQL (ROSTER_TEST_ENGINE, scripts/test.mjs).
 */
export class Sandbox {
  readonly dir: string;
  /** What ROSTER_DB names: the file's path, or the database's URL. */
  readonly db: string;

  constructor(options: { emptyDatabase?: boolean } = {}) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-test-'));
    this.db = ENGINE === 'postgres' ? createTestDatabase({ empty: options.emptyDatabase }) : path.join(this.dir, 'roster.db');
  }

  /** Runs the built CLI as cron or a script would: no TTY, CI=true, a cheap bcrypt cost. */
  run(args: string[], options: RunOptions = {}): RunResult {
    const spawnOptions: SpawnSyncOptions = {
      cwd: options.cwd ?? this.dir,
      input: options.input ?? '',
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        HOME: this.dir,
        CI: 'true',
        NO_COLOR: '1',
        ROSTER_DB: this.db,
        ROSTER_BCRYPT_COST: '4',
        USER: 'tester',
        ...options.env,
      },
      timeout: 60_000,
      maxBuffer: 256 * 1024 * 1024,
    };
    const node = options.env?.ROSTER_TEST_NOW ? ['--require', FIXED_CLOCK, BIN] : [BIN];
    const result = spawnSync(process.execPath, [...node, ...args], spawnOptions);
    if (result.error) throw result.error;
    const run = { code: result.status ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
    // Every run on PostgreSQL connects with the cluster's password: it must never be printed.
    const password = testPassword();
    if (password && (run.stdout.includes(password) || run.stderr.includes(password))) throw new Error(`roster ${args.join(' ')} printed the database password`);
    return run;
  }

  /** Runs and parses stdout as JSON, failing loudly with stderr when the command failed. */
  json<T = unknown>(args: string[], options: RunOptions = {}): T {
    const result = this.run([...args, '--json'], options);
    if (result.code !== 0) throw new Error(`roster ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }

  /** Adds a user with sensible defaults; returns its id. */
  addUser(username: string, extra: string[] = [], roles: string[] = ['student']): number {
    const args = [
      'add',
      '--username',
      username,
      '--email',
      `${username}@example.org`,
      '--firstname',
      cap(username),
      '--lastname',
      'Tester',
      '--password-stdin',
    ];
    for (const role of roles) args.push('--role', role);
    const user = this.json<{ id: number }>([...args, ...extra], { input: 'correct horse battery\n' });
    return user.id;
  }

  /** Reads the database directly, to check what a command really wrote (`?` placeholders, portable SQL). */
  query<T = Record<string, unknown>>(sql: string, ...params: unknown[]): T[] {
    if (ENGINE === 'postgres') return queryTestDatabase<T>(this.db, sql, params);
    const db = new Database(this.db, { readonly: true });
    try {
      return db.prepare(sql).all(...params) as T[];
    } finally {
      db.close();
    }
  }

  file(name: string, content?: string | Buffer): string {
    const target = path.join(this.dir, name);
    if (content !== undefined) fs.writeFileSync(target, content);
    return target;
  }

  /** Changes the database behind roster's back, to set up a state (portable SQL, `?` placeholders). */
  execute(sql: string, ...params: unknown[]): void {
    if (ENGINE === 'postgres') {
      queryTestDatabase(this.db, sql, params);
      return;
    }
    const db = new Database(this.db);
    try {
      db.prepare(sql).run(...params);
    } finally {
      db.close();
    }
  }

  /**
   * Runs statements in one transaction (portable SQL, `?` placeholders, RETURNING
   * for ids); returns each one's rows. The database is migrated by roster first.
   */
  transaction(statements: Statement[]): Record<string, unknown>[][] {
    if (ENGINE === 'postgres') return batchOnTestDatabase(this.db, statements);
    return this.writeSqlite((db) =>
      statements.map(({ sql, params }) => {
        const statement = db.prepare(sql);
        if (statement.reader) return statement.all(...params) as Record<string, unknown>[];
        statement.run(...params);
        return [];
      }),
    );
  }

  /**
   * Works on the SQLite file itself, in one transaction (created and migrated
   * by roster first): for the set-ups that only SQLite has (its pragmas, its
   * search index).
   */
  writeSqlite<T>(work: (db: Database.Database) => T): T {
    if (ENGINE !== 'sqlite') throw new Error('writeSqlite: this test runs on SQLite only');
    if (!fs.existsSync(this.db)) {
      const result = this.run(['db', 'migrate']);
      if (result.code !== 0) throw new Error(`roster db migrate: ${result.stderr}`);
    }
    const db = new Database(this.db);
    db.pragma('foreign_keys = ON');
    try {
      return db.transaction(() => work(db))();
    } finally {
      db.close();
    }
  }

  /** What the first command on a new database says on stderr: only a new SQLite file is announced. */
  get createdNotice(): string {
    return ENGINE === 'sqlite' ? `roster: created a new, empty database at ${this.db}\n` : '';
  }

  /** Where the database is, as roster shows it: the path, or the URL with its password redacted. */
  get location(): string {
    return ENGINE === 'postgres' ? redactUrl(this.db) : this.db;
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
    if (ENGINE === 'postgres') dropTestDatabase(this.db);
  }
}

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
