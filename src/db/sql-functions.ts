import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import type { Engine } from './engine';

/**
 * The few SQL constructs whose spelling differs between SQLite and
 * PostgreSQL, side by side: every other statement is the same on both.
 */

/** The values of a group joined into one text by `separator` (NULL for none), in `orderBy` order. */
export function joinedText(engine: Engine, value: Expression<unknown>, separator: string, orderBy?: Expression<unknown>): RawBuilder<string> {
  const order = orderBy ? sql` order by ${orderBy}` : sql``;
  return engine === 'postgres' ? sql<string>`string_agg(${value}, ${separator}${order})` : sql<string>`group_concat(${value}, ${separator}${order})`;
}

/** A group's key/value pairs as one JSON object, as text (NULL for none). */
export function jsonObjectText(engine: Engine, key: Expression<unknown>, value: Expression<unknown>): RawBuilder<string> {
  return engine === 'postgres' ? sql<string>`json_object_agg(${key}, ${value})::text` : sql<string>`json_group_object(${key}, ${value})`;
}

/** Texts concatenated. */
export function concat(...parts: Expression<unknown>[]): RawBuilder<string> {
  return sql<string>`(${sql.join(parts, sql` || `)})`;
}

/** A condition that holds for no row (`WHERE 0` is no boolean on PostgreSQL). */
export const NOTHING: RawBuilder<SqlBool> = sql<SqlBool>`1 = 0`;

/** `text` contains `part`, both compared as they are: a LIKE with the wildcards of `part` escaped. */
export function contains(text: Expression<unknown>, part: string): RawBuilder<SqlBool> {
  const pattern = `%${part.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<SqlBool>`${text} like ${pattern} escape '\\'`;
}

/**
 * `column` is one of `values`. On PostgreSQL as a semi-join on the unnested
 * array: a plain IN list of a few hundred folded keys lets the planner pick
 * the column's pg_trgm GIN index (it serves `=` too) over its btree, and on a
 * table of 50,000 users such a look-up measured 5.7 s instead of 3 ms.
 */
export function isOneOf(engine: Engine, column: Expression<unknown>, values: readonly string[]): RawBuilder<SqlBool> {
  if (engine === 'postgres') return sql<SqlBool>`${column} in (select unnest(${[...values]}::text[]))`;
  return sql<SqlBool>`${column} in (${sql.join(values.map((v) => sql`${v}`))})`;
}
