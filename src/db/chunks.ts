/**
 * How many ids one statement carries (`WHERE id IN (…)`, or the rows of a
 * multi-row insert): within every engine's limit on bound parameters
 * (SQLite's is 32,766, PostgreSQL's 65,535) with room for several columns.
 */
export const IDS_PER_STATEMENT = 500;

/**
 * How many username or email keys one look-up carries: a group of an
 * import's rows (2,000) at once. PostgreSQL takes them as one array; on
 * SQLite they are 2,000 of its 32,766 parameters.
 */
export const KEYS_PER_LOOKUP = 2000;

/** The items in slices of at most `size`, for statements that take a list. */
export function* slices<T>(items: readonly T[], size = IDS_PER_STATEMENT): Generator<T[]> {
  for (let at = 0; at < items.length; at += size) yield items.slice(at, at + size);
}
