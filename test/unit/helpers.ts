import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { CompiledQuery } from 'kysely';
import type { CommandContext } from '../../src/cli/context';
import type { Io, Output } from '../../src/cli/io';
import type { ServiceContext } from '../../src/core/context';
import { openDatabase, type RosterDb } from '../../src/db/database';
import { createTestDatabase, dropTestDatabase, ENGINE } from '../support/engine';

/** A migrated database of the engine under test, and a directory for the files a test writes. */
export interface TestDatabase {
  readonly db: RosterDb;
  readonly dir: string;
  /** Rows of a statement (portable SQL, `?` placeholders): how a test reads what the code wrote. */
  rows<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T[]>;
  /** The first row, or undefined. */
  row<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T | undefined>;
  /** Runs a statement: how a test sets up a state the commands would not make. */
  execute(sql: string, ...params: unknown[]): Promise<void>;
  cleanup(): Promise<void>;
}

/** `?` placeholders numbered for PostgreSQL ($1, $2, …), outside quoted text: the test tool's own rule. */
const { numbered } = require('../support/pg-tool.js') as { numbered: (sql: string) => string };

/** A fresh, migrated database: an SQLite file, or on PostgreSQL a copy of the migrated template. */
export async function openTestDatabase(): Promise<TestDatabase> {
  process.env.ROSTER_BCRYPT_COST = '4';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-unit-'));
  const url = ENGINE === 'postgres' ? createTestDatabase() : undefined;
  const db = await openDatabase(url ?? path.join(dir, 'roster.db'));
  const rows = async <T>(sql: string, ...params: unknown[]): Promise<T[]> => {
    const text = db.engine === 'postgres' ? numbered(sql) : sql;
    return (await db.kysely.executeQuery<T>(CompiledQuery.raw(text, params))).rows;
  };
  return {
    db,
    dir,
    rows,
    row: async <T>(sql: string, ...params: unknown[]) => (await rows<T>(sql, ...params))[0],
    execute: async (sql: string, ...params: unknown[]) => {
      await rows(sql, ...params);
    },
    async cleanup() {
      await db.close();
      if (url) dropTestDatabase(url);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestContext extends ServiceContext, TestDatabase {
  readonly db: RosterDb;
  /** Moves the fixed clock. */
  setNow(iso: string): void;
}

/** A fresh, migrated database with a fixed clock. */
export async function tempContext(now = '2026-03-01T12:00:00.000Z'): Promise<TestContext> {
  const test = await openTestDatabase();
  let current = new Date(now);
  return {
    ...test,
    actor: 'unit-tester',
    now: () => current,
    setNow(iso: string) {
      current = new Date(iso);
    },
  };
}

/** What a thrown error looked like: its class, exit code and message. */
export async function caught(promise: Promise<unknown> | (() => unknown)): Promise<{ name: string; exitCode?: number; message: string; suggestion?: string }> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    const e = error as { name: string; exitCode?: number; message: string; suggestion?: string };
    return { name: e.name, exitCode: e.exitCode, message: e.message, suggestion: e.suggestion };
  }
  throw new Error('expected an error, but none was thrown');
}

/** What a command wrote to one of its streams. */
export class Captured implements Output {
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  once(_event: 'drain', listener: () => void): this {
    listener();
    return this;
  }
}

/** A command's context as the program builds it, on the test's database and clock; what it writes is kept in io.stdout and io.stderr. */
export interface CapturedContext extends CommandContext {
  readonly io: Io & { readonly stdout: Captured; readonly stderr: Captured };
}

/** Without a terminal, as cron runs roster: nothing prompts. `input` is what standard input holds. */
export function commandContext(test: TestContext, options: { json?: boolean; yes?: boolean; input?: string } = {}): CapturedContext {
  const stdin = Readable.from(options.input === undefined ? [] : [options.input]) as unknown as NodeJS.ReadStream;
  return {
    db: test.db,
    now: test.now,
    actor: test.actor,
    io: { stdout: new Captured(), stderr: new Captured(), stdin, interactive: false, color: false },
    json: Boolean(options.json),
    yes: Boolean(options.yes),
  };
}
