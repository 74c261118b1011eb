import { UsageError, ValidationError } from '../shared/errors';
import { REPORT_REASON_COLUMN, normaliseColumnName, standardColumn } from './columns';
import { restoreNeutralised } from './csv-safety';
import { readCsv, scanCsv } from './csv-reader';
import { decodeText, type ByteSource } from './decode';
import { readJsonObjects } from './json-reader';
import { readXmlContacts } from './xml-reader';

export const FILE_FORMATS = ['csv', 'xml', 'json'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

/** One user of the file, its values aligned with UserFile.columns. */
export interface UserRecord {
  /** CSV: the line in the file (the header is line 1); XML and JSON: 1 for the first user. */
  row: number;
  values: string[];
  /** The record cannot be read as a user (wrong number of fields, nested elements…). */
  problem?: { column: string; message: string };
}

export interface ReadOptions {
  format?: FileFormat;
  encoding?: string;
  delimiter?: string;
}

/** A user file that has been read through once and found well-formed. */
export interface UserFile {
  readonly name: string;
  readonly format: FileFormat;
  /** CSV: the header; XML and JSON: every element or key met, in order of appearance. */
  readonly columns: string[];
  /** How many users it holds. */
  readonly rows: number;
  /** Reads the users again, one at a time. */
  records(): AsyncGenerator<UserRecord>;
}

/**
 * Reads the whole file once without keeping it: checks that it is
 * well-formed (quotes, encoding, XML structure, truncation) and learns its
 * columns and size, so that a bad file is refused before anything is
 * written and the progress bar knows the total.
 */
export async function scanUserFile(source: ByteSource, options: ReadOptions = {}): Promise<UserFile> {
  const format = options.format ?? (await detectFormat(source));
  const read = (scan: boolean) => readRaw(source, format, options, scan);
  const columns: string[] = [];
  let rows = 0;
  if (format === 'csv') {
    const text = decodeText(source, { encoding: options.encoding, checkMislabel: true });
    const scan = await scanCsv(text, { name: source.name, delimiter: options.delimiter });
    if (!scan.header)
      throw new ValidationError(`${source.name} is empty: no header line`, 'the first line names the columns, e.g. LastName;FirstName;Email;UserName');
    columns.push(...checkHeader(scan.header, source.name));
    rows = scan.rows;
  } else {
    const seen = new Set<string>();
    for await (const record of read(true)) {
      rows++;
      for (const name of (record.fields as Map<string, string>).keys()) {
        if (!seen.has(name)) {
          seen.add(name);
          columns.push(name);
        }
      }
    }
  }
  return {
    name: source.name,
    format,
    columns,
    rows,
    records: () => records(read(false), format, columns),
  };
}

interface RawRecord {
  row: number;
  fields: string[] | Map<string, string>;
  problem?: { field: string; message: string };
}

/** scan: the first reading, which also checks the encoding and needs only the names of XML elements. */
async function* readRaw(source: ByteSource, format: FileFormat, options: ReadOptions, scan: boolean): AsyncGenerator<RawRecord> {
  const text = decodeText(source, { encoding: options.encoding, xmlDeclaration: format === 'xml', checkMislabel: scan });
  if (format === 'csv') {
    for await (const record of readCsv(text, { name: source.name, delimiter: options.delimiter })) {
      yield { row: record.line, fields: record.cells };
    }
  } else if (format === 'xml') {
    // The scan parses every contact exactly as the import will: an error the parser would raise
    // on the second reading (nesting, a malformed contact) is found before anything is written.
    for await (const contact of readXmlContacts(text, { name: source.name })) {
      yield { row: contact.row, fields: contact.fields, problem: contact.problem };
    }
  } else {
    for await (const object of readJsonObjects(text, { name: source.name })) {
      const fields = new Map<string, string>();
      const problem = flattenJson(object.value, fields);
      yield { row: object.row, fields, problem };
    }
  }
}

async function* records(raw: AsyncGenerator<RawRecord>, format: FileFormat, columns: string[]): AsyncGenerator<UserRecord> {
  let header = format !== 'csv';
  const index = new Map(columns.map((name, i) => [name, i]));
  for await (const record of raw) {
    if (format === 'csv') {
      if (!header) {
        header = true;
        continue;
      }
      const cells = record.fields as string[];
      const values = cells.length === columns.length ? cells : alignCells(cells, columns.length);
      // A cell our export protected from spreadsheets gets its value back.
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        if (v.charCodeAt(0) === 39 /* ' */) values[i] = restoreNeutralised(v);
      }
      const problem =
        cells.length > columns.length && cells.slice(columns.length).some((c) => c.trim() !== '')
          ? { column: '', message: `has ${cells.length} fields, but the header has ${columns.length} (a delimiter inside an unquoted value?)` }
          : undefined;
      if (!problem && values.every((v) => v.trim() === '')) continue;
      yield { row: record.row, values, problem };
    } else {
      const values = new Array<string>(columns.length).fill('');
      for (const [name, value] of record.fields as Map<string, string>) {
        const at = index.get(name);
        if (at !== undefined) values[at] = value;
      }
      yield { row: record.row, values, problem: record.problem ? { column: record.problem.field, message: record.problem.message } : undefined };
    }
  }
}

/** Spreadsheets drop trailing empty cells; missing ones read as empty. */
function alignCells(cells: string[], length: number): string[] {
  if (cells.length >= length) return cells.slice(0, length);
  return [...cells, ...new Array<string>(length - cells.length).fill('')];
}

function checkHeader(header: string[], name: string): string[] {
  const names = header.map((h) => h.trim());
  const seen = new Map<string, string>();
  for (const column of names) {
    if (!column) continue;
    const key = normaliseColumnName(column);
    const before = seen.get(key);
    if (before !== undefined)
      throw new ValidationError(`${name}: the header names the column "${column}" twice${before !== column ? ` (as "${before}" and "${column}")` : ''}`);
    seen.set(key, column);
  }
  if (!names.some(Boolean)) throw new ValidationError(`${name}: the header line is empty`);
  return names;
}

/** Flattens a JSON user (roster's export shape) into column → text; returns a problem if it cannot. */
function flattenJson(value: Record<string, unknown>, fields: Map<string, string>): RawRecord['problem'] {
  let problem: RawRecord['problem'];
  for (const [key, item] of Object.entries(value)) {
    if (key === 'extra' && item && typeof item === 'object' && !Array.isArray(item)) {
      for (const [field, v] of Object.entries(item as Record<string, unknown>)) {
        if (v === null || v === undefined) continue;
        if (typeof v === 'object') problem ??= { field: `extra.${field}`, message: 'is not a plain value' };
        else fields.set(`extra.${field}`, String(v));
      }
      continue;
    }
    if (item === null || item === undefined) {
      fields.set(key, '');
    } else if (typeof item === 'string') {
      fields.set(key, item);
    } else if (typeof item === 'number' || typeof item === 'boolean') {
      fields.set(key, String(item));
    } else if (Array.isArray(item)) {
      const list: string[] = [];
      for (const element of item) {
        if (typeof element === 'string' || typeof element === 'number') list.push(String(element));
        else if (element && typeof element === 'object') {
          const entry = element as Record<string, unknown>;
          const name = entry.code ?? entry.name;
          if (typeof name !== 'string') {
            problem ??= { field: key, message: 'holds an object without "code" or "name"' };
            continue;
          }
          list.push(typeof entry.role === 'string' && standardColumn(key) === 'courses' ? `${name}:${entry.role}` : name);
        } else problem ??= { field: key, message: 'holds a value that is neither text nor an object' };
      }
      fields.set(key, list.join('|'));
    } else {
      problem ??= { field: key, message: 'is an object; expected a plain value' };
    }
  }
  return problem;
}

const EXTENSIONS: Record<string, FileFormat> = { csv: 'csv', txt: 'csv', tsv: 'csv', xml: 'xml', json: 'json', ndjson: 'json', jsonl: 'json' };

/**
 * By extension, else by the first character: `<` XML, `[` or `{` JSON,
 * anything else CSV. A .csv file that begins like XML or JSON is refused.
 */
export async function detectFormat(source: ByteSource): Promise<FileFormat> {
  const byExtension = Object.hasOwn(EXTENSIONS, source.extension) ? EXTENSIONS[source.extension] : undefined;
  if (byExtension !== 'csv' && byExtension !== undefined) return byExtension;
  const { format, first } = await formatOfContent(source);
  // A CSV file begins with its header, whose names never start with "<", "[" or "{".
  if (byExtension === 'csv' && format !== 'csv') {
    throw new ValidationError(
      `${source.name} holds ${format.toUpperCase()} (it begins with "${first}"), not CSV as its name says`,
      `give --format ${format} to read it as ${format.toUpperCase()}, or rename it`,
    );
  }
  return format;
}

/**
 * The format the first significant byte of a file says: "<" XML, "[" or "{"
 * JSON, anything else CSV. Only the first chunk is looked at: a file of a
 * gigabyte of zero bytes is refused by the reader at once, not sniffed whole.
 */
async function formatOfContent(source: ByteSource): Promise<{ format: FileFormat; first: string }> {
  for await (const chunk of source.chunks()) {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      // Byte-order marks, UTF-16 zero bytes and white space say nothing yet.
      if (b === 0xef || b === 0xbb || b === 0xbf || b === 0xff || b === 0xfe || b === 0 || b === 32 || b === 9 || b === 10 || b === 13) continue;
      const first = String.fromCharCode(b);
      if (b === 0x3c) return { format: 'xml', first };
      if (b === 0x5b || b === 0x7b) return { format: 'json', first };
      return { format: 'csv', first };
    }
    break;
  }
  return { format: 'csv', first: '' };
}

export function parseFileFormat(value: string): FileFormat {
  const format = value.trim().toLowerCase();
  if ((FILE_FORMATS as readonly string[]).includes(format)) return format as FileFormat;
  throw new UsageError(`--format must be csv, xml or json, not "${value}"`);
}

export { REPORT_REASON_COLUMN };
