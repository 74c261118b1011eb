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
