import type { User } from '../core/user-model';
import { BlockWriter, line, paint, write, type Io } from './io';

export type ListFormat = 'table' | 'json' | 'csv' | 'ids' | 'count';

const TABLE_PAGE = 1000;

/** The user list of the administration panel, as a table for people, a page of rows at a time. */
export async function renderUserTable(io: Io, users: AsyncIterable<User>, now: Date): Promise<number> {
  const nowIso = now.toISOString();
  // Not cli-table3 (kept for the small tables of courses and sessions): the user
  // list can run to a million rows, which cli-table3 draws at about 5,000 a second
  // (20,000 rows: 3.9 s against 0.2 s here), and loading it costs a search 6 ms.
  const { TableWriter } = await import('./table');
  const style = io.color ? { head: (t: string) => paint(io, 'bold', t), border: (t: string) => paint(io, 'dim', t) } : {};
  // One table however long the list: the first page fixes the widths ("deleted" and the dates
  // always fit); a longer value further down is shortened, and a note says so.
  const table = new TableWriter(['Name', 'Username', 'Email', 'Roles', 'Active', 'Registered', 'Last login', 'Pic'], style, [0, 0, 0, 0, 7, 10, 10, 3]);
  let count = 0;
  let page: string[][] = [];
  const flush = async () => {
    await write(io.stdout, table.rows(page));
    page = [];
  };
  for await (const u of users) {
    page.push([
      `${u.lastname}, ${u.firstname}`,
      u.username,
      u.email,
      u.roles.join(', '),
      activeLabel(io, u, nowIso),
      day(u.registeredAt),
      day(u.lastLoginAt) || paint(io, 'dim', 'never'),
      u.picture ? 'yes' : '',
    ]);
    count++;
    if (page.length === TABLE_PAGE) await flush();
  }
  if (page.length) await flush();
  await write(io.stdout, table.end());
  if (count === 0) line(io.stderr, 'no users match');
  if (table.shortened) line(io.stderr, 'some values were shortened to keep the columns aligned; --format csv or --json shows them whole');
  return count;
}

function activeLabel(io: Io, u: User, now: string): string {
  if (u.deletedAt) return paint(io, 'red', 'deleted');
  // Active, but past its date: it cannot log in, and the next roster expire deactivates it.
  if (u.active && u.expiresAt && u.expiresAt <= now) return paint(io, 'yellow', 'expired');
  if (u.active) return paint(io, 'green', 'yes');
  return paint(io, 'yellow', 'no');
}

function day(iso: string | null): string {
  return iso ? iso.slice(0, 10) : '';
}

/** A JSON array written item by item: bounded memory for any number of users. */
export async function renderJsonStream<T>(io: Io, items: AsyncIterable<T>): Promise<number> {
  // Escaped as \u001b, \u202e: the same JSON, safe on a terminal.
  const out = new BlockWriter(io.stdout, true);
  let count = 0;
  await out.write('[');
  for await (const item of items) {
    await out.write(`${count === 0 ? '\n' : ',\n'}  ${JSON.stringify(item)}`);
    count++;
  }
  await out.write(count ? '\n]\n' : ']\n');
  await out.flush();
  return count;
}

export async function renderIds(io: Io, users: AsyncIterable<User>): Promise<number> {
  const out = new BlockWriter(io.stdout);
  let count = 0;
  for await (const user of users) {
    // id:N names the user whatever its username (a student number can be one).
    await out.write(`id:${user.id}\n`);
    count++;
  }
  await out.flush();
  return count;
}

const CSV_COLUMNS: [string, (u: User) => unknown][] = [
  ['id', (u) => u.id],
  ['username', (u) => u.username],
  ['email', (u) => u.email],
  ['firstname', (u) => u.firstname],
  ['lastname', (u) => u.lastname],
  ['roles', (u) => u.roles.join('|')],
  ['active', (u) => (u.active ? 1 : 0)],
  ['language', (u) => u.language],
  ['officialCode', (u) => u.officialCode],
  ['phone', (u) => u.phone],
  ['picture', (u) => u.picture],
  ['registeredAt', (u) => u.registeredAt],
  ['lastLoginAt', (u) => u.lastLoginAt],
  ['expiresAt', (u) => u.expiresAt],
  ['deletedAt', (u) => u.deletedAt],
];

const CSV_BATCH = 1000;

/** CSV for spreadsheets, streamed a thousand rows at a time; formula-like cells are neutralised. */
export async function renderUserCsv(io: Io, users: AsyncIterable<User>): Promise<number> {
  const [{ stringify }, { neutraliseFormula }] = await Promise.all([import('csv-stringify/sync'), import('../formats/csv-safety')]);
  const columns = CSV_COLUMNS.map(([name]) => name);
  // Data for a program, written as it is; escaped only for a person reading it on a terminal.
  const out = new BlockWriter(io.stdout, Boolean(io.stdout.isTTY));
  let batch: unknown[][] = [];
  let header = true;
  const flush = async () => {
    await out.write(stringify(batch, { header, columns, cast: { string: neutraliseFormula } }));
    header = false;
    batch = [];
  };
  let count = 0;
  for await (const user of users) {
    batch.push(CSV_COLUMNS.map(([, get]) => get(user) ?? ''));
    count++;
    if (batch.length === CSV_BATCH) await flush();
  }
  if (batch.length || header) await flush();
  await out.flush();
  return count;
}
