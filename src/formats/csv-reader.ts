import type { Options } from 'csv-parse';
import { ValidationError } from '../core/errors';

/** A record as read: its first line in the file and its cells. */
export interface CsvRecord {
  line: number;
  cells: string[];
}

export interface CsvReadOptions {
  /** For messages. */
  name: string;
  /** `;`, `,` or a tab; detected from the header line when not given. */
  delimiter?: string;
  /** Longest record accepted, in characters: a bigger one is not a user. */
  maxRecordSize?: number;
}

export const MAX_RECORD_SIZE = 1024 * 1024;
const DELIMITERS = [';', ',', '\t', '|'];

/** `;`, `,`, `tab`, `\t` or `|` as given to --delimiter. */
export function parseDelimiter(value: string): string {
  if (value === 'tab' || value === '\\t' || value === '\t') return '\t';
  if (value.length === 1 && DELIMITERS.includes(value)) return value;
  throw new ValidationError(`--delimiter must be ; , | or tab, not "${value}"`);
}

/**
 * Picks the delimiter from the header line: the one of `;` `,` tab that
 * occurs most outside quotes (Chamilo writes `;`, its 2.x example `,`).
 */
export function detectDelimiter(headerLine: string): string {
  const counts = new Map<string, number>();
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === ';' || ch === ',' || ch === '\t')) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  let best = ';';
  let bestCount = 0;
  for (const d of [';', ',', '\t']) {
    const n = counts.get(d) ?? 0;
    if (n > bestCount) {
      best = d;
      bestCount = n;
    }
  }
  return best;
}

/**
 * Streams the records of a CSV text (the header first). Quoted fields may
 * hold delimiters and newlines; CRLF and LF both end a record; empty lines
 * are skipped. Malformed quotes and oversized records are errors naming
 * the line.
 */
export async function* readCsv(text: AsyncIterable<string>, options: CsvReadOptions): AsyncGenerator<CsvRecord> {
  const maxRecordSize = options.maxRecordSize ?? MAX_RECORD_SIZE;
  const iterator = text[Symbol.asyncIterator]();
  // The header line decides the delimiter: read until its end.
  let head = '';
  let ended = false;
  while (!ended && head.indexOf('\n') === -1) {
    if (head.length > maxRecordSize) {
      throw new ValidationError(`${options.name}: line 1 is longer than ${Math.round(maxRecordSize / 1024)} KB: this is not a CSV file of users`);
    }
    const next = await iterator.next();
    if (next.done) ended = true;
    else head += next.value;
  }
  const newline = head.indexOf('\n');
  const delimiter = options.delimiter ?? detectDelimiter(newline === -1 ? head : head.slice(0, newline));
  const { parse } = await import('csv-parse');
  const parseOptions: Options<CsvRecord, string[]> = {
    delimiter,
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: maxRecordSize,
    on_record: (cells, context) => ({ line: context.lines - innerNewlines(cells), cells }),
  };
  const parser = parse(parseOptions as unknown as Options);
  const feed = async () => {
    if (head && !parser.write(head)) await waitDrain(parser);
    while (!ended && !parser.destroyed) {
      const next = await iterator.next();
      if (next.done || parser.destroyed) break;
      if (!parser.write(next.value)) await waitDrain(parser);
    }
    if (!parser.destroyed) parser.end();
  };
  const feeding = feed().catch((error: unknown) => parser.destroy(error as Error));
  try {
    for await (const record of parser as AsyncIterable<CsvRecord>) yield record;
  } catch (error) {
    throw csvError(error, options.name);
  } finally {
    parser.destroy();
    await feeding;
    await iterator.return?.();
  }
}

function waitDrain(parser: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      parser.off('drain', done);
      parser.off('close', done);
      resolve();
    };
    parser.once('drain', done).once('close', done);
  });
}

/** Newlines inside quoted cells: the record started that many lines earlier. */
function innerNewlines(cells: string[]): number {
  let count = 0;
  for (const cell of cells) {
    if (cell.indexOf('\n') === -1) continue;
    for (let at = cell.indexOf('\n'); at !== -1; at = cell.indexOf('\n', at + 1)) count++;
  }
  return count;
}

const CSV_MESSAGES: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed (the file is truncated or a quote is missing)',
  INVALID_OPENING_QUOTE: 'a quote (") appears inside a field that does not start with one; quote the whole field and double the inner quotes',
  CSV_INVALID_CLOSING_QUOTE: 'a closing quote (") is followed by other characters; double the quotes inside a quoted field',
  CSV_MAX_RECORD_SIZE: 'the record is longer than 1 MB: this is not a CSV file of users',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'characters follow a closing quote',
};

function csvError(error: unknown, name: string): Error {
  if (error instanceof ValidationError) return error;
  const e = error as { code?: string; lines?: number; message?: string };
  if (e.code && e.code in CSV_MESSAGES) {
    return new ValidationError(`${name}: line ${e.lines ?? '?'}: ${CSV_MESSAGES[e.code]}`);
  }
  if (e.code?.startsWith('CSV_') || e.code === 'INVALID_OPENING_QUOTE') {
    return new ValidationError(`${name}: line ${e.lines ?? '?'}: ${e.message ?? 'unreadable CSV'}`);
  }
  return error as Error;
}
