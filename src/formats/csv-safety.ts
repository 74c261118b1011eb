/**
 * A spreadsheet runs a cell that starts with = + - @ (or a tab or CR that
 * hides one) as a formula. Prefixing a quote makes it text; import removes
 * that prefix again so that a round trip loses nothing. A value that
 * already starts with quotes before such a character gets one more, so
 * that removing one gives it back exactly.
 */
const FORMULA_START = /^'*[=+\-@\t\r]/;

export function neutraliseFormula(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

export function restoreNeutralised(cell: string): string {
  return cell.startsWith("'") && FORMULA_START.test(cell.slice(1)) ? cell.slice(1) : cell;
}
