/**
 * Characters that must never be stored in a text field nor reach a terminal
 * raw: control characters (C0, DEL, C1), which can clear or retitle a
 * terminal, and the invisible ones (text-direction overrides and isolates,
 * zero-width characters) that make a value display as another. One list,
 * used by validation (refused on input) and by the CLI (escaped on output).
 */
// Invisible: the soft hyphen, the combining grapheme joiner, the Hangul and Mongolian fillers and
// separators, the interlinear annotation marks and the tag characters, besides the zero-width
// space and the word joiner. The zero-width joiner and non-joiner (U+200C, U+200D) are not among
// them: Indic and Persian names and emoji sequences need them.
const UNSAFE =
  '\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u061c\\u115f\\u1160\\u17b4\\u17b5\\u180b-\\u180f\\u200b\\u200e\\u200f\\u2028-\\u202e' +
  '\\u2060-\\u2064\\u2066-\\u2069\\u3164\\ufeff\\uffa0\\ufff9-\\ufffb\\u{1d173}-\\u{1d17a}\\u{e0000}-\\u{e007f}';

/** Every unsafe character, tab and line feed included. */
// The class lists single code points as escapes (U+034F combines, but is matched alone, on purpose).
// eslint-disable-next-line no-misleading-character-class
export const UNSAFE_CHARACTER = new RegExp(`[${UNSAFE}]`, 'u');

const NAMES: Record<number, string> = { 0: 'NUL', 7: 'BEL', 8: 'BS', 9: 'TAB', 10: 'LF', 13: 'CR', 27: 'ESC', 127: 'DEL', 0x9b: 'CSI', 0xfeff: 'BOM' };

/** U+001B, as validation messages write a code point. */
export function codePoint(character: string): string {
  return `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** What the character is, for a message: "U+001B (ESC), a control character". */
export function describeCharacter(character: string): string {
  const code = character.codePointAt(0)!;
  const name = NAMES[code] ? ` (${NAMES[code]})` : '';
  const kind =
    code <= 0x9f
      ? 'a control character'
      : (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069) || code === 0x061c || code === 0x200e || code === 0x200f
        ? 'a text-direction character'
        : 'an invisible character';
  return `${codePoint(character)}${name}, ${kind}`;
}

/** The first unsafe character of a value (tab allowed where a field allows it), or undefined. */
export function firstUnsafeCharacter(value: string, options: { allowTab?: boolean } = {}): string | undefined {
  if (!UNSAFE_CHARACTER.test(value)) return undefined;
  for (const character of value) {
    if (options.allowTab && character === '\t') continue;
    if (UNSAFE_CHARACTER.test(character)) return character;
  }
  return undefined;
}

/**
 * `\u001b`, `\u202e`: visible, harmless on a terminal, and the very escape
 * JSON uses, so that escaping JSON text keeps it valid and equal (a character
 * beyond U+FFFF is written as its two UTF-16 halves, as JSON does).
 */
export function escapeCharacter(character: string): string {
  let escaped = '';
  for (let i = 0; i < character.length; i++) escaped += `\\u${character.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return escaped;
}
