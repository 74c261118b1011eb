import { ValidationError } from '../shared/errors';

export interface JsonRecord {
  /** 1 for the first object. */
  row: number;
  line: number;
  value: Record<string, unknown>;
}

export interface JsonReadOptions {
  name: string;
  maxObjectSize?: number;
}

const MAX_OBJECT_SIZE = 1024 * 1024;

/**
 * Streams the objects of a JSON array of users (what `roster export
 * --format json` and `list --json` write), or of newline-delimited JSON
 * objects, one at a time: a million users never sit in memory at once.
 */
export async function* readJsonObjects(text: AsyncIterable<string>, options: JsonReadOptions): AsyncGenerator<JsonRecord> {
  const maxSize = options.maxObjectSize ?? MAX_OBJECT_SIZE;
  type State = 'start' | 'item' | 'after' | 'end' | 'lines';
  let state: State = 'start';
  let line = 1;
  let row = 0;
  // The object being collected.
  let parts: string[] = [];
  let size = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let objectLine = 0;
  let inArray = false;

  const fail = (message: string, at = line): never => {
    throw new ValidationError(`${options.name}: line ${at}: ${message}`);
  };
  const finish = (): JsonRecord => {
    const source = parts.join('');
    parts = [];
    size = 0;
    let value: unknown;
    try {
      value = JSON.parse(source);
    } catch (error) {
      return fail(`malformed JSON: ${(error as Error).message}`, objectLine);
    }
    row++;
    return { row, line: objectLine, value: value as Record<string, unknown> };
  };

  for await (const chunk of text) {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (depth > 0) {
        // Inside an object: find where it ends, minding strings.
        const from = i;
        for (; i < n; i++) {
          const c = chunk.charCodeAt(i);
          if (c === 10) line++;
          if (inString) {
            if (escaped) escaped = false;
            else if (c === 92 /* \ */) escaped = true;
            else if (c === 34 /* " */) inString = false;
          } else if (c === 34) inString = true;
          else if (c === 123 /* { */ || c === 91 /* [ */) depth++;
          else if (c === 125 /* } */ || c === 93 /* ] */) {
            depth--;
            if (depth === 0) {
              i++;
              break;
            }
          }
        }
        parts.push(chunk.slice(from, i));
        size += i - from;
        if (size > maxSize) fail(`object number ${row + 1} is larger than ${maxSize / 1024} KB`, objectLine);
        if (depth === 0) {
          yield finish();
          state = inArray ? 'after' : 'lines';
        }
        continue;
      }
      const c = chunk.charCodeAt(i);
      if (c === 32 || c === 9 || c === 13 || c === 10) {
        if (c === 10) line++;
        i++;
        continue;
      }
      if (c === 123 /* { */ && (state === 'start' || state === 'item' || state === 'lines')) {
        if (state === 'start') state = 'lines';
        depth = 1;
        objectLine = line;
        parts.push('{');
        size = 1;
        i++;
        continue;
      }
      if (state === 'start' && c === 91 /* [ */) {
        inArray = true;
        state = 'item';
        i++;
        continue;
      }
      if ((state === 'item' && row === 0 && c === 93) || (state === 'after' && c === 93)) {
        state = 'end';
        i++;
        continue;
      }
      if (state === 'after' && c === 44 /* , */) {
        state = 'item';
        i++;
        continue;
      }
      if (state === 'start') fail('expected a JSON array of users ([ {…}, … ]): this is not a JSON file of users');
      if (state === 'end') fail('unexpected content after the end of the array');
      if (state === 'item') fail(`item number ${row + 1} is not an object`);
      fail(state === 'after' ? 'expected "," or "]" between users' : 'expected a JSON object');
    }
  }
  if (depth > 0) fail(`the file ends inside object number ${row + 1} (truncated?)`, objectLine);
  if (state === 'start') fail('the file is empty: no JSON array of users');
  if (inArray && state !== 'end') fail('the file ends before the closing "]" (truncated?)');
}
