import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ServiceContext } from '../../src/core/context';
import { openSqlite as openDatabase, type SqliteDb as RosterDb } from '../../src/db/database';

export interface TestContext extends ServiceContext {
  readonly db: RosterDb;
  /** Moves the fixed clock. */
  setNow(iso: string): void;
  dir: string;
  cleanup(): Promise<void>;
}

/** A fresh, migrated database in a temporary directory, with a fixed clock. */
export async function tempContext(now = '2026-03-01T12:00:00.000Z'): Promise<TestContext> {
  process.env.ROSTER_BCRYPT_COST = '4';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-unit-'));
  const db = await openDatabase(path.join(dir, 'roster.db'));
  let current = new Date(now);
  return {
    db,
    actor: 'unit-tester',
    now: () => current,
    setNow(iso: string) {
      current = new Date(iso);
    },
    dir,
    async cleanup() {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
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
