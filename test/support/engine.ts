import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';

/**
 * The engine this jest run tests (scripts/test.mjs runs the suite once per
 * engine): `sqlite`, or `postgres` with ROSTER_TEST_POSTGRES naming the
 * throwaway cluster's maintenance database.
 */
export const ENGINE: 'sqlite' | 'postgres' = process.env.ROSTER_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';

/** The database every test database is copied from: migrated once by scripts/test.mjs. */
export const TEMPLATE_DATABASE = 'roster_template';

function server(): string {
  const url = process.env.ROSTER_TEST_POSTGRES;
  if (!url) throw new Error('ROSTER_TEST_POSTGRES is not set: run the PostgreSQL tests through npm test (scripts/test.mjs)');
  return url;
}

/** `?` placeholders numbered for PostgreSQL ($1, $2, …), outside quoted text. */
const { numbered } = require('./pg-tool.js') as { numbered: (sql: string) => string };

interface Bridge {
  port: MessagePort;
  signal: Int32Array;
  worker: Worker;
}
let bridge: Bridge | undefined;
// The worker and its connections end with the test file (jest runs the next one in the same process).
// A file's own afterAll may still drop a database after this one ran: a new worker does it, and
// holds no connection once it has (the server's connection is closed after each statement).
if (ENGINE === 'postgres')
  afterAll(async () => {
    const ending = bridge;
    bridge = undefined;
    await ending?.worker.terminate();
  });

/**
 * The tests' helpers are synchronous (a Sandbox is made in a describe block), and a child
 * process per statement cost 0.1 to 0.3 s: hundreds of them a run. Instead a worker thread
 * (pg-worker.js) holds the connections, and the test waits for its answer with Atomics.wait.
 */
function onPostgres(request: { url: string; statements?: Statement[]; transaction?: boolean; close?: boolean; once?: boolean }): unknown[][] {
  if (!bridge) {
    const { port1, port2 } = new MessageChannel();
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(path.join(__dirname, 'pg-worker.js'), { workerData: { port: port2, signal, pg: require.resolve('pg') }, transferList: [port2] });
    worker.unref();
    bridge = { port: port1, signal, worker };
  }
  Atomics.store(bridge.signal, 0, 0);
  bridge.port.postMessage({ ...request, statements: request.statements?.map((s) => ({ sql: numbered(s.sql), params: s.params })) });
  // The worker sets 1 once the answer is on the port. A wake-up with 0 still there is the late
  // notify of the previous request (the worker stores 1, this thread reads it and goes on, and
  // only then does the worker notify): wait again, or the next request would find no answer.
  const deadline = Date.now() + 120_000;
  while (Atomics.load(bridge.signal, 0) === 0) {
    const left = deadline - Date.now();
    if (left <= 0 || Atomics.wait(bridge.signal, 0, 0, left) === 'timed-out') throw new Error('the PostgreSQL test helper did not answer within 120 s');
  }
  const answer = receiveMessageOnPort(bridge.port)?.message as { results?: unknown[][]; error?: string } | undefined;
  if (!answer || answer.error !== undefined) throw new Error(`PostgreSQL test helper: ${answer?.error ?? 'no answer'}`);
  return answer.results ?? [];
}

/** Unique across test files: jest runs several in one worker process, each with its modules anew. */
function newDatabaseName(): string {
  return `roster_test_${process.pid}_${randomBytes(6).toString('hex')}`;
}

function databaseUrl(name: string): string {
  const url = new URL(server());
  url.pathname = `/${name}`;
  return url.toString();
}

/** A new database on the test cluster, migrated (a copy of the template) unless `empty`; returns its URL. */
export function createTestDatabase(options: { empty?: boolean } = {}): string {
  const name = newDatabaseName();
  onPostgres({
    url: server(),
    once: true,
    statements: [{ sql: `CREATE DATABASE "${name}"${options.empty ? '' : ` TEMPLATE "${TEMPLATE_DATABASE}"`}`, params: [] }],
  });
  return databaseUrl(name);
}

export function dropTestDatabase(url: string): void {
  onPostgres({ url, close: true });
  onPostgres({ url: server(), once: true, statements: [{ sql: `DROP DATABASE IF EXISTS "${new URL(url).pathname.slice(1)}" WITH (FORCE)`, params: [] }] });
}

/** Runs SQL on a test database (`?` placeholders), as the tests check what a command wrote. */
export function queryTestDatabase<T>(url: string, sql: string, params: unknown[]): T[] {
  return onPostgres({ url, statements: [{ sql, params }] })[0] as T[];
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
  return onPostgres({ url, statements, transaction: true }) as Record<string, unknown>[][];
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
