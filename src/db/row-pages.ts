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
    // Rows read as arrays and made objects here: better-sqlite3 building the objects itself took 1.45×
    // as long (100,000 users of 25 columns: 960 ms against 665 ms), a tenth of an export.
    const statement = db.raw.prepare(query.sql).raw(true);
    const columns = statement.columns().map((column) => column.name);
    let page: R[] = [];
    for (const values of statement.iterate(...(query.parameters as unknown[])) as IterableIterator<unknown[]>) {
      const row: Record<string, unknown> = {};
      for (let i = 0; i < columns.length; i++) row[columns[i]!] = values[i];
      page.push(row as R);
      if (page.length === PAGE_ROWS) {
        yield page;
        page = [];
      }
    }
    if (page.length) yield page;
    return;
  }
  for await (const result of db.kysely.getExecutor().stream<R>(query, PAGE_ROWS)) {
    if (result.rows.length) yield result.rows;
  }
}
