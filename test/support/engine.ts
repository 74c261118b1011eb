import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

/**
 * The engine this jest run tests (scripts/test.mjs runs the suite once per
 * engine): `sqlite`, or `postgres` with ROSTER_TEST_POSTGRES naming the
 * throwaway cluster's maintenance database.
 */
export const ENGINE: 'sqlite' | 'postgres' = process.env.ROSTER_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';

/** The database every test database is copied from: migrated once by scripts/test.mjs. */
export const TEMPLATE_DATABASE = 'roster_template';

const TOOL = path.join(__dirname, 'pg-tool.js');

function server(): string {
  const url = process.env.ROSTER_TEST_POSTGRES;
  if (!url) throw new Error('ROSTER_TEST_POSTGRES is not set: run the PostgreSQL tests through npm test (scripts/test.mjs)');
  return url;
}

function tool(args: string[], input = ''): string {
  const result = spawnSync(process.execPath, [TOOL, ...args], { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`pg-tool ${args[0]} failed: ${result.stderr}`);
  return result.stdout;
}

/** A new database on the test cluster, migrated (a copy of the template) unless `empty`; returns its URL. */
export function createTestDatabase(options: { empty?: boolean } = {}): string {
  // Unique across test files: jest runs several in one worker process, each with its modules anew.
  const name = `roster_test_${process.pid}_${randomBytes(6).toString('hex')}`;
  return tool(['create', server(), name, ...(options.empty ? [] : [TEMPLATE_DATABASE])]);
}

export function dropTestDatabase(url: string): void {
  tool(['drop', server(), new URL(url).pathname.slice(1)]);
}

/** Runs SQL on a test database (`?` placeholders), as the tests check what a command wrote. */
export function queryTestDatabase<T>(url: string, sql: string, params: unknown[]): T[] {
  return JSON.parse(tool(['query', url], JSON.stringify({ sql, params }))) as T[];
}

/** The cluster's password: it must never appear in roster's output. */
export function testPassword(): string | undefined {
  const url = process.env.ROSTER_TEST_POSTGRES;
  return url ? decodeURIComponent(new URL(url).password) || undefined : undefined;
}

export interface Statement {
  sql: string;
  params: unknown[];
}

/** Runs statements in one transaction on a test database; returns each one's rows. */
export function batchOnTestDatabase(url: string, statements: Statement[]): Record<string, unknown>[][] {
  return JSON.parse(tool(['batch', url], JSON.stringify(statements))) as Record<string, unknown>[][];
}

type TestFn = Parameters<typeof it>[1];

/**
 * A test that only makes sense on SQLite (the database file, its modes, its
 * write-ahead log, file-level erasure): named so, and skipped on PostgreSQL.
 */
export function itOnSqlite(name: string, fn: TestFn, timeout?: number): void {
  (ENGINE === 'sqlite' ? it : it.skip)(`${name} [SQLite only]`, fn, timeout);
}

export function describeOnSqlite(name: string, fn: () => void): void {
  (ENGINE === 'sqlite' ? describe : describe.skip)(`${name} [SQLite only]`, fn);
}

/** Tests of what only PostgreSQL has (its URL, pg_dump, VACUUM): named so, and skipped on SQLite. */
export function describeOnPostgres(name: string, fn: () => void): void {
  (ENGINE === 'postgres' ? describe : describe.skip)(`${name} [PostgreSQL only]`, fn);
}
