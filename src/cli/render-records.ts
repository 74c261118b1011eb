import { write, type Io } from './io';
import { escapeValue } from './terminal-text';

/** A small table for people (courses, sessions): cli-table3, colour only on a terminal. */
export async function printTable(io: Io, head: string[], rows: unknown[][]): Promise<void> {
  const { default: Table } = await import('cli-table3');
  const table = new Table({ head, style: { compact: true, head: io.color ? ['bold'] : [], border: io.color ? ['grey'] : [] } });
  for (const row of rows) table.push(row.map((cell) => (cell === null || cell === undefined ? '' : escapeValue(String(cell)))));
  await write(io.stdout, `${table.toString()}\n`);
}
