import { UsageError, ValidationError } from '../shared/errors';

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
  throw new UsageError(`--delimiter must be ; , | or tab, not "${value}"`);
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
 * Streams the records of a CSV text (the header first), RFC 4180 and
 * strict: quoted fields may hold delimiters, quotes (doubled) and
 * newlines; CRLF, LF and CR end a record; empty lines are skipped. A quote
 * inside an unquoted field, text after a closing quote, a quote never
 * closed and a record over 1 MB are errors naming the line. The import
 * reads every file twice with it (a scan, then the import), so both
 * readings agree on what is valid.
 */
export async function* readCsv(text: AsyncIterable<string>, options: CsvReadOptions): AsyncGenerator<CsvRecord> {
  const iterator = text[Symbol.asyncIterator]();
  try {
    const { head, ended, delimiter } = await readHead(iterator, options);
    const parser = new CsvParser(delimiter, options, true);
    parser.feed(head);
    yield* parser.take();
    if (!ended) {
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        parser.feed(next.value);
        yield* parser.take();
      }
    }
    parser.end();
    yield* parser.take();
  } finally {
    await iterator.return?.();
  }
}

export interface CsvScan {
  header: string[] | undefined;
  /** Records after the header (empty lines not counted). */
  rows: number;
}

/** Checks a whole CSV text and counts its records, keeping only the header. */
export async function scanCsv(text: AsyncIterable<string>, options: CsvReadOptions): Promise<CsvScan> {
  let header: string[] | undefined;
  const iterator = text[Symbol.asyncIterator]();
  const { head, ended, delimiter } = await readHead(iterator, options);
  const parser = new CsvParser(delimiter, options, false);
  const collect = () => {
    for (const record of parser.take()) header ??= record.cells;
  };
  parser.feed(head);
  collect();
  if (!ended) {
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      parser.feed(next.value);
      collect();
    }
  }
  parser.end();
  collect();
  return { header, rows: Math.max(0, parser.records - 1) };
}

/** Reads up to the end of the header line, which decides the delimiter. */
async function readHead(iterator: AsyncIterator<string>, options: CsvReadOptions): Promise<{ head: string; ended: boolean; delimiter: string }> {
  const maxRecordSize = options.maxRecordSize ?? MAX_RECORD_SIZE;
  let head = '';
  let ended = false;
  while (!ended && head.indexOf('\n') === -1 && head.indexOf('\r') === -1) {
    if (head.length > maxRecordSize) {
      throw new ValidationError(`${options.name}: line 1 is longer than ${Math.round(maxRecordSize / 1024)} KB: this is not a CSV file of users`);
    }
    const next = await iterator.next();
    if (next.done) ended = true;
    else head += next.value;
  }
  const end = head.search(/[\r\n]/);
  const delimiter = options.delimiter ?? detectDelimiter(end === -1 ? head : head.slice(0, end));
  return { head, ended, delimiter };
}

const START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3;
const QUOTE = 34;
const LF = 10;
const CR = 13;

/** The state machine, fed chunk by chunk. */
class CsvParser {
  private readonly delimiter: number;
  private readonly maxRecordSize: number;
  private state = START;
  private line = 1;
  private recordLine = 1;
  private recordSize = 0;
  private afterCr = false;
  private cells: string[] = [];
  /** The current field's text gathered so far (across chunks and doubled quotes). */
  private pending = '';
  private output: CsvRecord[] = [];
  records = 0;

  constructor(
    delimiter: string,
    private readonly options: CsvReadOptions,
    /** Build every record's cells; when false only the first one (the header). */
    private readonly keepAll: boolean,
  ) {
    this.delimiter = delimiter.charCodeAt(0);
    this.maxRecordSize = options.maxRecordSize ?? MAX_RECORD_SIZE;
  }

  take(): CsvRecord[] {
    const out = this.output;
    this.output = [];
    return out;
  }

  private fail(code: keyof typeof CSV_MESSAGES, line: number): never {
    throw new ValidationError(`${this.options.name}: line ${line}: ${CSV_MESSAGES[code]}`);
  }

  private get keeping(): boolean {
    return this.keepAll || this.records === 0;
  }

  private endField(value: string): void {
    if (this.keeping) this.cells.push(value);
    this.pending = '';
  }

  private endRecord(): void {
    if (this.recordSize > 0) {
      if (this.keeping) this.output.push({ line: this.recordLine, cells: this.cells });
      this.records++;
      this.cells = [];
    }
    this.recordSize = 0;
    this.state = START;
  }

  feed(chunk: string): void {
    const d = this.delimiter;
    const n = chunk.length;
    // A field running at the end of the last chunk continues at 0.
    let runStart = this.state === UNQUOTED || this.state === QUOTED ? 0 : -1;
    for (let i = 0; i < n; i++) {
      const c = chunk.charCodeAt(i);
      if (this.afterCr) {
        this.afterCr = false;
        // The LF of a CRLF: the record and the line ended at the CR.
        if (c === LF) continue;
      }
      if (++this.recordSize > this.maxRecordSize) this.fail('CSV_MAX_RECORD_SIZE', this.recordLine);
      switch (this.state) {
        case QUOTED:
          if (c === QUOTE) {
            if (this.keeping) this.pending += chunk.slice(runStart, i);
            runStart = -1;
            this.state = QUOTE_IN_QUOTED;
          } else if (c === LF) this.line++;
          continue;
        case UNQUOTED:
          if (c === d) {
            this.endField(this.keeping ? this.pending + chunk.slice(runStart, i) : '');
            runStart = -1;
            this.state = START;
          } else if (c === LF || c === CR) {
            this.endField(this.keeping ? this.pending + chunk.slice(runStart, i) : '');
            runStart = -1;
            this.newline(c);
          } else if (c === QUOTE) this.fail('INVALID_OPENING_QUOTE', this.line);
          continue;
        case QUOTE_IN_QUOTED:
          if (c === QUOTE) {
            // A doubled quote: one quote in the value, and the field goes on.
            if (this.keeping) this.pending += '"';
            this.state = QUOTED;
            runStart = i + 1;
          } else if (c === d) {
            this.endField(this.pending);
            this.state = START;
          } else if (c === LF || c === CR) {
            this.endField(this.pending);
            this.newline(c);
          } else this.fail('CSV_INVALID_CLOSING_QUOTE', this.line);
          continue;
        default:
          // START of a field.
          if (c === QUOTE) {
            this.state = QUOTED;
            runStart = i + 1;
          } else if (c === d) {
            this.endField('');
          } else if (c === LF || c === CR) {
            // An empty line, or an empty last field.
            if (this.recordSize > 1) this.endField('');
            this.recordSize--;
            this.newline(c);
          } else {
            this.state = UNQUOTED;
            runStart = i;
          }
      }
    }
    if (runStart !== -1 && this.keeping && (this.state === UNQUOTED || this.state === QUOTED)) this.pending += chunk.slice(runStart);
  }

  private newline(c: number): void {
    this.endRecord();
    this.afterCr = c === CR;
    this.line++;
    this.recordLine = this.line;
  }

  end(): void {
    if (this.state === QUOTED) this.fail('CSV_QUOTE_NOT_CLOSED', this.recordLine);
    if (this.state === UNQUOTED || this.state === QUOTE_IN_QUOTED) this.endField(this.pending);
    else if (this.recordSize > 0) this.endField('');
    this.endRecord();
  }
}

const CSV_MESSAGES = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed (the file is truncated or a quote is missing)',
  INVALID_OPENING_QUOTE: 'a quote (") appears inside a field that does not start with one; quote the whole field and double the inner quotes',
  CSV_INVALID_CLOSING_QUOTE: 'a closing quote (") is followed by other characters; double the quotes inside a quoted field',
  CSV_MAX_RECORD_SIZE: 'the record is longer than 1 MB: this is not a CSV file of users',
};
