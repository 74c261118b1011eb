import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NotFoundError, UsageError, ValidationError } from '../shared/errors';
import { createPrivate, writeAll } from './output-file';

/**
 * Bytes of an input that can be read more than once (a scan, then the
 * import). A file is re-opened; standard input is spooled to a private file.
 */
export interface ByteSource {
  /** For messages: the file name, or "standard input". */
  readonly name: string;
  /** The file extension, lower case, without the dot ('' for stdin). */
  readonly extension: string;
  chunks(): AsyncIterable<Buffer>;
}

// Bytes read at a time. Small enough that a chunk's text (and the XML reader's buffer around it) stays
// under V8's large-object size and dies young: with 256 KB, an XML import of 100,000 users peaked
// 10-20 MB higher, each chunk's text living until a full collection.
const FILE_CHUNK = 64 * 1024;

export function fileSource(file: string): ByteSource {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new NotFoundError(`no file ${file}`, 'check the path, or give - to read standard input');
  }
  // Not a file to read, as a missing one is not (exit 3): a directory, a device.
  if (!stat.isFile() && !stat.isFIFO()) {
    throw new NotFoundError(
      `${file} ${stat.isDirectory() ? 'is a directory' : 'is not a regular file'}`,
      'give the path of the CSV, XML or JSON file to import, or - to read standard input',
    );
  }
  const dot = file.lastIndexOf('.');
  const extension = dot > file.lastIndexOf('/') ? file.slice(dot + 1).toLowerCase() : '';
  if (stat.isFIFO()) {
    // A named pipe can be read once: spooled like standard input.
    let spool: Promise<ByteSource> | undefined;
    return {
      name: file,
      extension,
      chunks: () => chunksOf((spool ??= spooledSource(fs.createReadStream(file), file))),
    };
  }
  return {
    name: file,
    extension,
    chunks: () => fs.createReadStream(file, { highWaterMark: FILE_CHUNK }) as AsyncIterable<Buffer>,
  };
}

async function* chunksOf(source: Promise<ByteSource>): AsyncGenerator<Buffer> {
  yield* (await source).chunks();
}

/**
 * Standard input can be read only once, and the import reads its input
 * twice (a scan, then the rows): it is copied to a temporary file first,
 * readable by this process only and removed from the directory at once
 * (the open descriptor keeps it until the process ends, even after a kill).
 * Memory stays bounded whatever the size.
 */
export async function spooledSource(stream: NodeJS.ReadableStream, name = 'standard input'): Promise<ByteSource> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-input-'));
  const file = path.join(dir, 'spool');
  const shownAs = `a temporary copy of ${name} in ${os.tmpdir()}`;
  let fd: number;
  try {
    fd = createPrivate(file, shownAs, { readBack: true });
  } finally {
    fs.rmSync(file, { force: true });
    fs.rmdirSync(dir);
  }
  for await (const chunk of stream) writeAll(fd, typeof chunk === 'string' ? Buffer.from(chunk) : chunk, shownAs);
  return {
    name,
    extension: '',
    chunks: () => readFromStart(fd),
  };
}

/** The spool, from its first byte (a stream over the descriptor would close it when a reading stops early). */
async function* readFromStart(fd: number): AsyncGenerator<Buffer> {
  for (let position = 0; ;) {
    const buffer = Buffer.allocUnsafe(FILE_CHUNK);
    const read = fs.readSync(fd, buffer, 0, FILE_CHUNK, position);
    if (read === 0) return;
    position += read;
    yield buffer.subarray(0, read);
  }
}

export function bufferSource(buffer: Buffer, name: string, extension = ''): ByteSource {
  return { name, extension, chunks: () => sliceBuffer(Promise.resolve(buffer)) };
}

async function* sliceBuffer(buffer: Promise<Buffer>): AsyncGenerator<Buffer> {
  const all = await buffer;
  for (let at = 0; at < all.length; at += FILE_CHUNK) yield all.subarray(at, at + FILE_CHUNK);
}

export interface DecodeOptions {
  /** Given by the person (--encoding); wins over an XML declaration. */
  encoding?: string;
  /** Read the encoding from an XML declaration when none is given. */
  xmlDeclaration?: boolean;
  /** Also check that a file read with a legacy encoding is not in fact UTF-8 (the scan does). */
  checkMislabel?: boolean;
}

/** The name of a supported encoding, or a usage error. */
export async function checkEncodingName(name: string): Promise<string> {
  const normalised = normaliseEncoding(name);
  if (normalised === 'utf-8' || normalised === 'utf-16le' || normalised === 'utf-16be') return normalised;
  const iconv = await import('iconv-lite');
  if (!iconv.encodingExists(normalised)) {
    throw new UsageError(`unknown encoding "${name}"`, 'use utf-8, latin1, windows-1252, iso-8859-15, utf-16le, …');
  }
  return normalised;
}

function normaliseEncoding(name: string): string {
  const key = name.trim().toLowerCase();
  if (key === 'utf8' || key === 'utf-8') return 'utf-8';
  if (key === 'utf16le' || key === 'utf-16le' || key === 'utf-16' || key === 'ucs-2') return 'utf-16le';
  if (key === 'utf16be' || key === 'utf-16be') return 'utf-16be';
  return key;
}

const SNIFF_BYTES = 1024;

/** What a file that starts so is: binary formats people hand to an import by mistake. */
const MAGIC: [Buffer, string, string][] = [
  [Buffer.from('\x7fELF', 'latin1'), 'a program (ELF)', 'give the file of users, not a program'],
  [Buffer.from('SQLite format 3\0', 'latin1'), 'an SQLite database', 'export the users to CSV first (roster export users.csv, or sqlite3 -csv)'],
  [Buffer.from([0x1f, 0x8b]), 'gzip-compressed', 'decompress it first: gunzip -c file.gz | roster import - --format csv'],
  [Buffer.from('PK\x03\x04', 'latin1'), 'a zip archive (or an .xlsx/.ods spreadsheet)', 'unpack it, or save the sheet as CSV'],
  [Buffer.from('%PDF', 'latin1'), 'a PDF document', 'give the file of users as CSV, XML or JSON'],
  [Buffer.from('\x89PNG', 'latin1'), 'a PNG image', 'give the file of users as CSV, XML or JSON'],
  [Buffer.from('BZh', 'latin1'), 'bzip2-compressed', 'decompress it first: bunzip2 -c file.bz2 | roster import - --format csv'],
  [Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), 'xz-compressed', 'decompress it first: xz -dc file.xz | roster import - --format csv'],
];

/**
 * Binary content is said to be binary before any decoding: "not valid
 * UTF-8, use --encoding latin1" would send a person the wrong way.
 */
function refuseBinary(head: Buffer, name: string): void {
  for (const [magic, what, hint] of MAGIC) {
    if (head.subarray(0, magic.length).equals(magic)) throw new ValidationError(`${name} is ${what}, not a CSV, XML or JSON file of users`, hint);
  }
  // Text has no NUL bytes and few control bytes; a UTF-16 file without byte-order mark is the one exception.
  let controls = 0;
  for (const byte of head) {
    if (byte === 0) {
      throw new ValidationError(
        `${name} holds binary data (NUL bytes): it is not a CSV, XML or JSON text file`,
        'a UTF-16 file needs a byte-order mark or --encoding utf-16le',
      );
    }
    if (byte < 0x20 && byte !== 9 && byte !== 10 && byte !== 13 && byte !== 12) controls++;
  }
  if (controls > Math.max(8, head.length / 20)) throw new ValidationError(`${name} holds binary data (control bytes): it is not a CSV, XML or JSON text file`);
}

/**
 * Decodes the bytes into text, chunk by chunk. Invalid bytes for the
 * encoding, NUL bytes (binary data) and a UTF-8 file read as latin1 are
 * errors that name the file and the line, never mojibake or a crash.
 */
export async function* decodeText(source: ByteSource, options: DecodeOptions = {}): AsyncGenerator<string> {
  const iterator = source.chunks()[Symbol.asyncIterator]();
  // Gather enough bytes to read a byte-order mark and an XML declaration.
  let head: Buffer = Buffer.alloc(0);
  let ended = false;
  while (head.length < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    head = head.length ? Buffer.concat([head, next.value]) : next.value;
  }
  const { encoding, bomLength } = await chooseEncoding(head, options);
  if (bomLength === 0 && !encoding.startsWith('utf-16')) refuseBinary(head, source.name);
  const decoder = await makeDecoder(encoding, source.name);
  const mislabel = options.checkMislabel && decoder.legacy ? new Utf8Tracker() : undefined;
  let lines = 1;
  /** Characters read of the current line in earlier chunks: where a bad byte is, is said by line and column. */
  let lineChars = 0;
  const decodeChunk = (bytes: Buffer, last: boolean): string => {
    mislabel?.feed(bytes, last);
    let text: string;
    try {
      text = decoder.decode(bytes, last);
    } catch {
      const bad = firstInvalidUtf8(bytes);
      const newlines = countNewlineBytes(bytes, bad);
      const lineStart = newlines ? bytes.lastIndexOf(10, bad - 1) + 1 : 0;
      const column = (newlines ? 0 : lineChars) + [...bytes.subarray(lineStart, bad).toString('utf8')].length + 1;
      const byte = (bytes[bad] ?? 0).toString(16).toUpperCase().padStart(2, '0');
      throw new ValidationError(
        `${source.name}: line ${lines + newlines}, column ${column}: the byte 0x${byte} is not valid ${decoder.label}`,
        decoder.label === 'UTF-8' ? 'for a legacy file give its encoding, e.g. --encoding latin1 or --encoding windows-1252' : 'give the right --encoding',
      );
    }
    const nul = text.indexOf('\u0000');
    if (nul !== -1) {
      throw new ValidationError(
        `${source.name}: line ${lines + countNewlines(text, nul)}: binary data (a NUL character): this is not a CSV, XML or JSON text file`,
        'a UTF-16 file needs a byte-order mark or --encoding utf-16le',
      );
    }
    lines += countNewlines(text, text.length);
    const lastNewline = text.lastIndexOf('\n');
    // Counted in characters (code points), as the column is; a chunk without a newline is rare.
    lineChars = lastNewline === -1 ? lineChars + [...text].length : [...text.slice(lastNewline + 1)].length;
    return text;
  };
  const first = decodeChunk(head.subarray(bomLength), ended);
  if (first) yield first;
  while (!ended) {
    const next = await iterator.next();
    const last = Boolean(next.done);
    const text = decodeChunk(last ? Buffer.alloc(0) : (next.value as Buffer), last);
    if (text) yield text;
    if (last) break;
  }
  if (mislabel?.looksLikeUtf8) {
    throw new ValidationError(
      `${source.name}: the file is UTF-8, but was read as ${encoding}: accented letters would be garbled`,
      'import it as UTF-8: --encoding utf-8 (or leave --encoding out)',
    );
  }
}

async function chooseEncoding(head: Buffer, options: DecodeOptions): Promise<{ encoding: string; bomLength: number }> {
  // A byte-order mark is unambiguous and wins over everything.
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8', bomLength: 3 };
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', bomLength: 2 };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', bomLength: 2 };
  if (options.encoding) return { encoding: await checkEncodingName(options.encoding), bomLength: 0 };
  if (options.xmlDeclaration) {
    const declared = /^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/.exec(head.toString('latin1'));
    if (declared?.[1]) return { encoding: await checkEncodingName(declared[1]), bomLength: 0 };
  }
  return { encoding: 'utf-8', bomLength: 0 };
}

interface Decoder {
  label: string;
  /** A single-byte legacy encoding, where any byte decodes to something. */
  legacy: boolean;
  decode(bytes: Buffer, last: boolean): string;
}

async function makeDecoder(encoding: string, _name: string): Promise<Decoder> {
  if (encoding === 'utf-8' || encoding === 'utf-16le' || encoding === 'utf-16be') {
    // ignoreBOM: the BOM was already removed; a second one would be data.
    const decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
    return {
      label: encoding.toUpperCase(),
      legacy: false,
      decode: (bytes, last) => decoder.decode(bytes, { stream: !last }),
    };
  }
  const iconv = await import('iconv-lite');
  const decoder = iconv.getDecoder(encoding, { stripBOM: false });
  return {
    label: encoding,
    legacy: true,
    decode: (bytes, last) => decoder.write(bytes) + (last ? (decoder.end() ?? '') : ''),
  };
}

/** Follows whether bytes read with a legacy encoding would have been valid, non-ASCII UTF-8. */
class Utf8Tracker {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private valid = true;
  private highBytes = false;
  feed(bytes: Buffer, last: boolean): void {
    if (!this.valid) return;
    if (!this.highBytes && bytes.some((b) => b >= 0x80)) this.highBytes = true;
    try {
      this.decoder.decode(bytes, { stream: !last });
    } catch {
      this.valid = false;
    }
  }
  get looksLikeUtf8(): boolean {
    return this.valid && this.highBytes;
  }
}

function countNewlines(text: string, end: number): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at !== -1 && at < end; at = text.indexOf('\n', at + 1)) count++;
  return count;
}

function countNewlineBytes(bytes: Buffer, end: number): number {
  let count = 0;
  for (let at = bytes.indexOf(10); at !== -1 && at < end; at = bytes.indexOf(10, at + 1)) count++;
  return count;
}

/** The offset of the first byte that breaks UTF-8 (for messages only). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    if (i + need >= bytes.length) return need === 0 ? i + 1 : i;
    for (let k = 1; k <= need; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    i += need + 1;
  }
  return Math.max(0, bytes.length - 1);
}
