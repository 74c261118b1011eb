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

// Most cells need nothing: one test finds the few that need a look.
const NEEDS_WORK: Record<string, RegExp> = {};

function needsWork(delimiter: string): RegExp {
  return (NEEDS_WORK[delimiter] ??= new RegExp(`[${delimiter === '\t' ? '\\t' : `\\${delimiter}`}"\\r\\n]|^['=+\\-@\\t]`));
}

export function formatCsvCell(value: string, delimiter = ';', raw = false): string {
  if (!needsWork(delimiter).test(value)) return value;
  const cell = raw ? value : neutraliseFormula(value);
  if (cell.includes(delimiter) || cell.includes('"') || cell.includes('\n') || cell.includes('\r')) return `"${cell.replace(/"/g, '""')}"`;
  return cell;
}
