/**
 * The user list as a table for people, drawn with box characters in the
 * look of cli-table3's compact style (which draws the small tables of courses
 * and sessions), at the speed a list of a million users needs.
 */

const ANSI = /\u001b\[[0-9;]*m/g;

/** Columns a text takes in a terminal: escapes and combining marks none, wide characters two. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text.replace(ANSI, '').normalize('NFC')) {
    const code = char.codePointAt(0)!;
    if (code < 0x20 || (code >= 0x7f && code < 0xa0)) continue;
    if (isCombining(code)) continue;
    width += isWide(code) ? 2 : 1;
  }
  return width;
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

/** The whole table as text, one line per row, ending with a newline. */
export function renderTable(head: readonly string[], rows: readonly (readonly string[])[], style: TableStyle = {}): string {
  const clean = (cell: string) => cell.replace(/[\r\n\t]+/g, ' ');
  const body = rows.map((row) => head.map((_, i) => clean(row[i] ?? '')));
  const widths = head.map((h, i) => Math.max(displayWidth(h), ...body.map((row) => displayWidth(row[i]!))));
  const border = style.border ?? ((t: string) => t);
  const rule = (left: string, middle: string, right: string) => border(left + widths.map((w) => '─'.repeat(w + 2)).join(middle) + right);
  const line = (cells: readonly string[], paint: (t: string) => string = (t) => t) =>
    border('│') + cells.map((cell, i) => ` ${paint(cell)}${' '.repeat(widths[i]! - displayWidth(cell))} `).join(border('│')) + border('│');
  const out = [rule('┌', '┬', '┐'), line(head, style.head), rule('├', '┼', '┤'), ...body.map((row) => line(row)), rule('└', '┴', '┘')];
  return `${out.join('\n')}\n`;
}
