/**
 * A spreadsheet runs a cell that starts with = + - @ (or a tab or CR that
 * hides one) as a formula. Prefixing a quote makes it text; import removes
 * that prefix again so that a round trip loses nothing. A value that
 * already starts with quotes before such a character gets one more, so
 * that removing one gives it back exactly.
 */
const FORMULA_START = /^'*[=+\-@\t\r]/;
// A plain number such as -1 or -3.5 is data, not a formula: it stays as it is.
const PLAIN_NUMBER = /^[-+]?\d+(\.\d+)?$/;

export function neutraliseFormula(cell: string): string {
  return FORMULA_START.test(cell) && !PLAIN_NUMBER.test(cell) ? `'${cell}` : cell;
}

export function restoreNeutralised(cell: string): string {
  return cell.startsWith("'") && FORMULA_START.test(cell.slice(1)) ? cell.slice(1) : cell;
}
