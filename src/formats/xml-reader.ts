import { ValidationError } from '../shared/errors';

/** One `<Contact>` of Chamilo's `<Contacts>` layout, as element name → text. */
export interface XmlContact {
  /** 1 for the first `<Contact>`. */
  row: number;
  line: number;
  fields: Map<string, string>;
  /** Set when the contact is well-formed but not flat (nested or repeated elements). */
  problem?: { field: string; message: string };
}

export interface XmlReadOptions {
  name: string;
  maxContactSize?: number;
}

const MAX_CONTACT_SIZE = 1024 * 1024;
const BATCH_CONTACTS = 100;
const ROOT = 'Contacts';
const ITEM = 'Contact';
// The five entities of XML and character references: nothing else may expand.
const UNDEFINED_ENTITY = /&(?!(?:amp|lt|gt|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});)/;

const CHARACTER_REFERENCE = /&#(?:([0-9]{1,7})|x([0-9a-fA-F]{1,6}));/g;

/** XML 1.0's Char: tab, line feed, carriage return and U+0020 up, without surrogates, U+FFFE and U+FFFF. */
function isXmlCharacter(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

type Phase = 'prolog' | 'body' | 'end';

/**
 * Streams the contacts of a `<Contacts><Contact>…</Contact></Contacts>`
 * document one at a time: only one `<Contact>` is held in memory and given
 * to fast-xml-parser. A DOCTYPE is refused outright, so entity expansion
 * (billion laughs) and external entities (file or network reads) cannot
 * happen; a truncated document is an error.
 */
export async function* readXmlContacts(text: AsyncIterable<string>, options: XmlReadOptions): AsyncGenerator<XmlContact> {
  const maxSize = options.maxContactSize ?? MAX_CONTACT_SIZE;
  const { XMLParser, XMLValidator } = await import('fast-xml-parser');
  const parser = new XMLParser({
    ignoreAttributes: true,
    parseTagValue: false,
    ignoreDeclaration: true,
    trimValues: true,
    processEntities: true,
    // Decodes character references; named entities other than XML's five were refused above.
    htmlEntities: true,
    isArray: (_name: string, jpath: unknown) => String(jpath) === `${ROOT}.${ITEM}`,
  });
  // Contacts are parsed a batch at a time: fast-xml-parser's set-up cost is paid once per batch.
  let batch: { row: number; line: number; text: string }[] = [];
  let batchChars = 0;
  const iterator = text[Symbol.asyncIterator]();
  let buf = '';
  let pos = 0;
  let line = 1;
  let eof = false;
  let phase: Phase = 'prolog';
  let row = 0;

  const fail = (message: string, at = line): never => {
    throw new ValidationError(`${options.name}: line ${at}: ${message}`);
  };
  const more = async (): Promise<boolean> => {
    if (eof) return false;
    const next = await iterator.next();
    if (next.done) {
      eof = true;
      return false;
    }
    if (pos > 0) {
      buf = buf.slice(pos);
      pos = 0;
    }
    buf += next.value;
    return true;
  };
  const advance = (to: number) => {
    for (let at = buf.indexOf('\n', pos); at !== -1 && at < to; at = buf.indexOf('\n', at + 1)) line++;
    pos = to;
  };
  /** Makes at least n characters available from pos, unless the text ends. */
  const ensure = async (n: number) => {
    while (buf.length - pos < n && (await more()));
  };
  /** Advances past the next `terminator`, reading more as needed. */
  const skipPast = async (terminator: string, what: string) => {
    const startLine = line;
    for (;;) {
      const at = buf.indexOf(terminator, pos);
      if (at !== -1) return advance(at + terminator.length);
      if (buf.length - pos > maxSize) fail(`${what} is longer than ${maxSize / 1024} KB`, startLine);
      if (!(await more())) fail(`the file ends inside ${what} (truncated?)`, startLine);
    }
  };
  const skipSpace = async (): Promise<boolean> => {
    for (;;) {
      while (pos < buf.length && isSpace(buf.charCodeAt(pos))) {
        if (buf.charCodeAt(pos) === 10) line++;
        pos++;
      }
      if (pos < buf.length) return true;
      if (!(await more())) return false;
    }
  };

  try {
    for (;;) {
      if (!(await skipSpace())) {
        if (phase === 'prolog') fail(`no <${ROOT}> element: this is not a Chamilo XML file of users`);
        if (phase === 'body') fail(`the file ends before </${ROOT}> (truncated?)`);
        if (batch.length) yield* parseBatch();
        return;
      }
      await ensure(12);
      if (buf.startsWith('<?', pos)) {
        await skipPast('?>', 'a processing instruction');
        continue;
      }
      if (buf.startsWith('<!--', pos)) {
        await skipPast('-->', 'a comment');
        continue;
      }
      if (buf.startsWith('<!', pos) && !buf.startsWith('<![CDATA[', pos)) {
        fail('the document has a DOCTYPE or a declaration; roster refuses them, because their entities could expand without bound or read local files', line);
      }
      if (phase === 'end') fail(`unexpected content after </${ROOT}>`);
      if (buf.charCodeAt(pos) !== 60 /* < */ || buf.startsWith('<!', pos)) {
        fail(phase === 'prolog' ? `expected <${ROOT}>: this is not a Chamilo XML file of users` : `unexpected text inside <${ROOT}>; expected <${ITEM}>`);
      }
      const tag = await readTag();
      if (phase === 'prolog') {
        if (tag.closing || tag.name !== ROOT) fail(`the root element is <${tag.name}>, expected <${ROOT}>: this is not a Chamilo XML file of users`);
        advance(tag.end);
        phase = tag.selfClosing ? 'end' : 'body';
        continue;
      }
      if (tag.closing && tag.name === ROOT) {
        advance(tag.end);
        phase = 'end';
        continue;
      }
      if (tag.closing || tag.name !== ITEM) fail(`unexpected <${tag.closing ? '/' : ''}${tag.name}> inside <${ROOT}>; expected <${ITEM}>`);
      row++;
      const startLine = line;
      const end = tag.selfClosing ? tag.end : await findContactEnd(tag.end, startLine);
      const text = buf.slice(pos, end);
      advance(end);
      batch.push({ row, line: startLine, text });
      batchChars += text.length;
      if (batch.length >= BATCH_CONTACTS || batchChars >= maxSize) yield* parseBatch();
    }
  } finally {
    await iterator.return?.();
  }

  async function readTag(): Promise<{ name: string; closing: boolean; selfClosing: boolean; end: number }> {
    for (;;) {
      const close = buf.indexOf('>', pos);
      if (close !== -1) {
        const match = /^<(\/?)([A-Za-z_][\w.:-]*)([^>]*?)(\/?)>$/.exec(buf.slice(pos, close + 1));
        if (!match) fail('malformed tag');
        return { closing: match![1] === '/', name: match![2]!, selfClosing: match![4] === '/', end: close + 1 };
      }
      if (buf.length - pos > maxSize) fail('a tag is longer than the size limit');
      if (!(await more())) fail('the file ends inside a tag (truncated?)');
    }
  }

  /** The offset just after `</Contact>`, skipping CDATA sections and comments. */
  async function findContactEnd(from: number, startLine: number): Promise<number> {
    let p = from;
    const tooLarge = () => fail(`<${ITEM}> number ${row} is larger than ${maxSize / 1024} KB`, startLine);
    /** Reads more of the file; at its end, a contact still open is truncated. */
    const grow = async (): Promise<void> => {
      if (!(await peek())) fail(`the file ends inside <${ITEM}> number ${row} (truncated?)`, startLine);
    };
    /** Reads more of the file if there is more; p keeps its place. */
    const peek = async (): Promise<boolean> => {
      if (buf.length - pos > maxSize) tooLarge();
      const relative = p - pos;
      const got = await more();
      p = pos + relative;
      return got;
    };
    for (;;) {
      const at = buf.indexOf('<', p);
      if (at === -1) {
        p = buf.length;
        await grow();
        continue;
      }
      if (at - pos > maxSize) tooLarge();
      // Enough characters after "<" to recognise what starts there.
      if (buf.length - at < 12 && !eof) {
        p = at;
        await peek();
        continue;
      }
      // A DOCTYPE, ENTITY, ELEMENT or ATTLIST declaration anywhere could define entities: refused.
      if (buf.startsWith('<!', at) && !buf.startsWith('<![CDATA[', at) && !buf.startsWith('<!--', at)) {
        fail(
          `<${ITEM}> number ${row} holds a declaration (${buf.slice(at, at + 9)}…); roster refuses DOCTYPE and entity declarations anywhere in the file`,
          startLine + countLines(buf.slice(pos, at), at - pos),
        );
      }
      if (buf.startsWith('<![CDATA[', at) || buf.startsWith('<!--', at)) {
        const terminator = buf.startsWith('<!--', at) ? '-->' : ']]>';
        const end = buf.indexOf(terminator, at);
        if (end === -1) {
          p = at;
          await grow();
          continue;
        }
        p = end + terminator.length;
        continue;
      }
      if (buf.startsWith(`</${ITEM}`, at) && /[\s>]/.test(buf.charAt(at + ITEM.length + 2))) {
        const close = buf.indexOf('>', at);
        if (close === -1) {
          p = at;
          await grow();
          continue;
        }
        return close + 1;
      }
      if (buf.startsWith(`</${ROOT}`, at) || (buf.startsWith(`<${ITEM}`, at) && /[\s/>]/.test(buf.charAt(at + ITEM.length + 1)))) {
        fail(`<${ITEM}> number ${row} is not closed`, startLine);
      }
      p = at + 1;
    }
  }

  /** Parses the contacts gathered so far as one small document. */
  function parseBatch(): XmlContact[] {
    const items = batch;
    batch = [];
    batchChars = 0;
    for (const item of items) {
      const entity = UNDEFINED_ENTITY.exec(item.text);
      if (entity) {
        const name = /^&[^;\s<]{0,40};?/.exec(item.text.slice(entity.index))?.[0] ?? '&';
        fail(`"${name}" is not an XML entity; write a literal & as &amp;`, item.line + countLines(item.text, entity.index));
      }
      // The parser drops a reference to a character XML forbids (&#27;, &#0;): refused, not lost.
      for (const reference of item.text.matchAll(CHARACTER_REFERENCE)) {
        const code = reference[1] !== undefined ? Number(reference[1]) : parseInt(reference[2]!, 16);
        if (!isXmlCharacter(code)) {
          fail(`"${reference[0]}" refers to a character that XML does not allow (malformed XML)`, item.line + countLines(item.text, reference.index));
        }
      }
    }
    const document = `<${ROOT}>${items.map((i) => i.text).join('')}</${ROOT}>`;
    const valid = XMLValidator.validate(document);
    if (valid !== true) {
      // Find the contact at fault, to name its line.
      for (const item of items) {
        const one = XMLValidator.validate(item.text);
        if (one !== true) fail(`malformed XML: ${one.err.msg}`, item.line + one.err.line - 1);
      }
      fail(`malformed XML: ${valid.err.msg}`, items[0]?.line ?? line);
    }
    let list: unknown[];
    try {
      const parsed = parser.parse(document) as Record<string, Record<string, unknown> | string>;
      const root = parsed[ROOT];
      list = root && typeof root === 'object' && Array.isArray(root[ITEM]) ? (root[ITEM] as unknown[]) : [];
    } catch (error) {
      return fail(`malformed XML: ${(error as Error).message}`, items[0]?.line ?? line);
    }
    if (list.length !== items.length) fail(`malformed XML: <${ITEM}> elements inside <${ITEM}>`, items[0]?.line ?? line);
    return items.map((item, i) => toContact(list[i], item.row, item.line));
  }

  function toContact(body: unknown, number: number, startLine: number): XmlContact {
    const fields = new Map<string, string>();
    const contact: XmlContact = { row: number, line: startLine, fields };
    if (body === undefined || body === null || typeof body !== 'object') return contact;
    for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
      if (typeof value === 'string') fields.set(name, value);
      else if (typeof value === 'number' || typeof value === 'boolean') fields.set(name, String(value));
      else if (Array.isArray(value)) contact.problem ??= { field: name, message: `<${name}> appears ${value.length} times` };
      else contact.problem ??= { field: name, message: `<${name}> holds other elements; expected text` };
    }
    return contact;
  }
}

function isSpace(code: number): boolean {
  return code === 32 || code === 10 || code === 13 || code === 9;
}

function countLines(text: string, end: number): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at !== -1 && at < end; at = text.indexOf('\n', at + 1)) count++;
  return count;
}
