/**
 * How many ids one statement carries (`WHERE id IN (…)`, or the rows of a
 * multi-row insert): within every engine's limit on bound parameters
 * (SQLite's is 32,766, PostgreSQL's 65,535) with room for several columns.
 */
export const IDS_PER_STATEMENT = 500;

/** The items in slices of at most `size`, for statements that take a list. */
export function* slices<T>(items: readonly T[], size = IDS_PER_STATEMENT): Generator<T[]> {
  for (let at = 0; at < items.length; at += size) yield items.slice(at, at + size);
}
