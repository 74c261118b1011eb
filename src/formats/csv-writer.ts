import { neutraliseFormula } from './csv-safety';

/**
 * One CSV line: cells quoted when they hold the delimiter, a quote or a
 * line break; formula-like cells neutralised unless `raw`.
 */
export function formatCsvLine(cells: readonly string[], delimiter = ';', raw = false): string {
  let line = '';
  for (let i = 0; i < cells.length; i++) {
    if (i) line += delimiter;
    line += formatCsvCell(cells[i]!, delimiter, raw);
  }
  return `${line}\r\n`;
}

export function formatCsvCell(value: string, delimiter = ';', raw = false): string {
  const cell = raw ? value : neutraliseFormula(value);
  if (cell.includes(delimiter) || cell.includes('"') || cell.includes('\n') || cell.includes('\r')) return `"${cell.replace(/"/g, '""')}"`;
  return cell;
}
