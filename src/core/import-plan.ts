import type { UserRow } from '../db/schema';
import { CHAMILO_NAMES, type StandardColumn } from '../formats/columns';
import type { UserRecord } from '../formats/user-file';
import { isRosterError, ValidationError, type FieldProblem } from '../shared/errors';
import { foldedKey, identityKey, recordKey } from '../shared/folding';
import type { ExtraField } from './fields';
import type { ColumnLayout } from './import-columns';
import { KeyIndex } from './key-index';
import { generatePassword, isBcryptHash, isLegacyHash, storedHashOf } from './passwords';
import { isRole, roleFromLegacyStatus, type Role } from './roles';
import { parseDate } from './time';
import { describeUser, lookAlikeMessage, prepareNewUser, type NewUserInput, type PreparedUser } from './users';
import { isWeakPassword, passwordProblem, WEAK_PASSWORD_WARNING } from './validation';

export type OnExisting = 'skip' | 'update' | 'fail';
export const ON_EXISTING: readonly OnExisting[] = ['skip', 'update', 'fail'];

export interface CourseRef {
  id: number;
  code: string;
  /** Given in the file as CODE:role; else decided by the user's roles. */
  role?: string;
}

/** A valid row of the file, ready to be hashed and written. */
export interface PlannedRow {
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
  /** The password is weak (a warning, not a refusal). */
  weak?: boolean;
}

/** A row refused: its problems, and whether they are all a clash with an existing user (exit 4). */
export class RowFailure extends Error {
  constructor(
    readonly problems: FieldProblem[],
    readonly conflict = false,
  ) {
    super(problems.map((p) => p.message).join('; '));
  }
}

export type RowPlan = { outcome: 'planned'; planned: PlannedRow } | { outcome: 'skipped'; username: string } | { outcome: 'failed'; failure: RowFailure };

export interface PlanOptions {
  onExisting: OnExisting;
  updatePasswords: boolean;
  replaceRoles: boolean;
  /** A dry run generates no password (it only counts them). */
  dryRun: boolean;
}

/** The keys a chunk of rows is looked up by, all at once (see lookUpChunk). */
export interface ChunkKeys {
  usernameKeys: string[];
  emailKeys: string[];
  usernameFolds: string[];
  emailFolds: string[];
  courseKeys: string[];
  sessionKeys: string[];
}

/** Another account whose username or email folds like a row's. */
export interface LookAlike {
  id: number;
  username: string;
  email: string;
  deleted_at: string | null;
  /** The identity key of the column looked at. */
  key: string;
}

/** What the database holds for a chunk's keys, read at once before its rows are planned. */
export interface ChunkState {
  byUsernameKey: ReadonlyMap<string, UserRow>;
  byEmailKey: ReadonlyMap<string, UserRow>;
  /** The roles of those accounts. */
  roles: ReadonlyMap<number, string[]>;
  lookAlikes: { username: ReadonlyMap<string, LookAlike[]>; email: ReadonlyMap<string, LookAlike[]> };
  /** By recordKey. */
  courses: ReadonlyMap<string, { id: number; code: string }>;
  sessions: ReadonlyMap<string, { id: number; name: string }>;
}

export type Warn = (row: number, field: string, message: string) => void;

const NOTHING_GIVEN: ReadonlySet<StandardColumn> = new Set();

/** Prepare's field names → the standard column they come from. */
const PREPARE_FIELDS: Record<string, string> = {
  'official-code': 'officialCode',
  'auth-source': 'authSource',
  role: 'roles',
  expires: 'expires',
};

/**
 * Checks the rows of a file one after the other, as `add` checks a user,
 * against what the database holds (given per chunk: it reads nothing
 * itself) and against the rows before it (a username twice in the file).
 * Decides whether each row creates, updates, is skipped or is refused.
 */
export class RowPlanner {
  /** Every username and email met in the file so far, with its row. */
  private readonly usernames = new KeyIndex();
  private readonly emails = new KeyIndex();
  /** The new usernames and emails of the file, folded: `jose` on one row and `josé` on another look alike. */
  // Off the heap, as the keys above: in Maps, the folded keys of 100,000 rows raised the XML import's peak by 60 MB.
  private readonly foldedInFile = { username: new KeyIndex(), email: new KeyIndex() };
  private readonly fields: Map<string, ExtraField>;
  /** The accounts rows of the file update, with the first row: two rows must not update one account. */
  private readonly updatedAccounts = new Map<number, number>();

  constructor(
    private readonly layout: ColumnLayout,
    private readonly options: PlanOptions,
    private readonly warn: Warn,
  ) {
    this.fields = new Map(layout.extras.map((e) => [e.field.name, e.field]));
  }

  /** The name of a column as the file writes it. */
  label(key: string): string {
    return this.layout.labels.get(key) ?? (Object.hasOwn(CHAMILO_NAMES, key) ? CHAMILO_NAMES[key as StandardColumn] : key);
  }

  /** The keys to look these records up by. */
  keysOf(records: readonly UserRecord[]): ChunkKeys {
    const keys: ChunkKeys = { usernameKeys: [], emailKeys: [], usernameFolds: [], emailFolds: [], courseKeys: [], sessionKeys: [] };
    for (const record of records) {
      if (record.problem) continue;
      const username = this.value(record, 'username').trim().normalize('NFC');
      const email = this.value(record, 'email').trim();
      keys.usernameKeys.push(identityKey(username));
      keys.emailKeys.push(identityKey(email));
      keys.usernameFolds.push(foldedKey(username));
      keys.emailFolds.push(foldedKey(email));
      for (const item of parseList(this.value(record, 'courses'))) {
        keys.courseKeys.push(recordKey(item));
        const colon = item.lastIndexOf(':');
        if (colon > 0) keys.courseKeys.push(recordKey(item.slice(0, colon)));
      }
      for (const item of parseList(this.value(record, 'sessions'))) keys.sessionKeys.push(recordKey(item));
    }
    return keys;
  }

  /** Plans one row; `state` holds what the database has for the row's chunk. */
  plan(record: UserRecord, state: ChunkState): RowPlan {
    try {
      return this.planOrThrow(record, state);
    } catch (error) {
      if (error instanceof RowFailure) return { outcome: 'failed', failure: error };
      if (isRosterError(error)) return { outcome: 'failed', failure: new RowFailure([{ field: '', message: error.message }]) };
      throw error;
    }
  }

  private planOrThrow(record: UserRecord, state: ChunkState): RowPlan {
    const { row } = record;
    if (record.problem) throw new RowFailure([{ field: record.problem.column, message: record.problem.message }]);
    const username = this.value(record, 'username').trim().normalize('NFC');
    const email = this.value(record, 'email').trim();
    const usernameKey = identityKey(username);
    const emailKey = identityKey(email);
    this.claimInFile(this.usernames, usernameKey, row, 'username', username);
    this.claimInFile(this.emails, emailKey, row, 'email', email);
    const byUsername = usernameKey ? state.byUsernameKey.get(usernameKey) : undefined;
    const byEmail = emailKey ? state.byEmailKey.get(emailKey) : undefined;
    if (byUsername && byEmail && byUsername.id !== byEmail.id) {
      const message = `the username "${username}" is ${describeUser(byUsername)}, but the email "${email}" is ${describeUser(byEmail)}`;
      throw new RowFailure([{ field: this.label('email'), message }], true);
    }
    const existing = byUsername ?? byEmail;
    if (existing) {
      if (this.options.onExisting === 'skip') {
        // Checked all the same, as an update would be: a wrong value is reported, not hidden by the skip.
        this.buildRow(record, state, existing);
        // Found by its email under another username: the file and the database disagree, which a
        // silent skip would hide.
        if (!byUsername)
          this.warn(
            row,
            this.label('username'),
            `the email ${email} is that of user ${existing.username}, not ${username}; skipped (--on-existing update gives it the username of the file)`,
          );
        return { outcome: 'skipped', username: existing.username };
      }
      const field = byUsername ? this.label('username') : this.label('email');
      this.checkUpdatable(existing, field);
      const first = this.updatedAccounts.get(existing.id);
      if (first !== undefined) throw new RowFailure([{ field, message: `${describeUser(existing)} is also updated by row ${first} of this file` }]);
      this.updatedAccounts.set(existing.id, row);
    } else {
      this.warnLookAlike(state, row, 'username', username, usernameKey);
      this.warnLookAlike(state, row, 'email', email, emailKey);
    }
    return { outcome: 'planned', planned: this.buildRow(record, state, existing) };
  }

  private claimInFile(index: KeyIndex, key: string, row: number, column: 'username' | 'email', value: string): void {
    if (!key) return;
    const first = index.claim(key, row);
    if (first !== undefined) throw new RowFailure([{ field: this.label(column), message: `"${value}" is also on row ${first} of this file` }]);
  }

  private checkUpdatable(existing: UserRow, field: string): void {
    if (this.options.onExisting === 'fail') throw new RowFailure([{ field, message: `${describeUser(existing)} already exists (--on-existing fail)` }], true);
    const blocked = existing.is_system
      ? 'is the system fallback account'
      : existing.anonymized_at
        ? 'is anonymized'
        : existing.deleted_at
          ? 'is deleted'
          : undefined;
    if (blocked) throw new RowFailure([{ field, message: `${describeUser(existing)} ${blocked} and cannot be updated` }], true);
  }

  /** A new username or email that folds like another account's, or another row's: said, not refused. */
  private warnLookAlike(state: ChunkState, row: number, column: 'username' | 'email', value: string, key: string): void {
    if (!key) return;
    const fold = foldedKey(value);
    const inFile = this.foldedInFile[column].entry(fold);
    if (inFile) {
      if (identityKey(inFile.text) !== key) {
        this.warn(
          row,
          this.label(column),
          `${column} "${value}" looks like "${inFile.text}" on row ${inFile.row} of this file; check that they are two people`,
        );
      }
      return;
    }
    this.foldedInFile[column].claim(fold, row, value);
    const other = state.lookAlikes[column].get(fold)?.find((account) => account.key !== key);
    if (other) this.warn(row, this.label(column), lookAlikeMessage(column, value, other[column], describeUser(other)));
  }

  private value(record: UserRecord, key: StandardColumn): string {
    const index = this.layout.standard[key];
    return index === undefined ? '' : (record.values[index] ?? '');
  }

  private buildRow(record: UserRecord, state: ChunkState, existing: UserRow | undefined): PlannedRow {
    const { row, values } = record;
    const get = (key: StandardColumn) => this.value(record, key);
    const problems: FieldProblem[] = [];
    const problem = (key: string, message: string) => problems.push({ field: this.label(key), message });
    // What an update replaces: the values the file gives.
    const given = existing ? new Set((Object.keys(this.layout.standard) as StandardColumn[]).filter((key) => get(key).trim() !== '')) : NOTHING_GIVEN;

    // The Roles column when it has a value, else Chamilo's Status.
    const rolesKey = get('roles').trim() ? 'roles' : 'status';
    const roles = parseRoleColumns(get('roles'), get('status'), (message) => problem(rolesKey, message));
    const activeState = parseActive(get('active'), (message) => problem('active', message));
    const active = activeState === 'deleted' ? undefined : activeState;
    const optionalDate = (key: StandardColumn): string | undefined => {
      const text = chamiloDate(get(key));
      if (!text) return undefined;
      try {
        return parseDate(text, this.label(key));
      } catch (error) {
        if (error instanceof ValidationError) for (const p of error.problems) problems.push({ field: this.label(key), message: p.message });
        return undefined;
      }
    };
    const registeredAt = optionalDate('registeredAt');
    const lastLoginAt = optionalDate('lastLoginAt');
    // The deleted and anonymized states travel with an export (issue 10); an import sets them on new accounts only.
    const deletedAt = optionalDate('deletedAt');
    const deleted = activeState === 'deleted' || deletedAt !== undefined;
    const anonymizedAt = optionalDate('anonymizedAt');
    if (existing && (deleted || anonymizedAt)) {
      const what = deleted ? 'deleted' : 'anonymized';
      problem(
        deleted ? 'active' : 'anonymizedAt',
        `the file marks ${describeUser(existing)} ${what}; an import does not change that state (use roster ${deleted ? 'delete' : 'anonymize'})`,
      );
    }
    const password = this.checkPasswords(get('password'), get('passwordHash'), problem);

    // An update keeps what the file leaves empty.
    const fill = (key: StandardColumn, stored: string | null) => (given.has(key) ? get(key) : (stored ?? ''));
    const storedRoles = existing ? ((state.roles.get(existing.id) ?? []) as Role[]) : [];
    const input: NewUserInput = {
      firstname: existing ? fill('firstname', existing.firstname) : get('firstname'),
      lastname: existing ? fill('lastname', existing.lastname) : get('lastname'),
      email: existing ? fill('email', existing.email) : get('email'),
      username: existing ? fill('username', existing.username) : get('username'),
      // An unreadable role was reported above; a student stands in so that it is not reported twice.
      roles: existing ? (this.options.replaceRoles && roles?.length ? roles : [...storedRoles, ...(roles ?? [])]) : roles?.length ? roles : ['student'],
      language: existing ? fill('language', existing.language) : get('language'),
      officialCode: existing ? fill('officialCode', existing.official_code) : get('officialCode'),
      phone: existing ? fill('phone', existing.phone) : get('phone'),
      // A stored picture is not checked again: only a new one is.
      picture: get('picture'),
      expires: existing && !given.has('expires') ? (existing.expires_at ?? '') : chamiloDate(get('expires')),
      inactive: anonymizedAt ? true : active === undefined ? (existing ? existing.active === 0 : false) : !active,
      authSource: existing ? fill('authSource', existing.auth_source) : get('authSource'),
      fields: this.layout.extras.filter((e) => (values[e.index] ?? '').trim() !== '').map((e) => ({ name: e.field.name, value: values[e.index]! })),
    };
    const prepared = this.prepare(input, problems);
    const finalRoles = prepared?.roles ?? [];
    const courses = parseList(get('courses')).flatMap((item) => {
      const course = findCourse(state, item);
      if (!course) problem('courses', missingCourse(item));
      return course ? [course] : [];
    });
    const sessions = parseList(get('sessions')).flatMap((item) => {
      const session = state.sessions.get(recordKey(item));
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
    this.choosePassword(planned, password, existing);
    return planned;
  }

  /** The row's Password and PasswordHash, checked; the hash in its stored form. */
  private checkPasswords(plaintext: string, hashText: string, problem: (key: string, message: string) => void): { plaintext?: string; hash?: string } {
    const givenHash = hashText.trim();
    const hash = givenHash ? (storedHashOf(givenHash) ?? givenHash) : '';
    const hasPlaintext = plaintext.trim() !== '';
    if (hasPlaintext && hash) problem('password', `give ${this.label('password')} or ${this.label('passwordHash')}, not both`);
    const tooLong = hasPlaintext ? passwordProblem(plaintext) : undefined;
    if (tooLong) problem('password', tooLong);
    if (hash && !isBcryptHash(hash) && !isLegacyHash(hash)) {
      problem(
        'passwordHash',
        'is not a bcrypt hash ($2a$, $2b$ or $2y$ followed by the cost and 53 characters), nor an md5 or sha1 digest (md5:<32 hex>, sha1:<40 hex>)',
      );
    }
    if (hasPlaintext && isBcryptHash(plaintext.trim())) {
      problem(
        'password',
        `holds a bcrypt hash, not a password; to keep it as it is, name the column PasswordHash (--map "${this.label('password')}=PasswordHash")`,
      );
    }
    return { plaintext: hasPlaintext ? plaintext : undefined, hash: hash || undefined };
  }

  /** An update keeps the users' own passwords unless --update-passwords (nothing is hashed for them). */
  private choosePassword(planned: PlannedRow, password: { plaintext?: string; hash?: string }, existing: UserRow | undefined): void {
    if (existing !== undefined && !this.options.updatePasswords) return;
    if (password.hash) planned.passwordHash = password.hash;
    else if (password.plaintext !== undefined) {
      planned.plaintext = password.plaintext;
      if (isWeakPassword(password.plaintext)) {
        planned.weak = true;
        this.warn(planned.row, this.label('password'), WEAK_PASSWORD_WARNING);
      }
    } else if (!existing && planned.prepared.row.auth_source === 'platform' && !planned.deleted && !planned.anonymizedAt) {
      // (A deleted or anonymized account cannot log in: it gets no password.)
      // Accounts of another authentication source (ldap, cas…) need no local password.
      planned.generated = true;
      if (!this.options.dryRun) planned.plaintext = generatePassword();
    }
  }

  private prepare(input: NewUserInput, problems: FieldProblem[]): PreparedUser | undefined {
    try {
      return prepareNewUser(input, this.fields);
    } catch (error) {
      if (error instanceof ValidationError) {
        for (const p of error.problems)
          problems.push({ field: this.label(Object.hasOwn(PREPARE_FIELDS, p.field) ? PREPARE_FIELDS[p.field]! : p.field), message: p.message });
      } else if (isRosterError(error)) {
        problems.push({ field: this.label('picture'), message: error.message });
      } else throw error;
      return undefined;
    }
  }
}

/** A course of the Courses column: its code, or CODE:role as roster's exports write a course role that differs from the default. */
function findCourse(state: ChunkState, item: string): CourseRef | undefined {
  const course = state.courses.get(recordKey(item));
  if (course) return { id: course.id, code: course.code };
  const colon = item.lastIndexOf(':');
  const role = item
    .slice(colon + 1)
    .trim()
    .toLowerCase();
  if (colon <= 0 || (role !== 'teacher' && role !== 'student')) return undefined;
  const base = state.courses.get(recordKey(item.slice(0, colon)));
  return base ? { id: base.id, code: base.code, role } : undefined;
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
  for (const item of text
    .split(/[|,]/)
    .map((s) => s.trim())
    .filter(Boolean)) {
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
