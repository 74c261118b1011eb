import type { User } from '../core/user-model';
import type { ServiceContext } from '../core/context';
import { UsageError } from '../shared/errors';
import type { StandardColumn } from '../formats/columns';
import { BlockWriter, line, paint, terminalWidth, write, type Io } from './io';
import { JSON_ARRAY_OPENING, jsonArrayClosing, jsonArrayItem } from '../formats/json-writer';

export type ListFormat = 'table' | 'json' | 'csv' | 'ids' | 'count';

const TABLE_PAGE = 1000;

/** The user list of the administration panel, as a table for people, a page of rows at a time. */
export async function renderUserTable(io: Io, users: AsyncIterable<User>, now: Date, fields?: UserField[]): Promise<number> {
  const nowIso = now.toISOString();
  // Not cli-table3 (kept for the small tables of courses and sessions): the user
  // list can run to a million rows, which cli-table3 draws at about 5,000 a second
  // (20,000 rows: 3.9 s against 0.2 s here), and loading it costs a search 6 ms.
  const { TableWriter } = await import('./table');
  const style = io.color ? { head: (t: string) => paint(io, 'bold', t), border: (t: string) => paint(io, 'dim', t) } : {};
  const columns = fields ?? DEFAULT_TABLE;
  // One table however long the list: the first page fixes the widths, fitted to the
  // terminal ("deleted" and the dates always fit); a longer value is shortened, and a note says so.
  const table = new TableWriter(
    columns.map((c) => c.header),
    style,
    columns.map((c) => c.minWidth ?? 0),
    terminalWidth(io.stdout),
  );
  let count = 0;
  let page: string[][] = [];
  const flush = async () => {
    await write(io.stdout, table.rows(page));
    page = [];
  };
  for await (const u of users) {
    page.push(columns.map((c) => c.cell(u, io, nowIso)));
    count++;
    if (page.length === TABLE_PAGE) await flush();
  }
  if (page.length) await flush();
  await write(io.stdout, table.end());
  if (count === 0) line(io.stderr, 'no users match');
  if (table.shortened) line(io.stderr, 'some values were shortened to fit the table; --format csv or --json shows them whole');
  return count;
}

/** A field of the user list as the table shows it and JSON names it (--fields). */
export interface UserField {
  header: string;
  /** The key in JSON; extra fields go under "extra". */
  key: string;
  extra?: boolean;
  minWidth?: number;
  cell(u: User, io: Io, now: string): string;
  value(u: User): unknown;
}

const text = (value: string | null): string => value ?? '';

function standardField(header: string, key: keyof User, cell: UserField['cell'] = (u) => text(u[key] as string | null), minWidth?: number): UserField {
  return { header, key, minWidth, cell, value: (u) => u[key] };
}

const dayField = (header: string, key: 'expiresAt' | 'registeredAt' | 'lastLoginAt' | 'deletedAt' | 'anonymizedAt'): UserField =>
  standardField(header, key, (u) => day(u[key]), 10);

/** The fields of a user that the table and JSON can show, by their standard column. */
const USER_FIELDS: Partial<Record<StandardColumn, UserField>> = {
  id: standardField('Id', 'id', (u) => String(u.id)),
  lastname: standardField('Last name', 'lastname'),
  firstname: standardField('First name', 'firstname'),
  email: standardField('Email', 'email'),
  username: standardField('Username', 'username'),
  authSource: standardField('Auth source', 'authSource'),
  officialCode: standardField('Official code', 'officialCode'),
  language: standardField('Language', 'language'),
  phone: standardField('Phone', 'phone'),
  roles: standardField('Roles', 'roles', (u) => u.roles.join(', ')),
  active: standardField('Active', 'active', (u, io, now) => activeLabel(io, u, now), 7),
  expires: dayField('Expires', 'expiresAt'),
  registeredAt: dayField('Registered', 'registeredAt'),
  lastLoginAt: standardField('Last login', 'lastLoginAt', (u, io) => day(u.lastLoginAt) || paint(io, 'dim', 'never'), 10),
  picture: standardField('Picture', 'picture'),
  deletedAt: dayField('Deleted', 'deletedAt'),
  anonymizedAt: dayField('Anonymized', 'anonymizedAt'),
};

/** The table of the administration panel, when no --fields is given. */
const DEFAULT_TABLE: UserField[] = [
  { header: 'Name', key: 'name', cell: (u) => `${u.lastname}, ${u.firstname}`, value: () => undefined },
  USER_FIELDS.username!,
  USER_FIELDS.email!,
  USER_FIELDS.roles!,
  USER_FIELDS.active!,
  USER_FIELDS.registeredAt!,
  USER_FIELDS.lastLoginAt!,
  { header: 'Pic', key: 'picture', minWidth: 3, cell: (u) => (u.picture ? 'yes' : ''), value: (u) => u.picture },
];

/** The fields --fields names, for the table and JSON (CSV takes export's columns). */
export async function userFieldsFor(ctx: ServiceContext, names: string[]): Promise<UserField[]> {
  const [{ resolveFieldName }, { loadFields }] = await Promise.all([import('../core/export'), import('../core/fields')]);
  const extraFields = await loadFields(ctx.db.kysely);
  return names.map((name) => {
    const resolved = resolveFieldName(name, extraFields);
    if (typeof resolved !== 'string') {
      const field = resolved.name;
      return { header: field, key: field, extra: true, cell: (u) => String(u.extra[field] ?? ''), value: (u) => u.extra[field] ?? null };
    }
    const known = USER_FIELDS[resolved];
    if (!known) throw new UsageError(`--fields ${name}: the table and JSON do not show it`, 'it is a column of --format csv (and of export)');
    return known;
  });
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
export async function renderJsonStream<T>(io: Io, items: AsyncIterable<T>, fields?: UserField[]): Promise<number> {
  // Escaped as \u001b, \u202e: the same JSON, safe on a terminal.
  const out = new BlockWriter(io.stdout, true);
  let count = 0;
  await out.write(JSON_ARRAY_OPENING);
  for await (const item of items) {
    await out.write(jsonArrayItem(fields ? pickFields(item as User, fields) : item, count));
    count++;
  }
  await out.write(jsonArrayClosing(count));
  await out.flush();
  return count;
}

/** A user with only the fields asked for, under the keys of the whole user. */
function pickFields(user: User, fields: UserField[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const field of fields) {
    if (!field.extra) picked[field.key] = field.value(user);
    else ((picked.extra ??= {}) as Record<string, unknown>)[field.key] = field.value(user);
  }
  return picked;
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
