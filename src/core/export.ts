import { ENTRY_SEPARATOR, PART_SEPARATOR, exportRowPages, type ExportRow } from '../db/export-query';
import { CHAMILO_NAMES, standardColumn, type StandardColumn } from '../formats/columns';
import { formatCsvLine } from '../formats/csv-writer';
import { JSON_ARRAY_OPENING, jsonArrayClosing, jsonArrayItem } from '../formats/json-writer';
import { XML_CONTACTS_CLOSING, XML_CONTACTS_OPENING, xmlContact } from '../formats/xml-writer';
import type { FileFormat } from '../formats/user-file';
import type { ServiceContext } from './context';
import { UsageError } from '../shared/errors';
import { loadFields, type ExtraField } from './fields';
import { legacyStatusOf } from './roles';
import { listRowToUser, sortRoles } from './user-model';
import type { UserFilter, UserOrder } from '../shared/user-filter';
import { countUsers, normaliseFilter } from './users';

export interface ExportRequest {
  filter: UserFilter;
  format: FileFormat;
  /** --columns: names of standard columns (any of their names) or extra fields. */
  columns?: string[];
  /** Migrations only: adds the bcrypt hashes (the caller writes them to a 0600 file). */
  includePasswordHashes?: boolean;
  /** CSV: leave formula-like cells as they are. */
  raw?: boolean;
  delimiter?: string;
  /** list --format csv: the list's order and page (an export is in id order). */
  order?: UserOrder;
  signal?: AbortSignal;
}

/** One column of a CSV or XML export. */
interface ExportColumn {
  name: string;
  value: (row: ExportRow, context: RowContext) => string;
}

interface RowContext {
  roles: string[];
  extra: Record<string, string> | undefined;
}

/** Chamilo's export columns first, then roster's, extra fields, enrolments. */
const DEFAULT_COLUMNS: StandardColumn[] = [
  'id',
  'lastname',
  'firstname',
  'email',
  'username',
  'authSource',
  'status',
  'roles',
  'officialCode',
  'phone',
  'language',
  'active',
  'expires',
  'registeredAt',
  'lastLoginAt',
  'picture',
  'deletedAt',
  'anonymizedAt',
];

const BATCH = 250;

export interface ExportPlan {
  format: FileFormat;
  columns: string[];
  /** Streams the file as text, a batch of users at a time. */
  chunks(): AsyncGenerator<string>;
  /** Users written so far. */
  readonly count: number;
}

/**
 * Plans an export and checks its options; chunks() then streams the text.
 * Passwords are never exported, hashes only when asked.
 */
export async function planExport(ctx: ServiceContext, request: ExportRequest): Promise<ExportPlan> {
  const fields = await loadFields(ctx.db.kysely);
  const filter = await normaliseFilter(ctx, request.filter, fields);
  const now = ctx.now().toISOString();
  const STANDARD_VALUES: Partial<Record<StandardColumn, ExportColumn['value']>> = {
    id: (r) => String(r.id),
    lastname: (r) => r.lastname,
    firstname: (r) => r.firstname,
    email: (r) => r.email,
    username: (r) => r.username,
    passwordHash: (r) => r.password_hash ?? '',
    authSource: (r) => r.auth_source,
    officialCode: (r) => r.official_code ?? '',
    language: (r) => r.language,
    phone: (r) => r.phone ?? '',
    status: (_r, c) => legacyStatusOf(c.roles),
    roles: (_r, c) => c.roles.join('|'),
    active: activeValue,
    expires: (r) => r.expires_at ?? '',
    registeredAt: (r) => r.registered_at,
    lastLoginAt: (r) => r.last_login_at ?? '',
    picture: (r) => r.picture ?? '',
    deletedAt: (r) => r.deleted_at ?? '',
    anonymizedAt: (r) => r.anonymized_at ?? '',
    courses: (r, c) => courseList(r.courses, c.roles),
    sessions: (r) => (r.sessions ? r.sessions.split(ENTRY_SEPARATOR).join('|') : ''),
  };
  if (request.columns && request.format === 'json') throw new UsageError('--fields applies to CSV and XML; JSON carries every field of a user');
  const columns = request.columns
    ? chooseColumns(request.columns, fields, Boolean(request.includePasswordHashes))
    : defaultColumns(fields, Boolean(request.includePasswordHashes));
  const names = columns.map((c) => c.name);
  const needs = {
    courses: request.format === 'json' || names.includes(CHAMILO_NAMES.courses),
    sessions: request.format === 'json' || names.includes(CHAMILO_NAMES.sessions),
  };
  const needsExtra = request.format === 'json' || columns.some((c) => !(STANDARD_NAMES as readonly string[]).includes(c.name));
  const delimiter = request.delimiter ?? ';';
  let count = 0;
  // Few distinct sets of roles exist: each is put in order once.
  const roleSets = new Map<string, string[]>();
  const rolesOf = (text: string | null): string[] => {
    if (!text) return [];
    let roles = roleSets.get(text);
    if (!roles) roleSets.set(text, (roles = sortRoles(text.split(','))));
    return roles;
  };
  const contextOf = (row: ExportRow): RowContext => ({
    roles: rolesOf(row.roles),
    extra: needsExtra && row.extra ? (JSON.parse(row.extra) as Record<string, string>) : undefined,
  });
  const valueGetters = columns.map((c) => c.value);

  async function* chunks(): AsyncGenerator<string> {
    const pages = exportRowPages(ctx.db, filter, needs, request.order);
    try {
      if (request.format === 'csv') yield formatCsvLine(names, delimiter, true);
      else if (request.format === 'xml') yield XML_CONTACTS_OPENING;
      else yield JSON_ARRAY_OPENING;
      let text = '';
      let inBatch = 0;
      for await (const page of pages) {
        for (const row of page) {
          const context = contextOf(row);
          if (request.format === 'json') {
            text += jsonArrayItem(jsonUser(row, fields, Boolean(request.includePasswordHashes)), count);
          } else {
            const cells = new Array<string>(valueGetters.length);
            for (let i = 0; i < valueGetters.length; i++) cells[i] = valueGetters[i]!(row, context);
            text += request.format === 'csv' ? formatCsvLine(cells, delimiter, request.raw) : xmlContact(names, cells);
          }
          count++;
          if (++inBatch === BATCH) {
            yield text;
            text = '';
            inBatch = 0;
            if (request.signal?.aborted) return;
          }
        }
      }
      if (request.format === 'xml') text += XML_CONTACTS_CLOSING;
      else if (request.format === 'json') text += jsonArrayClosing(count);
      yield text;
    } finally {
      await pages.return(undefined);
    }
  }

  /** Active as Chamilo writes it: -1 for an active account whose expiry date has passed. */
  /** Chamilo's convention: 1 active, 0 inactive, -1 expired, -2 deleted. */
  function activeValue(row: ExportRow): string {
    if (row.deleted_at) return '-2';
    if (!row.active) return '0';
    return row.expires_at && row.expires_at <= now ? '-1' : '1';
  }

  function defaultColumns(all: Map<string, ExtraField>, hashes: boolean): ExportColumn[] {
    const keys: StandardColumn[] = [...DEFAULT_COLUMNS];
    if (hashes) keys.splice(keys.indexOf('username') + 1, 0, 'passwordHash');
    return [
      ...keys.map(standard),
      ...[...all.values()].sort((a, b) => a.name.localeCompare(b.name)).map(extraColumn),
      standard('courses'),
      standard('sessions'),
    ];
  }

  function chooseColumns(requested: string[], all: Map<string, ExtraField>, hashes: boolean): ExportColumn[] {
    const chosen: ExportColumn[] = [];
    const seen = new Set<string>();
    for (const name of requested) {
      const named = resolveFieldName(name, all);
      if (named === 'password')
        throw new UsageError('passwords are never exported (roster only holds their hashes)', 'for a migration: --include-password-hashes');
      if (named === 'passwordHash' && !hashes)
        throw new UsageError('the PasswordHash column needs --include-password-hashes (the file is then created with mode 0600)');
      const column = typeof named === 'string' ? standard(named) : extraColumn(named);
      if (seen.has(column.name)) continue;
      seen.add(column.name);
      chosen.push(column);
    }
    if (hashes && !seen.has(CHAMILO_NAMES.passwordHash)) chosen.push(standard('passwordHash'));
    return chosen;
  }

  function standard(key: StandardColumn): ExportColumn {
    return { name: CHAMILO_NAMES[key], value: STANDARD_VALUES[key] ?? (() => '') };
  }

  function extraColumn(field: ExtraField): ExportColumn {
    return { name: field.name, value: (_row, c) => c.extra?.[field.name] ?? '' };
  }

  return {
    format: request.format,
    columns: request.format === 'json' ? [] : names,
    chunks,
    get count() {
      return count;
    },
  };
}

const STANDARD_NAMES = Object.values(CHAMILO_NAMES);

/**
 * What a name of --fields (or export's --columns) means: a standard column by
 * any of its names, else an extra field (`cohort` or `extra.cohort`).
 */
export function resolveFieldName(name: string, fields: Map<string, ExtraField>): StandardColumn | ExtraField {
  const key = standardColumn(name);
  if (key) return key;
  const field = fields.get(
    name
      .trim()
      .toLowerCase()
      .replace(/^extra\./, ''),
  );
  if (field) return field;
  const known = [...DEFAULT_COLUMNS, 'courses' as const, 'sessions' as const].map((k) => CHAMILO_NAMES[k]);
  throw new UsageError(`--fields: unknown field "${name}"`, `known: ${[...known, ...fields.keys()].join(', ')}`);
}

/** Course codes separated by |; CODE:role where the course role differs from what the user's roles imply. */
function courseList(text: string | null | undefined, roles: string[]): string {
  if (!text) return '';
  const implied = roles.includes('teacher') ? 'teacher' : 'student';
  return text
    .split(ENTRY_SEPARATOR)
    .map((entry) => {
      const [code, role] = entry.split(PART_SEPARATOR) as [string, string | undefined];
      return role && role !== implied ? `${code}:${role}` : code;
    })
    .join('|');
}

function jsonUser(row: ExportRow, fields: Map<string, ExtraField>, hashes: boolean) {
  const user = listRowToUser(row, fields);
  const courses = row.courses
    ? row.courses.split(ENTRY_SEPARATOR).map((entry) => {
        const [code, role] = entry.split(PART_SEPARATOR) as [string, string];
        return { code, role };
      })
    : [];
  const sessions = row.sessions ? row.sessions.split(ENTRY_SEPARATOR) : [];
  return hashes ? { ...user, courses, sessions, passwordHash: row.password_hash } : { ...user, courses, sessions };
}

/** How many users the export will hold (for the progress bar). */
export async function countExport(ctx: ServiceContext, filter: UserFilter): Promise<number> {
  return countUsers(ctx, filter);
}
