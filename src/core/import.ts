import path from 'node:path';
import type { NewUserRow, UserRow } from '../db/schema';
import { ImportStore, isForeignKeyViolation, isUniqueViolation } from '../db/import-store';
import { CHAMILO_NAMES, type StandardColumn } from '../formats/columns';
import { checkEncodingName, fileSource, spooledSource } from '../formats/decode';
import type { CredentialLine, CredentialsFile, RejectReport } from '../formats/import-files';
import { scanUserFile, type FileFormat, type ReadOptions, type UserFile, type UserRecord } from '../formats/user-file';
import type { FieldChange } from './audit';
import { nowIso, type ServiceContext } from './context';
import { isRosterError, ValidationError, type FieldProblem } from '../shared/errors';
import type { ExtraField } from './fields';
import type { ColumnLayout } from './import-columns';
import { PasswordPool } from './password-pool';
import { generatePassword, isBcryptHash, isLegacyHash, storedHashOf, verifyPassword } from './passwords';
import { isRole, roleFromLegacyStatus, type Role } from './roles';
import { parseDate } from './time';
import { sortRoles } from './user-model';
import { describeUser, lookAlikeMessage, prepareNewUser, type NewUserInput, type PreparedUser } from './users';
import { KeyIndex } from './key-index';
import { isWeakPassword, passwordProblem } from './validation';
import { foldedKey, identityKey, recordKey } from '../shared/folding';

export type OnExisting = 'skip' | 'update' | 'fail';
export const ON_EXISTING: readonly OnExisting[] = ['skip', 'update', 'fail'];

export interface ImportRequest {
  file: UserFile;
  layout: ColumnLayout;
  /** What to do with a row naming a user that exists (by username, then email). */
  onExisting: OnExisting;
  /** With update: the file's passwords replace the stored ones (else users keep their own). */
  updatePasswords?: boolean;
  /** With update: the file's roles replace the stored ones (else they are added). */
  replaceRoles?: boolean;
  /** Nothing is written unless every row is valid. */
  atomic?: boolean;
  /** Check and count everything, write nothing. */
  dryRun?: boolean;
  /** Receives username;password for every generated password, before the users are committed. */
  credentials?: CredentialsFile;
  /** Receives the rejected rows as CSV with a reason column. */
  report?: RejectReport;
  /** Stops the import at the next row; what was committed stays. */
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Rows per transaction (default 2,000). */
  chunkRows?: number;
  pool?: { size?: number; cost?: number };
}

export interface RowMessage {
  row: number;
  field: string;
  message: string;
}

export interface ImportSummary {
  file: string;
  format: FileFormat;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  errors: RowMessage[];
  warnings: RowMessage[];
  /** The rows skipped because their user exists (--on-existing skip), or needs no change (update). */
  skippedRows: { row: number; username: string }[];
  weakPasswords: number;
  /** Passwords generated for users that were committed (a dry run: that would be). */
  generatedPasswords: number;
  /** Lines of an interrupted earlier run removed from the credentials file: their users were never committed. */
  staleCredentials: number;
  dryRun: boolean;
  atomic: boolean;
  /** Stopped by a signal: the rows before were committed in whole chunks. */
  interrupted: boolean;
  /** Every failure is a clash with an existing user (exit 4 under --atomic). */
  conflictsOnly: boolean;
}

const CHUNK_ROWS = 2000;
/** Password hashes per chunk and worker: a chunk of slow rows commits every second or so. */
const HASHES_PER_WORKER = 8;
const MAX_WARNINGS = 100;
const NOTHING_GIVEN: ReadonlySet<StandardColumn> = new Set();

interface CourseRef {
  id: number;
  code: string;
  /** Given in the file as CODE:role; else decided by the user's roles. */
  role?: string;
}

interface PlannedRow {
  row: number;
  values: string[];
  kind: 'create' | 'update';
  existingId?: number;
  prepared: PreparedUser;
  /** Standard values the file gives (non-empty): what an update replaces. */
  given: ReadonlySet<StandardColumn>;
  rolesGiven: boolean;
  courses: CourseRef[];
  sessions: { id: number; name: string }[];
  registeredAt?: string;
  lastLoginAt?: string;
  /** A deleted account of the file (Active -2, or a DeletedAt date): created in the "Deleted users" view. */
  deleted?: boolean;
  /** Its deletion date, when the file gives one (else the time of the import). */
  deletedAt?: string;
  /** An anonymized account of the file: created as such, inactive, without a password. */
  anonymizedAt?: string;
  /** To hash in a worker. */
  plaintext?: string;
  /** Generated: goes to the credentials file once committed. */
  generated?: boolean;
  /** Given as PasswordHash, or computed from plaintext. */
  passwordHash?: string;
}

interface Chunk {
  rows: PlannedRow[];
  hashing: Promise<void>;
}

interface ChunkOutcome {
  created: number;
  updated: number;
  skipped: number;
  skippedRows: ImportSummary['skippedRows'];
  credentials: CredentialLine[];
  failures: { planned: PlannedRow; failure: RowFailure }[];
}

/** Rolls a chunk back so that it is written again, one savepoint per row. */
class RedoCarefully extends Error {}

class RowFailure extends Error {
  constructor(
    readonly problems: FieldProblem[],
    readonly conflict = false,
  ) {
    super(problems.map((p) => p.message).join('; '));
  }
}

/**
 * Imports the users of a file that scanUserFile() found well-formed. Rows
 * are checked as `add` checks them; valid ones are written in transactions
 * of a few thousand rows (a killed import leaves whole chunks only and can
 * be run again), invalid ones are reported and skipped. Passwords are
 * hashed on every core while the database is written.
 */
export async function importUsers(ctx: ServiceContext, request: ImportRequest): Promise<ImportSummary> {
  const { file, layout } = request;
  const dryRun = Boolean(request.dryRun);
  const atomic = Boolean(request.atomic);
  const store = new ImportStore(ctx.db);
  const source = path.basename(file.name);
  const summary: ImportSummary = {
    file: file.name,
    format: file.format,
    created: 0,
    updated: 0,
    skipped: 0,
    failed: 0,
    errors: [],
    warnings: [],
    skippedRows: [],
    weakPasswords: 0,
    generatedPasswords: 0,
    staleCredentials: 0,
    dryRun,
    atomic,
    interrupted: false,
    conflictsOnly: true,
  };
  const label = (key: string): string => layout.labels.get(key) ?? (Object.hasOwn(CHAMILO_NAMES, key) ? CHAMILO_NAMES[key as StandardColumn] : key);
  const report = request.report;
  const credentials = dryRun ? undefined : request.credentials;
  const pool = dryRun ? undefined : new PasswordPool(request.pool);
  const chunkRows = request.chunkRows ?? CHUNK_ROWS;
  const hashesPerChunk = HASHES_PER_WORKER * (pool?.size ?? 1);
  // Every username and email met in the file so far, with its row.
  const usernames = new KeyIndex();
  const emails = new KeyIndex();
  const known = knownIdentities(store);
  // The new usernames and emails of the file, folded: `jose` on one row and `josé` on another look alike.
  const foldedInFile = { username: new Map<string, { row: number; value: string }>(), email: new Map<string, { row: number; value: string }>() };
  const courseCache = new Map<string, CourseRef | null>();
  const sessionCache = new Map<string, { id: number; name: string } | null>();
  const pending: Chunk[] = [];
  // --atomic: every row is planned before anything is hashed or written.
  const heldRows: PlannedRow[] = [];
  let current: PlannedRow[] = [];
  let currentHashes = 0;
  let read = 0;
  let lastProgress = 0;
  const aborted = new Promise<void>((resolve) => {
    if (request.signal?.aborted) resolve();
    request.signal?.addEventListener('abort', () => resolve(), { once: true });
  });

  const fail = (row: number, values: string[], failure: RowFailure | FieldProblem[]): void => {
    const problems = failure instanceof RowFailure ? failure.problems : failure;
    if (!(failure instanceof RowFailure && failure.conflict)) summary.conflictsOnly = false;
    summary.failed++;
    for (const p of problems) summary.errors.push({ row, field: p.field, message: p.message });
    report?.add(values, problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; '));
  };
  const warn = (row: number, field: string, message: string) => {
    if (summary.warnings.length < MAX_WARNINGS) summary.warnings.push({ row, field, message });
  };
  /** Writing stops at the first failure under --atomic: the transaction will be rolled back. */
  const writing = () => !dryRun && !(atomic && summary.failed > 0);

  // ---- Reading and checking one row (no writes) ----

  const plan = (record: UserRecord): PlannedRow | undefined => {
    const { row, values } = record;
    if (record.problem) {
      fail(row, values, [{ field: record.problem.column, message: record.problem.message }]);
      return undefined;
    }
    const get = (key: StandardColumn): string => {
      const index = layout.standard[key];
      return index === undefined ? '' : (values[index] ?? '');
    };
    const username = get('username').trim().normalize('NFC');
    const email = get('email').trim();
    const usernameKey = identityKey(username);
    const emailKey = identityKey(email);
    if (usernameKey) {
      const first = usernames.claim(usernameKey, row);
      if (first !== undefined) {
        fail(row, values, [{ field: label('username'), message: `"${username}" is also on row ${first} of this file` }]);
        return undefined;
      }
    }
    if (emailKey) {
      const first = emails.claim(emailKey, row);
      if (first !== undefined) {
        fail(row, values, [{ field: label('email'), message: `"${email}" is also on row ${first} of this file` }]);
        return undefined;
      }
    }
    const exists = known ? known.usernames.get(usernameKey) !== undefined || known.emails.get(emailKey) !== undefined : store.anyUserWith(usernameKey, emailKey);
    const byUsername = exists && usernameKey ? store.userByUsernameKey(usernameKey) : undefined;
    const byEmail = exists && emailKey ? store.userByEmailKey(emailKey) : undefined;
    if (byUsername && byEmail && byUsername.id !== byEmail.id) {
      fail(
        row,
        values,
        new RowFailure(
          [{ field: label('email'), message: `the username "${username}" is ${describeUser(byUsername)}, but the email "${email}" is ${describeUser(byEmail)}` }],
          true,
        ),
      );
      return undefined;
    }
    const existing = byUsername ?? byEmail;
    if (existing) {
      if (request.onExisting === 'skip') {
        summary.skipped++;
        summary.skippedRows.push({ row, username: existing.username });
        return undefined;
      }
      const field = byUsername ? label('username') : label('email');
      if (request.onExisting === 'fail') {
        fail(row, values, new RowFailure([{ field, message: `${describeUser(existing)} already exists (--on-existing fail)` }], true));
        return undefined;
      }
      const blocked = existing.is_system ? 'is the system fallback account' : existing.anonymized_at ? 'is anonymized' : existing.deleted_at ? 'is deleted' : undefined;
      if (blocked) {
        fail(row, values, new RowFailure([{ field, message: `${describeUser(existing)} ${blocked} and cannot be updated` }], true));
        return undefined;
      }
    }
    if (!existing) {
      warnLookAlike(row, 'username', username, usernameKey);
      warnLookAlike(row, 'email', email, emailKey);
    }
    try {
      return buildRow(record, get, existing);
    } catch (error) {
      if (error instanceof RowFailure) fail(row, values, error);
      else if (isRosterError(error)) fail(row, values, [{ field: '', message: error.message }]);
      else throw error;
      return undefined;
    }
  };

  /** A new username or email that folds like another account's, or another row's: said, not refused. */
  const warnLookAlike = (row: number, column: 'username' | 'email', value: string, key: string) => {
    if (!key) return;
    const fold = foldedKey(value);
    const inFile = foldedInFile[column].get(fold);
    if (inFile && identityKey(inFile.value) !== key) {
      warn(row, label(column), `${column} "${value}" looks like "${inFile.value}" on row ${inFile.row} of this file; check that they are two people`);
    } else if (!inFile) {
      foldedInFile[column].set(fold, { row, value });
      const other = store.lookAlike(column, fold, key);
      if (other) warn(row, label(column), lookAlikeMessage(column, value, other[column], describeUser(other)));
    }
  };

  const buildRow = (record: UserRecord, get: (key: StandardColumn) => string, existing: UserRow | undefined): PlannedRow => {
    const { row, values } = record;
    const problems: FieldProblem[] = [];
    const problem = (key: string, message: string) => problems.push({ field: label(key), message });
    // What an update replaces: the values the file gives.
    let given = NOTHING_GIVEN;
    if (existing) given = new Set((Object.keys(layout.standard) as StandardColumn[]).filter((key) => get(key).trim() !== ''));

    // The Roles column when it has a value, else Chamilo's Status.
    const rolesKey = get('roles').trim() ? 'roles' : 'status';
    const roles = parseRoleColumns(get('roles'), get('status'), (message) => problem(rolesKey, message));
    const state = parseActive(get('active'), (message) => problem('active', message));
    const active = state === 'deleted' ? undefined : state;
    const optionalDate = (key: StandardColumn): string | undefined => {
      const text = chamiloDate(get(key));
      if (!text) return undefined;
      try {
        return parseDate(text, label(key));
      } catch (error) {
        if (error instanceof ValidationError) for (const p of error.problems) problems.push({ field: label(key), message: p.message });
        return undefined;
      }
    };
    const registeredAt = optionalDate('registeredAt');
    const lastLoginAt = optionalDate('lastLoginAt');
    // The deleted and anonymized states travel with an export (issue 10); an import sets them on new accounts only.
    const deletedAt = optionalDate('deletedAt');
    const deleted = state === 'deleted' || deletedAt !== undefined;
    const anonymizedAt = optionalDate('anonymizedAt');
    if (existing && (deleted || anonymizedAt)) {
      problem(deleted ? 'active' : 'anonymizedAt', `the file marks ${describeUser(existing)} ${deleted ? 'deleted' : 'anonymized'}; an import does not change that state (use roster ${deleted ? 'delete' : 'anonymize'})`);
    }
    const plaintext = get('password');
    const givenHash = get('passwordHash').trim();
    const hash = givenHash ? (storedHashOf(givenHash) ?? givenHash) : '';
    const hasPlaintext = plaintext.trim() !== '';
    if (hasPlaintext && hash) problem('password', `give ${label('password')} or ${label('passwordHash')}, not both`);
    const tooLong = hasPlaintext ? passwordProblem(plaintext) : undefined;
    if (tooLong) problem('password', tooLong);
    if (hash && !isBcryptHash(hash) && !isLegacyHash(hash)) {
      problem('passwordHash', 'is not a bcrypt hash ($2a$, $2b$ or $2y$ followed by the cost and 53 characters), nor an md5 or sha1 digest (md5:<32 hex>, sha1:<40 hex>)');
    }
    if (hasPlaintext && isBcryptHash(plaintext.trim())) {
      problem('password', `holds a bcrypt hash, not a password; to keep it as it is, name the column PasswordHash (--map "${label('password')}=PasswordHash")`);
    }

    // An update keeps what the file leaves empty.
    const fill = (key: StandardColumn, stored: string | null) => (given.has(key) ? get(key) : (stored ?? ''));
    const storedRoles = existing ? (store.rolesOf(existing.id) as Role[]) : [];
    const input: NewUserInput = {
      firstname: existing ? fill('firstname', existing.firstname) : get('firstname'),
      lastname: existing ? fill('lastname', existing.lastname) : get('lastname'),
      email: existing ? fill('email', existing.email) : get('email'),
      username: existing ? fill('username', existing.username) : get('username'),
      // An unreadable role was reported above; a student stands in so that it is not reported twice.
      roles: existing ? (request.replaceRoles && roles?.length ? roles : [...storedRoles, ...(roles ?? [])]) : roles?.length ? roles : ['student'],
      language: existing ? fill('language', existing.language) : get('language'),
      officialCode: existing ? fill('officialCode', existing.official_code) : get('officialCode'),
      phone: existing ? fill('phone', existing.phone) : get('phone'),
      // A stored picture is not checked again: only a new one is.
      picture: get('picture'),
      expires: existing && !given.has('expires') ? (existing.expires_at ?? '') : chamiloDate(get('expires')),
      inactive: anonymizedAt ? true : active === undefined ? (existing ? existing.active === 0 : false) : !active,
      authSource: existing ? fill('authSource', existing.auth_source) : get('authSource'),
      fields: layout.extras.filter((e) => (values[e.index] ?? '').trim() !== '').map((e) => ({ name: e.field.name, value: values[e.index]! })),
    };
    let prepared: PreparedUser | undefined;
    try {
      prepared = prepareNewUser(input, fieldsOf(layout));
    } catch (error) {
      if (error instanceof ValidationError) {
        for (const p of error.problems) problems.push({ field: label(Object.hasOwn(PREPARE_FIELDS, p.field) ? PREPARE_FIELDS[p.field]! : p.field), message: p.message });
      } else if (isRosterError(error)) {
        problems.push({ field: label('picture'), message: error.message });
      } else throw error;
    }
    const finalRoles = prepared?.roles ?? [];
    const courses = parseList(get('courses')).flatMap((item) => {
      const course = findCourse(item);
      if (!course) problem('courses', missingCourse(item));
      return course ? [course] : [];
    });
    const sessions = parseList(get('sessions')).flatMap((item) => {
      const session = findSession(item);
      if (!session) problem('sessions', `no session "${item}"; create it first (roster session add)`);
      return session ? [session] : [];
    });
    if (problems.length || !prepared) throw new RowFailure(problems);

    const planned: PlannedRow = {
      row,
      values,
      kind: existing ? 'update' : 'create',
      existingId: existing?.id,
      prepared,
      given,
      rolesGiven: roles !== undefined,
      courses: courses.map((c) => ({ ...c, role: c.role ?? (finalRoles.includes('teacher') ? 'teacher' : 'student') })),
      sessions,
      registeredAt,
      lastLoginAt,
      deleted,
      deletedAt,
      anonymizedAt,
    };
    // An update keeps the users' own passwords unless --update-passwords (nothing is hashed for them).
    const keepsPassword = existing !== undefined && !request.updatePasswords;
    if (keepsPassword) {
      // The file's password is not used.
    } else if (hash) planned.passwordHash = hash;
    else if (hasPlaintext) {
      planned.plaintext = plaintext;
      if (isWeakPassword(plaintext)) {
        summary.weakPasswords++;
        warn(row, label('password'), 'the password is weak (fewer than 8 characters)');
      }
    } else if (!existing && prepared.row.auth_source === 'platform' && !deleted && !anonymizedAt) {
      // (A deleted or anonymized account cannot log in: it gets no password.)
      // Accounts of another authentication source (ldap, cas…) need no local password.
      planned.generated = true;
      if (dryRun) summary.generatedPasswords++;
      else planned.plaintext = generatePassword();
    }
    return planned;
  };

  const findCourse = (item: string): CourseRef | undefined => {
    const key = recordKey(item);
    let found = courseCache.get(key);
    if (found === undefined) {
      const course = store.course(key);
      found = course ? { id: course.id, code: course.code } : null;
      if (!found) {
        // CODE:role, as roster's exports write a course role that differs from the default.
        const colon = item.lastIndexOf(':');
        const role = item.slice(colon + 1).trim().toLowerCase();
        if (colon > 0 && (role === 'teacher' || role === 'student')) {
          const base = store.course(recordKey(item.slice(0, colon)));
          if (base) found = { id: base.id, code: base.code, role };
        }
      }
      courseCache.set(key, found);
    }
    return found ?? undefined;
  };

  const findSession = (item: string) => {
    const key = recordKey(item);
    let found = sessionCache.get(key);
    if (found === undefined) {
      found = store.session(key) ?? null;
      sessionCache.set(key, found);
    }
    return found ?? undefined;
  };

  // ---- Writing (synchronous, inside transactions) ----

  /**
   * Writes one row. The fast way runs it straight in the chunk's
   * transaction: a row refused by its first write (a duplicate) leaves
   * nothing behind. The careful way wraps each row in a savepoint; it is
   * used to redo a chunk when a row failed halfway.
   */
  const writeRow = (planned: PlannedRow, at: string, outcome: ChunkOutcome, careful: boolean) => {
    const attempt = () => {
      if (planned.kind === 'create') {
        createUser(planned, at);
        outcome.created++;
        if (planned.generated && planned.plaintext) outcome.credentials.push({ username: planned.prepared.row.username, password: planned.plaintext });
        return;
      }
      const existing = store.userById(planned.existingId!);
      if (!existing || existing.deleted_at || existing.anonymized_at) {
        throw new RowFailure([{ field: label('username'), message: 'the user was deleted while the file was imported' }]);
      }
      const update = planUpdate(existing, planned);
      if (!update.changes.length) {
        outcome.skipped++;
        outcome.skippedRows.push({ row: planned.row, username: existing.username });
        return;
      }
      applyUpdate(existing.id, planned, update, at);
      outcome.updated++;
    };
    try {
      if (careful) store.transaction(attempt);
      else attempt();
    } catch (error) {
      if (error instanceof RowFailure) return outcome.failures.push({ planned, failure: error });
      if (isUniqueViolation(error)) {
        const message = 'the username or email was taken by another account while the file was imported; run the import again';
        return outcome.failures.push({ planned, failure: new RowFailure([{ field: label('username'), message }], true) });
      }
      if (!careful) throw new RedoCarefully();
      if (isForeignKeyViolation(error)) {
        const message = 'a course or session was removed while the file was imported; run the import again';
        return outcome.failures.push({ planned, failure: new RowFailure([{ field: label('courses'), message }]) });
      }
      throw error;
    }
  };

  const createUser = (planned: PlannedRow, at: string) => {
    const { prepared } = planned;
    // The prepared row is this row's own: completed in place rather than copied (the hot path).
    const full = prepared.row as NewUserRow;
    full.password_hash = planned.passwordHash ?? null;
    full.registered_at = planned.registeredAt ?? at;
    full.last_login_at = planned.lastLoginAt ?? null;
    full.deleted_at = planned.deleted ? (planned.deletedAt ?? at) : null;
    full.anonymized_at = planned.anonymizedAt ?? null;
    full.created_by = ctx.actor;
    const userId = store.insertUser(full);
    for (const role of prepared.roles) store.addRole(userId, role);
    for (const e of prepared.extra) store.setExtraValue(userId, e.field.id, e.value);
    for (const c of planned.courses) store.enrolInCourse(c.id, userId, c.role!, at);
    for (const s of planned.sessions) store.enrolInSession(s.id, userId, at);
    // The row holds the values; the entry says where they came from (never the password).
    const details: Record<string, unknown> = { source, row: planned.row, roles: prepared.roles };
    if (prepared.extra.length) details.extra = Object.fromEntries(prepared.extra.map((e) => [e.field.name, e.value]));
    if (planned.courses.length) details.courses = planned.courses.map((c) => c.code);
    if (planned.sessions.length) details.sessions = planned.sessions.map((s) => s.name);
    store.audit({ at, actor: ctx.actor, action: 'user.import', user_id: userId, details: JSON.stringify(details) });
  };

  interface UpdatePlan {
    update: Record<string, unknown>;
    changes: FieldChange[];
    addRoles: Role[];
    removeRoles: string[];
    setExtras: { field: ExtraField; value: string }[];
    addCourses: CourseRef[];
    addSessions: { id: number; name: string }[];
  }

  const renameWarned = new Set<number>();
  const planUpdate = (existing: UserRow, planned: PlannedRow): UpdatePlan => {
    const { prepared, given } = planned;
    const row = prepared.row;
    const update: Record<string, unknown> = {};
    const changes: FieldChange[] = [];
    const set = (column: keyof UserRow, value: unknown) => {
      if (existing[column] === value) return;
      update[column] = value;
      changes.push({ field: column, before: existing[column], after: value });
    };
    if (given.has('firstname')) set('firstname', row.firstname);
    if (given.has('lastname')) set('lastname', row.lastname);
    if (given.has('email')) set('email', row.email);
    if (given.has('username')) set('username', row.username);
    // The sort keys follow the names (not reported: they are not fields of their own).
    if (update.firstname !== undefined) update.firstname_key = row.firstname_key;
    if (update.lastname !== undefined) update.lastname_key = row.lastname_key;
    if (update.email !== undefined) update.email_fold_key = row.email_fold_key;
    if (update.username !== undefined) update.username_fold_key = row.username_fold_key;
    if (update.email !== undefined && row.email_key !== existing.email_key) update.email_key = row.email_key;
    if (update.username !== undefined && row.username_key !== existing.username_key) {
      update.username_key = row.username_key;
      // Found by its email, the account takes the file's username: say so, it surprises.
      if (!renameWarned.has(planned.row)) {
        renameWarned.add(planned.row);
        warn(planned.row, label('username'), `user ${existing.username} (found by its email ${existing.email}) gets the username ${row.username} of the file`);
      }
    }
    if (given.has('officialCode')) set('official_code', row.official_code);
    if (given.has('phone')) set('phone', row.phone);
    if (given.has('language')) set('language', row.language);
    if (given.has('picture')) set('picture', row.picture);
    if (given.has('authSource')) set('auth_source', row.auth_source);
    if (given.has('expires')) set('expires_at', row.expires_at);
    if (given.has('active')) set('active', row.active);
    if (planned.registeredAt) set('registered_at', planned.registeredAt);
    if (planned.lastLoginAt) set('last_login_at', planned.lastLoginAt);
    if (planned.plaintext !== undefined || (planned.passwordHash && planned.passwordHash !== existing.password_hash)) {
      update.password_hash = planned.passwordHash ?? null;
      changes.push({ field: 'password', before: null, after: null, secret: true });
    }
    const before = sortRoles(store.rolesOf(existing.id));
    const addRoles = planned.rolesGiven ? prepared.roles.filter((r) => !before.includes(r)) : [];
    const removeRoles = planned.rolesGiven && request.replaceRoles ? before.filter((r) => !prepared.roles.includes(r as Role)) : [];
    if (removeRoles.includes('admin') && existing.active && !existing.deleted_at && store.otherActiveAdmins(existing.id) === 0) {
      throw new RowFailure([{ field: label('roles'), message: `${existing.username} is the last active admin and keeps the admin role (--replace-roles)` }], true);
    }
    if (addRoles.length || removeRoles.length) {
      changes.push({ field: 'roles', before, after: sortRoles([...before.filter((r) => !removeRoles.includes(r)), ...addRoles]) });
    }
    const extras = store.extraValuesOf(existing.id);
    const setExtras = prepared.extra.filter((e) => extras.get(e.field.id) !== e.value);
    for (const e of setExtras) changes.push({ field: `extra.${e.field.name}`, before: extras.get(e.field.id) ?? null, after: e.value });
    const courseIds = planned.courses.length ? store.courseIdsOf(existing.id) : new Set<number>();
    const addCourses = planned.courses.filter((c) => !courseIds.has(c.id));
    if (addCourses.length) changes.push({ field: 'courses', before: null, after: addCourses.map((c) => c.code) });
    const sessionIds = planned.sessions.length ? store.sessionIdsOf(existing.id) : new Set<number>();
    const addSessions = planned.sessions.filter((s) => !sessionIds.has(s.id));
    if (addSessions.length) changes.push({ field: 'sessions', before: null, after: addSessions.map((s) => s.name) });
    return { update, changes, addRoles, removeRoles, setExtras, addCourses, addSessions };
  };

  const applyUpdate = (userId: number, planned: PlannedRow, plan: UpdatePlan, at: string) => {
    store.updateUser(userId, plan.update);
    for (const role of plan.addRoles) store.addRole(userId, role);
    for (const role of plan.removeRoles) store.removeRole(userId, role);
    for (const e of plan.setExtras) store.setExtraValue(userId, e.field.id, e.value);
    for (const c of plan.addCourses) store.enrolInCourse(c.id, userId, c.role!, at);
    for (const s of plan.addSessions) store.enrolInSession(s.id, userId, at);
    store.audit({ at, actor: ctx.actor, action: 'user.import', user_id: userId, details: JSON.stringify({ source, row: planned.row, changes: plan.changes }) });
  };

  // ---- The pipeline: read → check → hash (workers) → write ----

  const progress = (force = false) => {
    if (!request.onProgress) return;
    if (force || read - lastProgress >= 500) {
      lastProgress = read;
      request.onProgress(read, file.rows);
    }
  };

  const dispatch = async () => {
    const rows = current;
    current = [];
    currentHashes = 0;
    if (!rows.length) return;
    if (!writing()) {
      // Dry run, or an atomic import already doomed: count what would happen.
      if (dryRun) for (const r of rows) countDry(r);
      return;
    }
    if (atomic) {
      // Hashed and written once the whole file is known to be valid (writeAtomically).
      heldRows.push(...rows);
      return;
    }
    const toHash = rows.filter((r) => r.plaintext !== undefined);
    const hashing = toHash.length
      ? pool!.hash(toHash.map((r) => r.plaintext!)).then((hashes) => {
          toHash.forEach((r, i) => (r.passwordHash = hashes[i]));
        })
      : Promise.resolve();
    hashing.catch(() => undefined);
    pending.push({ rows, hashing });
    // Two chunks hash while the oldest is written; a chunk with nothing to hash is written at once.
    while (pending.length > (toHash.length ? 2 : 0)) await writeOldest();
  };

  const countDry = (planned: PlannedRow) => {
    if (planned.kind === 'create') {
      summary.created++;
      return;
    }
    const existing = store.userById(planned.existingId!);
    let changes = 0;
    try {
      changes = existing ? planUpdate(existing, planned).changes.length : 0;
    } catch (error) {
      if (!(error instanceof RowFailure)) throw error;
      fail(planned.row, planned.values, error);
      return;
    }
    if (changes) summary.updated++;
    else {
      summary.skipped++;
      if (existing) summary.skippedRows.push({ row: planned.row, username: existing.username });
    }
  };

  const writeChunk = (rows: PlannedRow[], careful: boolean): ChunkOutcome => {
    const at = nowIso(ctx);
    const outcome: ChunkOutcome = { created: 0, updated: 0, skipped: 0, skippedRows: [], credentials: [], failures: [] };
    store.transaction(() => {
      for (const planned of rows) writeRow(planned, at, outcome, careful);
      // The credentials reach the disk before the users exist: no account without its password.
      // (--atomic writes them all just before its one commit.)
      if (!atomic) credentials?.append(outcome.credentials);
    });
    return outcome;
  };

  const writeOldest = async () => {
    const chunk = pending.shift();
    if (!chunk) return;
    await Promise.race([chunk.hashing, aborted]);
    if (request.signal?.aborted || !writing()) return;
    const outcome = writeChunkOnce(chunk.rows);
    summary.generatedPasswords += outcome.credentials.length;
    progress(true);
  };

  /** Writes a chunk; a row that failed halfway rolls the chunk back, and it is redone row by row. */
  const writeChunkOnce = (rows: PlannedRow[]): ChunkOutcome => {
    let outcome: ChunkOutcome;
    try {
      outcome = writeChunk(rows, false);
    } catch (error) {
      if (!(error instanceof RedoCarefully)) throw error;
      outcome = writeChunk(rows, true);
    }
    summary.created += outcome.created;
    summary.updated += outcome.updated;
    summary.skipped += outcome.skipped;
    summary.skippedRows.push(...outcome.skippedRows);
    for (const { planned, failure } of outcome.failures) fail(planned.row, planned.values, failure);
    for (const planned of rows) planned.plaintext = undefined;
    return outcome;
  };

  /**
   * --atomic, once every row is known to be valid: the passwords are hashed
   * first, without the write lock (a cron job is not kept waiting for
   * minutes), then everything is written in one transaction.
   */
  const writeAtomically = async () => {
    const toHash = heldRows.filter((r) => r.plaintext !== undefined);
    if (toHash.length) {
      const hashing = pool!.hash(toHash.map((r) => r.plaintext!));
      hashing.catch(() => undefined);
      const hashes = await Promise.race([hashing, aborted.then(() => undefined)]);
      if (!hashes) return;
      toHash.forEach((r, i) => (r.passwordHash = hashes[i]));
    }
    const generated: CredentialLine[] = [];
    store.begin();
    try {
      for (let at = 0; at < heldRows.length; at += chunkRows) {
        generated.push(...writeChunkOnce(heldRows.slice(at, at + chunkRows)).credentials);
        progress(true);
      }
      if (summary.failed > 0) {
        store.rollback();
        summary.created = summary.updated = 0;
        return;
      }
      credentials?.append(generated);
      store.commit();
      summary.generatedPasswords = generated.length;
    } catch (error) {
      store.rollback();
      throw error;
    }
  };

  /**
   * An earlier run with the same credentials file may have been killed
   * after writing the lines of a chunk and before committing it: those
   * lines name users that do not exist, or (if somebody created them since)
   * a password that does not work. They are removed before this run
   * appends, so that the file holds one working line per generated password.
   */
  const reconcileCredentials = async () => {
    if (!credentials) return;
    const lines = credentials.existingLines();
    if (!lines.length) return;
    const existing = lines.map((l) => store.userByUsernameKey(identityKey(l.username)));
    const keep = lines.map((_, i) => existing[i] !== undefined);
    // Only the last chunk of a run can be uncommitted: its lines are checked against the stored hash too.
    for (let i = Math.max(0, lines.length - 2 * hashesPerChunk); i < lines.length; i++) {
      const hash = existing[i]?.password_hash;
      if (keep[i] && (!hash || !(await verifyPassword(lines[i]!.password, hash)))) keep[i] = false;
    }
    const kept = lines.filter((_, i) => keep[i]);
    summary.staleCredentials = lines.length - kept.length;
    if (summary.staleCredentials) credentials.rewrite(kept);
  };

  try {
    await reconcileCredentials();
    for await (const record of file.records()) {
      if (request.signal?.aborted) break;
      read++;
      const planned = plan(record);
      if (planned) {
        current.push(planned);
        if (planned.plaintext !== undefined) currentHashes++;
        if (current.length >= chunkRows || currentHashes >= hashesPerChunk) await dispatch();
      }
      progress();
    }
    if (!request.signal?.aborted) {
      await dispatch();
      while (pending.length && !request.signal?.aborted) await writeOldest();
    }
    if (atomic && !dryRun && !request.signal?.aborted && summary.failed === 0) await writeAtomically();
    if (request.signal?.aborted) {
      summary.interrupted = true;
      if (atomic) summary.created = summary.updated = 0;
    }
    if (summary.failed === 0) summary.conflictsOnly = false;
    progress(true);
    report?.finish();
    return summary;
  } catch (error) {
    store.rollback();
    report?.abandon();
    throw error;
  } finally {
    pending.length = 0;
    await pool?.destroy();
    store.close();
    credentials?.close();
  }
}

/** Prepare's field names → the standard column they come from. */
const PREPARE_FIELDS: Record<string, string> = {
  'official-code': 'officialCode',
  'auth-source': 'authSource',
  role: 'roles',
  expires: 'expires',
};

const fieldMaps = new WeakMap<ColumnLayout, Map<string, ExtraField>>();
function fieldsOf(layout: ColumnLayout): Map<string, ExtraField> {
  let map = fieldMaps.get(layout);
  if (!map) {
    map = new Map(layout.extras.map((e) => [e.field.name, e.field]));
    fieldMaps.set(layout, map);
  }
  return map;
}

/** Up to this many accounts, their usernames and emails are read into memory once, instead of two lookups a row. */
const KNOWN_IN_MEMORY = 250_000;

/**
 * The identities held before the import started, for a database small
 * enough. A user another process adds meanwhile makes the insert fail as
 * a duplicate, which is reported as such.
 */
function knownIdentities(store: ImportStore): { usernames: KeyIndex; emails: KeyIndex } | undefined {
  if (store.userCount() > KNOWN_IN_MEMORY) return undefined;
  const usernames = new KeyIndex();
  const emails = new KeyIndex();
  for (const [username, email] of store.identityKeys()) {
    usernames.set(username, 0);
    emails.set(email, 0);
  }
  return { usernames, emails };
}

/** Names the course a CODE:role item lacks, or the role it gets wrong. */
function missingCourse(item: string): string {
  const colon = item.lastIndexOf(':');
  const [code, role] = [item.slice(0, colon).trim(), item.slice(colon + 1).trim()];
  if (colon <= 0 || !['teacher', 'student'].includes(role.toLowerCase())) return `no course "${item}"; create it first (roster course add)`;
  return `no course "${code}" (given as ${item}); create it first (roster course add ${code})`;
}

function parseList(text: string): string[] {
  if (!text.trim()) return [];
  return text
    .split('|')
    .map((s) => s.trim())
    .filter(Boolean);
}

const STATUS_HINT = 'use 1 (teacher), 5 (student), 3 (session admin), 4 (HR manager), 20 (invitee), user, teacher, session_admin, drh, or a role name';

/**
 * The roles of a row: the Roles column (role names separated by |), else
 * Chamilo's Status (codes and legacy words); undefined when neither is given.
 */
export function parseRoleColumns(rolesText: string, statusText: string, problem: (message: string) => void): Role[] | undefined {
  const text = rolesText.trim() ? rolesText : statusText;
  if (!text.trim()) return undefined;
  const roles: Role[] = [];
  for (const item of text.split(/[|,]/).map((s) => s.trim()).filter(Boolean)) {
    const role = roleFromLegacyStatus(item) ?? (isRole(item.toLowerCase()) ? (item.toLowerCase() as Role) : undefined);
    if (!role) {
      problem(rolesText.trim() ? `unknown role "${item}"` : `unknown status "${item}"; ${STATUS_HINT}`);
      continue;
    }
    if (!roles.includes(role)) roles.push(role);
  }
  return roles;
}

const ACTIVE_TRUE = ['1', '-1', 'true', 'yes', 'y', 'on', 'active'];
const ACTIVE_FALSE = ['0', 'false', 'no', 'n', 'off', 'inactive'];

/** Chamilo's Active: 1, 0, -1 for an expired account (its expiry date says so), -2 for a deleted one. */
export function parseActive(text: string, problem: (message: string) => void): boolean | 'deleted' | undefined {
  const key = text.trim().toLowerCase();
  if (!key) return undefined;
  if (ACTIVE_TRUE.includes(key)) return true;
  if (ACTIVE_FALSE.includes(key)) return false;
  if (key === '-2' || key === 'deleted') return 'deleted';
  problem(`"${text}" is not 1 (active), 0 (inactive), -1 (expired) or -2 (deleted)`);
  return undefined;
}

/** Chamilo writes 0000-00-00 00:00:00 for "no date". */
function chamiloDate(text: string): string {
  const value = text.trim();
  return /^0000-00-00/.test(value) ? '' : value;
}

/**
 * Opens a file (or standard input, held in memory) and reads it through
 * once: a malformed, truncated, binary or wrongly encoded file is refused
 * here, before anything is written.
 */
export async function openImportFile(input: string | NodeJS.ReadableStream, options: ReadOptions = {}): Promise<UserFile> {
  if (options.encoding) await checkEncodingName(options.encoding);
  const source = typeof input === 'string' ? fileSource(input) : await spooledSource(input);
  return scanUserFile(source, options);
}
