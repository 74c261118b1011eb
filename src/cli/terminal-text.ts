import { escapeCharacter, UNSAFE_CHARACTER } from '../core/unsafe-text';

const EVERY_UNSAFE = new RegExp(UNSAFE_CHARACTER.source, 'gu');
// roster's own colours (SGR: ESC [ … m), line breaks and tabs pass; any other unsafe character is escaped.
const UNSAFE_IN_LINE = new RegExp(`(\\u001b\\[[0-9;]*m)|[\\n\\t]|${UNSAFE_CHARACTER.source}`, 'gu');

/**
 * A stored value shown to a person: every control or invisible character is
 * written as an escape (`\x1b`, `\u202e`), so that a hostile value cannot
 * clear or retitle the terminal, nor display as something else. Validation
 * refuses them on input; this is the second line of defence (older rows,
 * other programs writing the database, names read from files).
 */
export function escapeValue(text: string): string {
  return UNSAFE_CHARACTER.test(text) ? text.replace(EVERY_UNSAFE, escapeCharacter) : text;
}

/** Text of several lines (CSV, XML) for a person's terminal: CRLF line ends shown as line ends, the rest escaped. */
export function forTerminal(text: string): string {
  return escapeLine(text.replace(/\r\n/g, '\n'));
}

/**
 * A whole line (or block) of output: the same, but line breaks and tabs
 * pass, and, when roster colours the output (a terminal without NO_COLOR),
 * colour codes pass too (a value can then at worst change a colour; with
 * colours off every escape character comes from a value and is escaped).
 */
export function escapeLine(text: string, keepColours = false): string {
  if (!UNSAFE_CHARACTER.test(text)) return text;
  return text.replace(UNSAFE_IN_LINE, (match: string, colour?: string) =>
    (colour && keepColours) || match === '\n' || match === '\t' ? match : escapeCharacter(match),
  );
}
