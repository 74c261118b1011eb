import { PostgresAdapter, type Kysely } from 'kysely';

/** The two engines roster runs on. Only src/db (and the migrations) ask which one runs. */
export type Engine = 'sqlite' | 'postgres';

/** The engine behind a Kysely instance or transaction, read from its dialect's adapter. */
export function engineOf(db: Pick<Kysely<never>, 'getExecutor'>): Engine {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}
