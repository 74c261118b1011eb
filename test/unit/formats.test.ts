import os from 'node:os';
import iconv from 'iconv-lite';
import { ValidationError } from '../../src/shared/errors';
import { caught } from './helpers';
import { KeyIndex } from '../../src/core/key-index';
import { mapColumns, layoutColumns, parseColumnMap, resolveTarget } from '../../src/core/import-columns';
import type { ExtraField } from '../../src/core/fields';
import { detectDelimiter, parseDelimiter, readCsv, scanCsv } from '../../src/formats/csv-reader';
import { formatCsvLine } from '../../src/formats/csv-writer';
import { neutraliseFormula, restoreNeutralised } from '../../src/formats/csv-safety';
import { bufferSource, decodeText, fileSource, firstInvalidUtf8 } from '../../src/formats/decode';
import { readJsonObjects } from '../../src/formats/json-reader';
import { scanUserFile, type UserRecord } from '../../src/formats/user-file';
import { readXmlContacts } from '../../src/formats/xml-reader';

async function* chunks(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

async function csv(text: string, size = 1 << 16, delimiter?: string) {
  const out: { line: number; cells: string[] }[] = [];
  for await (const record of readCsv(chunks(text, size), { name: 'f.csv', delimiter })) out.push(record);
  return out;
}

async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function decoded(bytes: Buffer, options: Parameters<typeof decodeText>[1] = {}): Promise<string> {
  return (await all(decodeText(bufferSource(bytes, 'f.csv'), options))).join('');
}

describe('CSV reader', () => {
  const sample = 'a;b;c\r\n1;"x;\r\ny";3\r\n\r\n4;"q""uote";\r\n"";;\n7;8;9';

  it.each([1, 2, 3, 7, 1000])('reads quoted delimiters, newlines, doubled quotes and CRLF the same in chunks of %i', async (size) => {
    expect(await csv(sample, size)).toEqual([
      { line: 1, cells: ['a', 'b', 'c'] },
      { line: 2, cells: ['1', 'x;\r\ny', '3'] },
      { line: 5, cells: ['4', 'q"uote', ''] },
      { line: 6, cells: ['', '', ''] },
      { line: 7, cells: ['7', '8', '9'] },
    ]);
  });

  it('detects ; , and tab from the header, outside quotes', () => {
    expect(detectDelimiter('LastName;FirstName;Email')).toBe(';');
    expect(detectDelimiter('LastName,FirstName,Email')).toBe(',');
    expect(detectDelimiter('"Last;Name",FirstName,Email')).toBe(',');
    expect(detectDelimiter('a\tb\tc')).toBe('\t');
    expect(parseDelimiter('tab')).toBe('\t');
    expect(() => parseDelimiter('x')).toThrow('--delimiter must be');
  });

  it('accepts CR-only line ends (old Mac exports)', async () => {
    expect(await csv('a;b\r1;2\r3;4')).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['1', '2'] },
      { line: 3, cells: ['3', '4'] },
    ]);
  });

  it.each([
    ['a;b\n1;"2\n3;4\n', 'line 2: a quoted field is never closed'],
    ['a;b\n1;2"3\n', 'line 2: a quote (") appears inside a field'],
    ['a;b\n"1"x;2\n', 'line 2: a closing quote (") is followed by other characters'],
  ])('refuses malformed quotes, naming the line: %j', async (text, message) => {
    await expect(csv(text)).rejects.toThrow(message);
    await expect(scanCsv(chunks(text, 3), { name: 'f.csv' })).rejects.toThrow(message);
  });

  it('refuses a record over the size limit, without reading on', async () => {
    const long = `a;b\n1;${'x'.repeat(5000)}\n`;
    expect((await csv(long))[1]!.cells[1]).toHaveLength(5000);
    await expect(all(readCsv(chunks(long, 100), { name: 'f.csv', maxRecordSize: 1000 }))).rejects.toThrow('line 2: the record is longer than 1 MB');
    await expect(all(readCsv(chunks('x'.repeat(5000), 100), { name: 'f.csv', maxRecordSize: 1000 }))).rejects.toThrow('line 1 is longer than');
  });

  it('scans without keeping records: header and row count', async () => {
    expect(await scanCsv(chunks(sample, 4), { name: 'f.csv' })).toEqual({ header: ['a', 'b', 'c'], rows: 4 });
    expect(await scanCsv(chunks('', 4), { name: 'f.csv' })).toEqual({ header: undefined, rows: 0 });
  });
});

describe('decoding', () => {
  it('strips a UTF-8 byte-order mark and reads UTF-8', async () => {
    expect(await decoded(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Élodie;Müller', 'utf8')]))).toBe('Élodie;Müller');
  });

  it('a directory or a device given as the file is not found (exit 3), as a missing file is, saying what to give (newcomer report)', async () => {
    for (const [file, what] of [
      [os.tmpdir(), 'is a directory'],
      ['/dev/null', 'is not a regular file'],
      ['/no/such/file.csv', undefined],
    ] as const) {
      const error = await caught(() => fileSource(file));
      expect({ file, exitCode: error.exitCode }).toEqual({ file, exitCode: 3 });
      if (what) expect(error).toMatchObject({ message: `${file} ${what}`, suggestion: expect.stringContaining('give the path of the CSV, XML or JSON file') });
    }
  });

  it('reads latin1 and windows-1252 when told', async () => {
    expect(await decoded(iconv.encode('Élodie;Müller', 'latin1'), { encoding: 'latin1' })).toBe('Élodie;Müller');
    expect(await decoded(Buffer.from([0x80, 0x41]), { encoding: 'windows-1252' })).toBe('€A');
  });

  it('refuses bytes that are not UTF-8, naming the line and suggesting --encoding', async () => {
    const bytes = Buffer.concat([Buffer.from('a;b\nok;ok\n', 'utf8'), iconv.encode('Müller;x\n', 'latin1')]);
    const error = await decoded(bytes).catch((e: unknown) => e as ValidationError);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toContain('line 3, column 2: the byte 0xFC is not valid UTF-8');
    expect((error as ValidationError).suggestion).toContain('--encoding latin1');
    expect(firstInvalidUtf8(Buffer.from([0x41, 0xfc, 0x6c]))).toBe(1);
    // On a line longer than a chunk of the file, the column counts from the line's start (characters, not bytes).
    const long = Buffer.concat([Buffer.from(`a;b\n${'é'.repeat(100_000)}`, 'utf8'), Buffer.from([0xfc, 0x0a])]);
    expect(((await decoded(long).catch((e: unknown) => e)) as ValidationError).message).toContain('line 2, column 100001: the byte 0xFC');
  });

  it('refuses binary data (NUL bytes)', async () => {
    await expect(decoded(Buffer.from([0x41, 0x00, 0x42]))).rejects.toThrow('binary data');
  });

  it('refuses a UTF-8 file read as latin1 (the scan checks it)', async () => {
    await expect(decoded(Buffer.from('Élodie\n', 'utf8'), { encoding: 'latin1', checkMislabel: true })).rejects.toThrow('the file is UTF-8');
    expect(await decoded(Buffer.from('plain ascii\n'), { encoding: 'latin1', checkMislabel: true })).toBe('plain ascii\n');
  });

  it('honours the encoding of an XML declaration, and UTF-16 byte-order marks', async () => {
    const xml = '<?xml version="1.0" encoding="ISO-8859-1"?><Contacts/>';
    expect(await decoded(iconv.encode(xml.replace('Contacts/', 'Contacts a="é"/'), 'latin1'), { xmlDeclaration: true })).toContain('a="é"');
    expect(await decoded(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Zoë', 'utf16le')]))).toBe('Zoë');
  });

  it('refuses an unknown encoding name as a usage error', async () => {
    await expect(decoded(Buffer.from('x'), { encoding: 'klingon' })).rejects.toThrow('unknown encoding');
  });
});

describe('XML reader', () => {
  const doc = `<?xml version="1.0"?>
<!-- a comment -->
<Contacts>
  <Contact>
    <LastName>Dupont &amp; fils</LastName>
    <FirstName>&#201;lodie</FirstName>
    <OfficialCode />
    <Notes><![CDATA[ends with </Contact> inside]]></Notes>
  </Contact>
  <Contact/>
  <Contact><Courses><Course>X</Course></Courses><A>1</A><A>2</A></Contact>
</Contacts>`;

  it.each([5, 64, 100000])('streams the contacts, entities and CDATA decoded, in chunks of %i', async (size) => {
    const contacts = await all(readXmlContacts(chunks(doc, size), { name: 'f.xml' }));
    expect(contacts.map((c) => c.row)).toEqual([1, 2, 3]);
    expect(contacts[0]!.line).toBe(4);
    expect(Object.fromEntries(contacts[0]!.fields)).toEqual({
      LastName: 'Dupont & fils',
      FirstName: 'Élodie',
      OfficialCode: '',
      Notes: 'ends with </Contact> inside',
    });
    expect(contacts[1]!.fields.size).toBe(0);
    expect(contacts[2]!.problem).toEqual({ field: 'Courses', message: '<Courses> holds other elements; expected text' });
  });

  it.each([
    ['<!DOCTYPE x [<!ENTITY a "b">]><Contacts/>', 'refuses them'],
    ['<Contacts><Contact><A>x</A><!DOCTYPE x [<!ENTITY a "b">]></Contact></Contacts>', 'roster refuses DOCTYPE and entity declarations anywhere'],
    ['<Contacts><Contact><A>x</A></Contact><!ENTITY a "b"></Contacts>', 'refuses them'],
    ['<?xml version="1.0"?>\n<Contacts><Contact><A>&lol;</A></Contact></Contacts>', 'line 2: "&lol;" is not an XML entity'],
    ['<Contacts><Contact><A>x</B></Contact></Contacts>', 'malformed XML'],
    ['<Contacts>\n<Contact><A>x</A>', 'line 2: the file ends inside <Contact> number 1 (truncated?)'],
    ['<Contacts><Contact><A>x</A></Contact>', 'the file ends before </Contacts>'],
    ['<Users><User/></Users>', 'the root element is <Users>'],
    ['hello', 'expected <Contacts>'],
    ['', 'no <Contacts> element'],
    ['<Contacts></Contacts><Contacts/>', 'unexpected content after </Contacts>'],
    ['<Contacts><Other/></Contacts>', 'unexpected <Other>'],
    ['<Contacts><Contact><A>1</A></Contacts>', '<Contact> number 1 is not closed'],
  ])('refuses %j', async (text, message) => {
    await expect(all(readXmlContacts(chunks(text, 7), { name: 'f.xml' }))).rejects.toThrow(message);
  });

  it('refuses a contact over the size limit', async () => {
    const big = `<Contacts><Contact><A>${'x'.repeat(5000)}</A></Contact></Contacts>`;
    await expect(all(readXmlContacts(chunks(big, 100), { name: 'f.xml', maxContactSize: 1024 }))).rejects.toThrow('larger than');
  });
});

describe('JSON reader', () => {
  it.each([1, 5, 1000])('streams the objects of an array, strings with braces included (chunks of %i)', async (size) => {
    const text = '[\n  {"username":"a","note":"}{\\"]"},\n  {"username":"b","roles":["student","teacher"]}\n]\n';
    const objects = await all(readJsonObjects(chunks(text, size), { name: 'f.json' }));
    expect(objects.map((o) => o.value)).toEqual([
      { username: 'a', note: '}{"]' },
      { username: 'b', roles: ['student', 'teacher'] },
    ]);
    expect(objects.map((o) => o.line)).toEqual([2, 3]);
  });

  it('reads newline-delimited objects and an empty array', async () => {
    expect((await all(readJsonObjects(chunks('{"a":1}\n{"a":2}\n', 3), { name: 'f' }))).length).toBe(2);
    expect(await all(readJsonObjects(chunks('[ ]', 3), { name: 'f' }))).toEqual([]);
  });

  it.each([
    ['[{"a":1},', 'the file ends before the closing "]"'],
    ['[{"a":1', 'the file ends inside object number 1'],
    ['[1,2]', 'item number 1 is not an object'],
    ['{"a":}', 'malformed JSON'],
    ['hello', 'not a JSON file of users'],
    ['[{"a":1}] x', 'unexpected content after the end'],
    ['', 'the file is empty'],
  ])('refuses %j', async (text, message) => {
    await expect(all(readJsonObjects(chunks(text, 4), { name: 'f.json' }))).rejects.toThrow(message);
  });
});

describe('user files', () => {
  const file = (text: string | Buffer, extension = 'csv') => bufferSource(Buffer.isBuffer(text) ? text : Buffer.from(text), `users.${extension}`, extension);

  it('scans a CSV file: columns and rows; the reading restores neutralised cells and pads short rows', async () => {
    const scanned = await scanUserFile(file("UserName;Phone;Note\r\nada;'+33 1;'=SUM(A1)\r\nbob;1\r\n;;\r\n"));
    expect(scanned).toMatchObject({ format: 'csv', columns: ['UserName', 'Phone', 'Note'], rows: 3 });
    const records: UserRecord[] = await all(scanned.records());
    expect(records).toEqual([
      { row: 2, values: ['ada', '+33 1', '=SUM(A1)'], problem: undefined },
      { row: 3, values: ['bob', '1', ''], problem: undefined },
    ]);
  });

  it('reports a row with more fields than the header', async () => {
    const records = await all((await scanUserFile(file('A;B\n1;2;3\n'))).records());
    expect(records[0]!.problem?.message).toContain('has 3 fields, but the header has 2');
  });

  it('refuses a header naming a column twice, and an empty file', async () => {
    await expect(scanUserFile(file('Email;email\n'))).rejects.toThrow('twice');
    await expect(scanUserFile(file(''))).rejects.toThrow('no header line');
  });

  it('finds the format from the content when the name says nothing', async () => {
    expect((await scanUserFile(file('<Contacts/>', ''))).format).toBe('xml');
    expect((await scanUserFile(file('[]', ''))).format).toBe('json');
    expect((await scanUserFile(file('a;b\n', ''))).format).toBe('csv');
  });

  it('collects XML and JSON columns across all users, flattening JSON roles, courses and extra values', async () => {
    const xml = await scanUserFile(file('<Contacts><Contact><A>1</A></Contact><Contact><B>2</B><A>3</A></Contact></Contacts>', 'xml'));
    expect(xml.columns).toEqual(['A', 'B']);
    expect((await all(xml.records())).map((r) => r.values)).toEqual([
      ['1', ''],
      ['3', '2'],
    ]);
    const json = await scanUserFile(
      file(
        '[{"username":"a","roles":["student","admin"],"courses":[{"code":"C1","role":"teacher"},"C2"],"extra":{"cohort":2026},"active":false,"phone":null}]',
        'json',
      ),
    );
    expect(json.columns).toEqual(['username', 'roles', 'courses', 'extra.cohort', 'active', 'phone']);
    expect((await all(json.records()))[0]!.values).toEqual(['a', 'student|admin', 'C1:teacher|C2', '2026', 'false', '']);
  });
});

describe('column mapping', () => {
  const fields = new Map<string, ExtraField>([['cohort', { id: 1, name: 'cohort', label: 'Cohort', type: 'number', choices: null, createdAt: '' }]]);

  it('knows Chamilo, roster and extra field names in any case, and reports the others', () => {
    const mapping = mapColumns(['LASTNAME', 'first_name', 'E-mail', 'UserName', 'Status', 'Cohort', 'UserId', 'Nom', 'ImportError'], fields);
    expect(mapping.unknown).toEqual(['Nom']);
    expect(mapping.targets.map((t) => (t ? (t.kind === 'standard' ? t.key : t.kind === 'extra' ? t.field.name : 'ignore') : undefined))).toEqual([
      'lastname',
      'firstname',
      'email',
      'username',
      'status',
      'cohort',
      'ignore',
      undefined,
      'ignore',
    ]);
  });

  it('applies --map, and reports maps naming no column', () => {
    const mapping = mapColumns(['Nom', 'Prénom', 'Courriel', 'Login'], fields, [
      parseColumnMap('nom=LastName'),
      parseColumnMap('Prénom=firstname'),
      parseColumnMap('Courriel=email'),
      parseColumnMap('Ghost=ignore'),
    ]);
    expect(mapping.unknown).toEqual([]);
    expect(mapping.unusedMaps).toEqual(['Ghost']);
    const layout = layoutColumns(['Nom', 'Prénom', 'Courriel', 'Login'], mapping.targets, 'f.csv');
    expect(layout.standard).toEqual({ lastname: 0, firstname: 1, email: 2, username: 3 });
    expect(layout.labels.get('email')).toBe('Courriel');
  });

  it('refuses missing required columns, two columns for one value, and unknown --map targets', () => {
    expect(() => layoutColumns(['LastName', 'Email'], mapColumns(['LastName', 'Email'], fields).targets, 'f.csv')).toThrow(
      'required columns missing: FirstName, UserName',
    );
    expect(() => layoutColumns(['Email', 'Mail'], mapColumns(['Email', 'Mail'], fields).targets, 'f.csv')).toThrow('both give Email');
    expect(() => resolveTarget('shoe size', fields)).toThrow('not a column roster knows');
    expect(() => parseColumnMap('nothing')).toThrow('--map expects');
  });
});

describe('CSV writing and formula neutralisation', () => {
  it('quotes what needs quoting and neutralises formulas unless raw', () => {
    expect(formatCsvLine(['a', 'b;c', 'say "hi"', 'two\nlines', '=1+2', '-3+1', '@x', '+1 555', '\tx', '-3', '-2.5'])).toBe(
      'a;"b;c";"say ""hi""";"two\nlines";\'=1+2;\'-3+1;\'@x;\'+1 555;\'\tx;-3;-2.5\r\n',
    );
    expect(formatCsvLine(['=1+2', 'x'], ',', true)).toBe('=1+2,x\r\n');
  });

  it('restores exactly what it neutralised', () => {
    for (const value of ['=1+2', '+33 1', '-', '@home', "'plain", 'plain', "'=kept once", "''-1", '-1', "'-1"]) {
      expect(restoreNeutralised(neutraliseFormula(value))).toBe(value);
    }
  });
});

describe('key index', () => {
  it('remembers keys and rows exactly, through growth', () => {
    const index = new KeyIndex();
    for (let i = 0; i < 5000; i++) index.set(`user${i}@example.org`, i + 2);
    index.set('user7@example.org', 99);
    expect(index.size).toBe(5000);
    expect(index.get('user7@example.org')).toBe(9);
    expect(index.get('user4999@example.org')).toBe(5001);
    expect(index.get('user5000@example.org')).toBeUndefined();
    expect(index.get('élodie')).toBeUndefined();
    index.set('élodie', 3);
    expect(index.get('élodie')).toBe(3);
    expect(index.get('elodie')).toBeUndefined();
    const long = `${'ж'.repeat(3000)}@example.org`;
    expect(index.claim(long, 7)).toBeUndefined();
    expect(index.claim(long, 8)).toBe(7);
  });

  it('keeps a text with a key, exactly, through growth; a second claim keeps the first', () => {
    const index = new KeyIndex();
    for (let i = 0; i < 5000; i++) expect(index.claim(`søren${i}`, i + 2, `Søren${i} ${'ж'.repeat(i % 7)}`)).toBeUndefined();
    expect(index.claim('søren7', 99, 'other')).toBe(9);
    expect(index.entry('søren7')).toEqual({ row: 9, text: 'Søren7 ' });
    expect(index.entry('søren4999')).toEqual({ row: 5001, text: `Søren4999 ${'ж'.repeat(4999 % 7)}` });
    expect(index.entry('søren5000')).toBeUndefined();
    index.claim('plain', 3);
    expect(index.entry('plain')).toEqual({ row: 3, text: '' });
    expect(index.get('søren12')).toBe(14);
  });
});
