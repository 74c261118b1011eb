import { escapeLine } from './terminal-text';
/**
 * The user list as a table for people, drawn with box characters in the
 * look of cli-table3's compact style (which draws the small tables of courses
 * and sessions), at the speed a list of a million users needs.
 */

const ANSI = /\u001b\[[0-9;]*m/g;

const LATIN = /^[\x20-\x7e\u00a0-\u02ff]*$/;
const EMOJI = /\p{Emoji_Presentation}|\uFE0F/u;
let segmenter: Intl.Segmenter | undefined;

/** The characters as a reader sees them (an emoji sequence, a letter with its accents: one each). */
function graphemes(text: string): string[] {
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  return Array.from(segmenter.segment(text), (s) => s.segment);
}

/**
 * Columns a text takes in a terminal: escapes none, a combining mark or a
 * format character none, a wide character or an emoji (a whole sequence:
 * family, skin tone, flag) two. Latin text, the common case, is counted at once.
 */
export function displayWidth(text: string): number {
  const plain = text.includes('\u001b') ? text.replace(ANSI, '') : text;
  if (LATIN.test(plain)) return plain.length;
  return graphemes(plain.normalize('NFC')).reduce((width, grapheme) => width + graphemeWidth(grapheme), 0);
}

function graphemeWidth(grapheme: string): number {
  const code = grapheme.codePointAt(0)!;
  if (code < 0x20 || (code >= 0x7f && code < 0xa0)) return 0;
  if (isCombining(code) || /^\p{Cf}/u.test(grapheme)) return 0;
  return isWide(code) || EMOJI.test(grapheme) ? 2 : 1;
}

function isCombining(code: number): boolean {
  return (
    (code >= 0x0300 && code <= 0x036f) ||
    (code >= 0x1ab0 && code <= 0x1aff) ||
    (code >= 0x1dc0 && code <= 0x1dff) ||
    (code >= 0x20d0 && code <= 0x20ff) ||
    (code >= 0xfe00 && code <= 0xfe0f) ||
    (code >= 0xfe20 && code <= 0xfe2f) ||
    code === 0x200b ||
    code === 0x200d
  );
}

// East Asian Wide and Fullwidth ranges, and the emoji blocks.
function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0x303e) ||
    (code >= 0x3041 && code <= 0x33ff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0xa000 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1f64f) ||
    (code >= 0x1f900 && code <= 0x1f9ff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  );
}

export interface TableStyle {
  /** Wraps the header cells (bold) and the borders (dim) when colour is on. */
  head?: (text: string) => string;
  border?: (text: string) => string;
}

/**
 * A table drawn a page of rows at a time, for lists of any length in bounded
 * memory. The first page fixes the column widths (with `minWidths`), narrowed
 * to `maxWidth` (a terminal's) by shortening the widest columns first; a cell
 * wider than its column is shortened with "…" so that every row stays aligned,
 * and `shortened` tells the caller to say so.
 */
export class TableWriter {
  private widths: number[] | undefined;
  shortened = false;

  constructor(
    private readonly head: readonly string[],
    private readonly style: TableStyle = {},
    private readonly minWidths: readonly number[] = [],
    private readonly maxWidth?: number,
  ) {}

  /** The rows as lines of text; the first call draws the top and the header first. */
  rows(rows: readonly (readonly string[])[]): string {
    if (!rows.length) return '';
    // With colours on, the cells roster painted keep their colour codes; everything else is escaped.
    const colours = Boolean(this.style.head ?? this.style.border);
    const body = rows.map((row) => this.head.map((_, i) => clean(row[i] ?? '', colours)));
    const out: string[] = [];
    if (!this.widths) {
      this.widths = this.fit(this.head.map((h, i) => Math.max(displayWidth(h), this.minWidths[i] ?? 0, ...body.map((row) => displayWidth(row[i]!)))));
      out.push(this.rule('┌', '┬', '┐'), this.line(this.head, this.style.head), this.rule('├', '┼', '┤'));
    }
    for (const row of body) out.push(this.line(row));
    return out.length ? `${out.join('\n')}\n` : '';
  }

  /**
   * Narrows the widest column, one character at a time, until the table fits
   * `maxWidth`; no column gets narrower than its header or its minimum width.
   */
  private fit(widths: number[]): number[] {
    if (this.maxWidth === undefined) return widths;
    const floors = this.head.map((h, i) => Math.max(displayWidth(h), this.minWidths[i] ?? 0, 3));
    // Each column takes its width, two spaces and one border; one more border closes the line.
    let total = widths.reduce((sum, w) => sum + w + 3, 1);
    while (total > this.maxWidth) {
      let widest = -1;
      for (let i = 0; i < widths.length; i++) if (widths[i]! > floors[i]! && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
      if (widest < 0) break;
      widths[widest]!--;
      total--;
    }
    return widths;
  }

  /** The bottom line; nothing when no row was drawn. */
  end(): string {
    return this.widths ? `${this.rule('└', '┴', '┘')}\n` : '';
  }

  private rule(left: string, middle: string, right: string): string {
    return this.border(left + this.widths!.map((w) => '─'.repeat(w + 2)).join(middle) + right);
  }

  private line(cells: readonly string[], paint: (text: string) => string = (text) => text): string {
    const fitted = cells.map((cell, i) => {
      const width = this.widths![i]!;
      // Measured once: this runs for every cell of a million-row list.
      const used = displayWidth(cell);
      if (used <= width) return ` ${paint(cell)}${' '.repeat(width - used)} `;
      const text = this.shorten(cell, width);
      return ` ${paint(text)}${' '.repeat(width - displayWidth(text))} `;
    });
    return this.border('│') + fitted.join(this.border('│')) + this.border('│');
  }

  /** Cuts a cell to `width` columns, the last one an ellipsis (colour is dropped). */
  private shorten(cell: string, width: number): string {
    this.shortened = true;
    let text = '';
    let used = 0;
    for (const grapheme of graphemes(cell.replace(ANSI, ''))) {
      used += displayWidth(grapheme);
      if (used > width - 1) break;
      text += grapheme;
    }
    return `${text}…`;
  }

  private border(text: string): string {
    return this.style.border ? this.style.border(text) : text;
  }
}

/** A whole table at once: the writer's rows and end. */
export function renderTable(head: readonly string[], rows: readonly (readonly string[])[], style: TableStyle = {}): string {
  const writer = new TableWriter(head, style);
  return writer.rows(rows) + writer.end();
}

/** One line per row: line breaks and tabs become spaces, other control characters escapes. */
function clean(cell: string, keepColours: boolean): string {
  return escapeLine(cell.replace(/[\r\n\t]+/g, ' '), keepColours);
}
