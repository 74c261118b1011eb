import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';

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

/** A scratch directory and database for one test file; removed by cleanup(). */
export class Sandbox {
  readonly dir: string;
  readonly db: string;

  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-test-'));
    this.db = path.join(this.dir, 'roster.db');
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
    return { code: result.status ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
  }

  /** Runs and parses stdout as JSON, failing loudly with stderr when the command failed. */
  json<T = unknown>(args: string[], options: RunOptions = {}): T {
    const result = this.run([...args, '--json'], options);
    if (result.code !== 0) throw new Error(`roster ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }

  /** Adds a user with sensible defaults; returns its id. */
  addUser(username: string, extra: string[] = [], roles: string[] = ['student']): number {
    const args = ['add', '--username', username, '--email', `${username}@example.org`, '--firstname', cap(username), '--lastname', 'Tester', '--password-stdin'];
    for (const role of roles) args.push('--role', role);
    const user = this.json<{ id: number }>([...args, ...extra], { input: 'correct horse battery\n' });
    return user.id;
  }

  /** Opens the database file directly, to check what a command really wrote. */
  query<T = Record<string, unknown>>(sql: string, ...params: unknown[]): T[] {
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

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
