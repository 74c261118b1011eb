/**
 * How roster compares and sorts text, the same in the core and in the
 * database layer (and on every engine): identity keys for usernames and
 * emails, the folded key for names, search and look-alikes.
 */

/** The form under which usernames and emails are compared: case-insensitive, Unicode-aware. */
export function identityKey(value: string): string {
  return value.normalize('NFC').toLowerCase();
}

/**
 * Letters that carry no combining accent to strip (a stroke, a ligature, a
 * dotless i): what a person types for them on an English keyboard.
 */
const FOLDED_LETTERS: Record<string, string> = {
  ß: 'ss',
  ẞ: 'ss',
  æ: 'ae',
  Æ: 'ae',
  œ: 'oe',
  Œ: 'oe',
  ø: 'o',
  Ø: 'o',
  đ: 'd',
  Đ: 'd',
  ð: 'd',
  Ð: 'd',
  ı: 'i',
  ł: 'l',
  Ł: 'l',
  þ: 'th',
  Þ: 'th',
  ħ: 'h',
  Ħ: 'h',
  ŧ: 't',
  Ŧ: 't',
  ŋ: 'n',
  Ŋ: 'n',
  ĸ: 'k',
};
const FOLDED_LETTER = new RegExp(`[${Object.keys(FOLDED_LETTERS).join('')}]`, 'g');
// Apostrophes and quotes disappear (O'Brien, O’Brien and OBrien are one name); every dash is "-".
const APOSTROPHES = /['’‘ʼ`´′"“”„«»]/g;
const DASHES = /[‐‑‒–—―−]/g;

/**
 * The one folding of roster: lower case, without accents, strokes and
 * ligatures (Ødegård, Đorđević, Guðmundsdóttir, Straße, Æsir, Yılmaz), without
 * apostrophes, with one kind of dash. It is how names are sorted (Ångström
 * among the A, "de Vries" among the D) and searched (the search index holds
 * the folded names: migration 0006), and how short searches compare.
 */
export function foldedKey(value: string): string {
  return value
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(FOLDED_LETTER, (letter) => FOLDED_LETTERS[letter]!)
    .replace(APOSTROPHES, '')
    .replace(DASHES, '-')
    .toLowerCase();
}

/** The key of a course code or a session name: compared ignoring case and Unicode form, and the spaces around it. */
export function recordKey(text: string): string {
  return text.trim().normalize('NFC').toLowerCase();
}

/** The start of a code or a name, as typed so far, as the start of its recordKey: a space at its end may be followed by more. */
export function recordKeyPrefix(text: string): string {
  return recordKey(text) + (/\s$/.test(text) && text.trim() ? ' ' : '');
}
