/**
 * A JSON array written item by item, one item a line, so that any number of
 * users fits in bounded memory: `[`, then each item, then the closing text.
 * list, search, export and the batches' --json output all write it this way.
 */
export const JSON_ARRAY_OPENING = '[';

/** The text of the item at `index` (0 for the first). */
export function jsonArrayItem(item: unknown, index: number): string {
  return `${index === 0 ? '\n' : ',\n'}  ${JSON.stringify(item)}`;
}

/** What closes an array of `count` items. */
export function jsonArrayClosing(count: number): string {
  return count ? '\n]\n' : ']\n';
}
