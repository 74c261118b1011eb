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
  return like(text, `%${likeLiteral(part)}%`);
}

/** `text` begins with `prefix`, compared as they are. */
export function startsWith(text: Expression<unknown>, prefix: string): RawBuilder<SqlBool> {
  return like(text, `${likeLiteral(prefix)}%`);
}

/** `value` as a LIKE pattern that matches only itself: its wildcards and the escape character escaped. */
function likeLiteral(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function like(text: Expression<unknown>, pattern: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`${text} like ${pattern} escape '\\'`;
}

/**
 * A username or email key, identity (`username_key`) or folded
 * (`username_fold_key`), is one of `keys`. On PostgreSQL as one array
 * compared under COLLATE "C": the identity keys are "C" columns (0009), the
 * folded keys have btree indexes built so (0010), and pg_trgm's GIN index of
 * a folded key, which serves `=` too and which the planner misjudged while
 * an import filled the table (3.5 s for 500 keys instead of 0.4 ms), cannot
 * serve a comparison under another collation than its column's. The same rows
 * match: equality is byte equality under both collations.
 */
export function isOneOfKeys(engine: Engine, column: Expression<unknown>, keys: readonly string[]): RawBuilder<SqlBool> {
  if (engine === 'postgres') return sql<SqlBool>`${column} collate "C" = any(${[...keys]}::text[])`;
  return sql<SqlBool>`${column} in (${sql.join(keys.map((v) => sql`${v}`))})`;
}
