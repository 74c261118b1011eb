import type BetterSqlite3 from 'better-sqlite3';
import type { Compilable } from 'kysely';

/**
 * Hot bulk paths (imports, batches over 100,000 users) cannot afford to
 * build and prepare a query per row. The SQL is still written with Kysely's
 * builder, compiled once with named markers in place of the values, and run
 * as a prepared statement with the values bound by name.
 */
const MARKER = '\u0000param:';

/** A placeholder value for a named parameter, to use inside a Kysely query. */
export function param<T>(name: string): T {
  return `${MARKER}${name}` as unknown as T;
}

export interface Prepared<P extends string> {
  run(values: Record<P, unknown>): BetterSqlite3.RunResult;
  get<R>(values: Record<P, unknown>): R | undefined;
  all<R>(values: Record<P, unknown>): R[];
  iterate<R>(values: Record<P, unknown>): IterableIterator<R>;
  /** Rows as arrays of column values, in the order selected: no object per row, for the hottest look-ups. */
  getTuple(values: Record<P, unknown>): unknown[] | undefined;
  allTuples(values: Record<P, unknown>): unknown[][];
}

export function prepare<P extends string = never>(raw: BetterSqlite3.Database, query: Compilable): Prepared<P> {
  const compiled = query.compile();
  const statement = raw.prepare(compiled.sql);
  type Slot = { kind: 'named'; name: string } | { kind: 'fixed'; value: unknown };
  const slots: Slot[] = compiled.parameters.map((value) =>
    typeof value === 'string' && value.startsWith(MARKER) ? { kind: 'named', name: value.slice(MARKER.length) } : { kind: 'fixed', value },
  );
  // A plain loop: this runs once per statement execution, 100,000s of times in a batch.
  const bind = (values: Record<string, unknown>): unknown[] => {
    const bound = new Array<unknown>(slots.length);
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      if (slot.kind === 'fixed') {
        bound[i] = slot.value;
        continue;
      }
      const value = values[slot.name];
      if (value === undefined) throw new Error(`prepared statement: no value for "${slot.name}"`);
      bound[i] = typeof value === 'boolean' ? (value ? 1 : 0) : value;
    }
    return bound;
  };
  let tupleStatement: BetterSqlite3.Statement | undefined;
  const tuples = () => (tupleStatement ??= raw.prepare(compiled.sql).raw(true));
  return {
    getTuple: (values) => tuples().get(...bind(values)) as unknown[] | undefined,
    allTuples: (values) => tuples().all(...bind(values)) as unknown[][],
    run: (values) => statement.run(...bind(values)),
    get: <R>(values: Record<P, unknown>) => statement.get(...bind(values)) as R | undefined,
    all: <R>(values: Record<P, unknown>) => statement.all(...bind(values)) as R[],
    iterate: <R>(values: Record<P, unknown>) => statement.iterate(...bind(values)) as IterableIterator<R>,
  };
}
