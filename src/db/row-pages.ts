import type { CompiledQuery } from 'kysely';
import type { RosterDb } from './database';

/** Rows per page: enough to spread the cost of each step, few enough for bounded memory. */
const PAGE_ROWS = 1000;

/**
 * Streams a query's rows a page at a time, in bounded memory: on SQLite
 * straight from a prepared better-sqlite3 statement (a million users row by
 * row through Kysely's async stream cost a tenth of a listing), on
 * PostgreSQL through a cursor. Nothing else may use the connection until the
 * stream ends or is closed.
 */
export async function* streamPages<R>(db: RosterDb, query: CompiledQuery): AsyncGenerator<R[]> {
  if (db.engine === 'sqlite') {
    let page: R[] = [];
    for (const row of db.raw.prepare(query.sql).iterate(...(query.parameters as unknown[])) as IterableIterator<R>) {
      page.push(row);
      if (page.length === PAGE_ROWS) {
        yield page;
        page = [];
      }
    }
    if (page.length) yield page;
    return;
  }
  for await (const result of db.kysely.getExecutor().stream<R>(query as CompiledQuery<R>, PAGE_ROWS)) {
    if (result.rows.length) yield result.rows;
  }
}
