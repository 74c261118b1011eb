import fs from 'node:fs';
import path from 'node:path';
import type { Kysely, Transaction } from 'kysely';
import type { Database, NewUserRow, UserRow, UserUpdate } from '../db/schema';
import { findCourse, findSession } from '../db/course-repository';
import { countUsers as countSelected, userRowPages } from '../db/user-query';
import * as repo from '../db/user-repository';
import { audit, type FieldChange } from './audit';
import { nowIso, type ServiceContext } from './context';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors';
import { canonicalValue, loadFields, requireField, type ExtraField } from './fields';
import { parseLanguage } from './languages';
import { hashPassword } from './passwords';
import { parseRoles, type Role } from './roles';
import { parseExpiry } from './time';
import { changeActivation } from './activation';
import { assertNotLastActiveAdmin } from './admin-guard';
import { listRowToUser, sortRoles, toUser, type User } from './user-model';
import type { UserFilter, UserOrder } from '../shared/user-filter';
import {
  LIMITS,
  Problems,
  checkEmail,
  checkName,
  checkOptionalText,
  checkUsername,
  isWeakPassword,
  passwordProblem,
  WEAK_PASSWORD_WARNING,
} from './validation';
import { foldedKey, identityKey } from '../shared/folding';

export interface NewUserInput {
  firstname: string;
  lastname: string;
  email: string;
  username: string;
  roles: string[];
  /** Plain text: hashed here. */
  password?: string;
  /** An existing bcrypt hash (imports from another platform). */
  passwordHash?: string;
  language?: string;
  officialCode?: string;
  phone?: string;
  picture?: string;
  expires?: string;
  inactive?: boolean;
  authSource?: string;
  fields?: { name: string; value: string }[];
}

/** A new user, checked and normalised, ready to insert. */
export interface PreparedUser {
  row: Omit<NewUserRow, 'password_hash' | 'registered_at' | 'created_by'>;
  roles: Role[];
  extra: { field: ExtraField; value: string }[];
  warnings: string[];
}

/**
 * Checks everything that does not need the other users (format, roles, dates,
 * extra fields) and reports every problem at once. Shared with import.
 */
export function prepareNewUser(input: NewUserInput, fields: Map<string, ExtraField>): PreparedUser {
  const problems = new Problems();
  const firstname = input.firstname?.trim() ?? '';
  const lastname = input.lastname?.trim() ?? '';
  const email = input.email?.trim() ?? '';
  const username = input.username?.trim().normalize('NFC') ?? '';
  checkName(firstname, problems, 'firstname');
  checkName(lastname, problems, 'lastname');
  checkEmail(email, problems);
  checkUsername(username, problems);
  const officialCode = emptyToNull(input.officialCode);
  const phone = emptyToNull(input.phone);
  checkOptionalText(officialCode, LIMITS.officialCode, problems, 'official-code');
  checkOptionalText(phone, LIMITS.phone, problems, 'phone');
  const roles = collect(problems, () => parseRoles(input.roles));
  if (roles && roles.length === 0) problems.add('role', 'at least one role is required');
  const language = input.language?.trim() ? collect(problems, () => parseLanguage(input.language!)) : 'en';
  const expiresAt = input.expires?.trim() ? collect(problems, () => parseExpiry(input.expires!, 'expires')) : null;
  const extra: PreparedUser['extra'] = [];
  for (const assignment of input.fields ?? []) {
    const field = requireField(fields, assignment.name);
    const value = collect(problems, () => canonicalValue(field, assignment.value));
    if (value !== undefined) extra.push({ field, value });
  }
  const picture = emptyToNull(input.picture);
  checkOptionalText(picture, LIMITS.picture, problems, 'picture');
  const authSource = input.authSource?.trim() || 'platform';
  checkOptionalText(authSource, LIMITS.authSource, problems, 'auth-source');
  const tooLong = input.password !== undefined ? passwordProblem(input.password) : undefined;
  if (tooLong) problems.add('password', tooLong);
  if (!problems.empty) throw new ValidationError(problems.list);
  const warnings: string[] = [];
  if (input.password !== undefined && isWeakPassword(input.password)) warnings.push(WEAK_PASSWORD_WARNING);
  return {
    row: {
      username,
      username_key: identityKey(username),
      email,
      email_key: identityKey(email),
      firstname,
      lastname,
      firstname_key: foldedKey(firstname),
      lastname_key: foldedKey(lastname),
      username_fold_key: foldedKey(username),
      email_fold_key: foldedKey(email),
      official_code: officialCode,
      phone,
      language: language ?? 'en',
      picture: picture ? normalisePicture(picture) : null,
      auth_source: authSource,
      active: input.inactive ? 0 : 1,
      expires_at: expiresAt ?? null,
    },
    roles: sortRoles(roles ?? []) as Role[],
    extra,
    warnings,
  };
}

/** Runs a check that throws a ValidationError, and keeps its problems instead. */
function collect<T>(problems: Problems, check: () => T): T | undefined {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    for (const p of error.problems) problems.add(p.field, error.suggestion ? `${p.message} (${error.suggestion})` : p.message);
    return undefined;
  }
}

function emptyToNull(value: string | null | undefined): string | null {
  const text = value?.trim();
  return text ? text : null;
}

/** A URL is kept as given; a local path must exist and is stored absolute. */
function normalisePicture(picture: string): string {
  if (/^https?:\/\//i.test(picture)) return picture;
  const absolute = path.resolve(picture);
  if (!fs.existsSync(absolute)) throw new NotFoundError(`picture: no file ${absolute}`, 'give an existing image path or an http(s) URL');
  return absolute;
}

/** Refuses a username or email that another account holds in any case (deleted accounts included). */
export async function assertIdentityFree(
  db: Transaction<Database> | ServiceContext['db']['kysely'],
  identity: { username_key?: string; email_key?: string },
  exceptUserId?: number,
): Promise<void> {
  const clashes: string[] = [];
  if (identity.username_key) {
    const other = await repo.findByUsernameKey(db, identity.username_key);
    if (other && other.id !== exceptUserId) clashes.push(`username "${other.username}" is taken by ${describeUser(other)}`);
    // A username that is someone else's email would make that reference ambiguous.
    const emailOwner = identity.username_key.includes('@') ? await repo.findByEmailKey(db, identity.username_key) : undefined;
    if (emailOwner && emailOwner.id !== exceptUserId) clashes.push(`username "${identity.username_key}" is the email of ${describeUser(emailOwner)}`);
  }
  if (identity.email_key) {
    const other = await repo.findByEmailKey(db, identity.email_key);
    if (other && other.id !== exceptUserId) clashes.push(`email "${other.email}" is taken by ${describeUser(other)}`);
    const usernameOwner = await repo.findByUsernameKey(db, identity.email_key);
    if (usernameOwner && usernameOwner.id !== exceptUserId) clashes.push(`email "${identity.email_key}" is the username of ${describeUser(usernameOwner)}`);
  }
  if (clashes.length) throw new ConflictError(clashes.join('; '));
}

/**
 * Warnings for a username or email that looks like another account's (the
 * same once folded: `jose` and `josé`, `soren` and `søren`): not refused, as
 * two people may be meant, but said, as one person entered twice is likelier.
 */
export async function lookAlikeWarnings(
  db: Transaction<Database> | ServiceContext['db']['kysely'],
  identity: { username?: string; email?: string },
  exceptUserId?: number,
): Promise<string[]> {
  const warnings: string[] = [];
  for (const column of ['username', 'email'] as const) {
    const value = identity[column];
    if (!value) continue;
    const other = await repo.findLookAlike(db, column, foldedKey(value), identityKey(value), exceptUserId);
    if (other) warnings.push(lookAlikeMessage(column, value, other[column], describeUser(other)));
  }
  return warnings;
}

export function lookAlikeMessage(column: 'username' | 'email', value: string, other: string, owner: string): string {
  return `${column} "${value}" looks like "${other}", the ${column} of ${owner}; check that they are two people`;
}

export function describeUser(row: Pick<UserRow, 'id' | 'username' | 'deleted_at'>): string {
  return `user ${row.username} (id:${row.id}${row.deleted_at ? ', deleted' : ''})`;
}

export interface AddResult {
  user: User;
  warnings: string[];
}

export async function addUser(ctx: ServiceContext, input: NewUserInput, deliver?: Deliver<AddResult>): Promise<AddResult> {
  const fields = await loadFields(ctx.db.kysely);
  const prepared = prepareNewUser(input, fields);
  const past = pastExpiryWarning(prepared.row.expires_at, nowIso(ctx));
  if (past) prepared.warnings.push(past);
  if (!input.password && !input.passwordHash) throw new ValidationError([{ field: 'password', message: 'is required' }]);
  // Hash before the transaction: bcrypt is slow and must not hold the write lock.
  const passwordHash = input.passwordHash ?? (await hashPassword(input.password!));
  const id = await ctx.db.kysely.transaction().execute(async (trx) => {
    await assertIdentityFree(trx, prepared.row);
    prepared.warnings.push(...(await lookAlikeWarnings(trx, prepared.row)));
    const userId = await insertPreparedUser(trx, ctx, prepared, passwordHash);
    await audit(trx, ctx, 'user.add', userId, {
      changes: [
        ...Object.entries(prepared.row)
          .filter(([key, value]) => value !== null && !key.endsWith('_key'))
          .map(([field, after]) => ({ field, before: null, after })),
        { field: 'roles', before: null, after: prepared.roles },
        ...prepared.extra.map((e) => ({ field: `extra.${e.field.name}`, before: null, after: e.value })),
        { field: 'password', before: null, after: null, secret: true },
      ],
    });
    if (deliver) await deliver({ user: await loadUserWith(trx, (await repo.findUserById(trx, userId))!), warnings: prepared.warnings });
    return userId;
  });
  return { user: await getUserById(ctx, id), warnings: prepared.warnings };
}

export async function insertPreparedUser(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  prepared: PreparedUser,
  passwordHash: string | null,
): Promise<number> {
  const userId = await repo.insertUser(trx, {
    ...prepared.row,
    password_hash: passwordHash,
    registered_at: nowIso(ctx),
    created_by: ctx.actor,
  });
  await repo.addRoles(trx, userId, prepared.roles);
  for (const e of prepared.extra) await repo.setExtraValue(trx, userId, e.field.id, e.value);
  return userId;
}

/** The user for a reference, or a NotFoundError naming it. */
export async function requireUser(db: ServiceContext['db']['kysely'] | Transaction<Database>, ref: string): Promise<UserRow> {
  const row = await repo.findUserByRef(db, ref);
  if (!row) throw new NotFoundError(`no user "${ref}"`, 'a user is a username, an email address or id:<number>');
  return row;
}

export async function getUserById(ctx: ServiceContext, id: number): Promise<User> {
  const row = await repo.findUserById(ctx.db.kysely, id);
  if (!row) throw new NotFoundError(`no user id:${id}`);
  return loadUser(ctx, row);
}

export async function getUser(ctx: ServiceContext, ref: string): Promise<User> {
  return loadUser(ctx, await requireUser(ctx.db.kysely, ref));
}

async function loadUser(ctx: ServiceContext, row: UserRow): Promise<User> {
  return loadUserWith(ctx.db.kysely, row);
}

async function loadUserWith(db: Kysely<Database> | Transaction<Database>, row: UserRow): Promise<User> {
  const [roles, extra, fields] = await Promise.all([repo.rolesOf(db, row.id), repo.extraValuesOf(db, row.id), loadFields(db)]);
  return toUser(row, roles, extra, fields);
}

/**
 * Shows the result (a generated password, a token) before the change is
 * committed: when it cannot be written (a full disk, a closed terminal) the
 * change is rolled back, so that no account keeps a secret nobody saw.
 */
export type Deliver<T> = (result: T) => Promise<void> | void;

/** Streams the selection: bounded memory whatever its size. */
export async function* listUsers(ctx: ServiceContext, filter: UserFilter, order: UserOrder = {}): AsyncGenerator<User> {
  const fields = await loadFields(ctx.db.kysely);
  for await (const page of userRowPages(ctx.db, await normaliseFilter(ctx, filter, fields), order)) {
    for (const row of page) yield listRowToUser(row, fields);
  }
}

export async function countUsers(ctx: ServiceContext, filter: UserFilter): Promise<number> {
  return countSelected(ctx.db.kysely, await normaliseFilter(ctx, filter));
}

/**
 * Checks what the filter names (extra fields, courses, sessions) so that a
 * typo is an error rather than an empty result, and puts field values in
 * their stored form (`--field alumni=yes` finds `true`).
 */
export async function normaliseFilter(ctx: ServiceContext, filter: UserFilter, fields?: Map<string, ExtraField>): Promise<UserFilter> {
  const db = ctx.db.kysely;
  // The stored code and name, so that the query matches their key whatever was typed.
  if (filter.course) {
    const course = await findCourse(db, filter.course);
    if (!course) throw new NotFoundError(`no course "${filter.course}"`, 'see roster course list');
    filter = { ...filter, course: course.code };
  }
  if (filter.session) {
    const session = await findSession(db, filter.session);
    if (!session) throw new NotFoundError(`no session "${filter.session}"`, 'see roster session list');
    filter = { ...filter, session: session.name };
  }
  if (!filter.fields?.length) return filter;
  const known = fields ?? (await loadFields(db));
  return {
    ...filter,
    fields: filter.fields.map(({ name, value }) => {
      const field = requireField(known, name);
      return { name: field.name, value: canonicalValue(field, value) };
    }),
  };
}

export interface UserEdit {
  firstname?: string;
  lastname?: string;
  email?: string;
  username?: string;
  language?: string;
  officialCode?: string;
  phone?: string;
  picture?: string;
  /** A date, or "never" to remove the expiration. */
  expires?: string;
  addRoles?: string[];
  removeRoles?: string[];
  /** Replaces all roles. */
  roles?: string[];
  password?: string;
  setFields?: { name: string; value: string }[];
  unsetFields?: string[];
  authSource?: string;
  /** Activates or deactivates, with the rules of roster activate and deactivate. */
  active?: boolean;
}

export interface EditResult {
  user: User;
  changes: FieldChange[];
  warnings: string[];
}

/** A date already past surprises: the account is (or becomes at the next expiry run) expired. */
function pastExpiryWarning(expiresAt: string | null | undefined, now: string): string | undefined {
  if (!expiresAt || expiresAt > now) return undefined;
  return `the expiration date ${expiresAt.slice(0, 10)} has passed: the account is expired, and the next roster expire deactivates it`;
}

/** Applies the edit in one transaction; returns each field changed (none: nothing written). */
export async function editUser(ctx: ServiceContext, ref: string, edit: UserEdit, deliver?: Deliver<EditResult>): Promise<EditResult> {
  const passwordHash = edit.password !== undefined ? await hashPassword(edit.password) : undefined;
  const fields = await loadFields(ctx.db.kysely);
  const { id, changes, warnings } = await ctx.db.kysely.transaction().execute(async (trx) => {
    const row = await requireUser(trx, ref);
    const applied = await applyEdit(ctx, trx, row, edit, fields, passwordHash);
    if (deliver) await deliver({ user: await loadUserWith(trx, (await repo.findUserById(trx, row.id))!), ...applied });
    return { id: row.id, ...applied };
  });
  return { user: await getUserById(ctx, id), changes, warnings };
}

/**
 * Checks the values of an edit that do not depend on the user (a language, a
 * date, roles, extra fields), once: a batch refuses a wrong value before it
 * starts (exit 5, or 3 for an unknown field), instead of failing each user.
 */
export function checkEditValues(edit: UserEdit, fields: Map<string, ExtraField>): void {
  const problems = new Problems();
  if (edit.language !== undefined) collect(problems, () => parseLanguage(edit.language!));
  if (edit.expires !== undefined) collect(problems, () => parseExpiry(edit.expires!, 'expires'));
  if (edit.authSource !== undefined && !edit.authSource.trim())
    problems.add('auth-source', 'is empty; give the name of an authentication source, e.g. platform or ldap');
  if (edit.authSource !== undefined) checkOptionalText(edit.authSource.trim(), LIMITS.authSource, problems, 'auth-source');
  for (const [roles, field] of [
    [edit.roles, 'roles'],
    [edit.addRoles, 'add-role'],
    [edit.removeRoles, 'remove-role'],
  ] as const) {
    if (roles) collect(problems, () => parseRoles(roles, field));
  }
  for (const assignment of edit.setFields ?? []) {
    const field = requireField(fields, assignment.name);
    collect(problems, () => canonicalValue(field, assignment.value));
  }
  for (const name of edit.unsetFields ?? []) requireField(fields, name);
  if (!problems.empty) throw new ValidationError(problems.list);
}

/**
 * One user's edit, inside the caller's transaction: checked, written and
 * audited, or refused (a RosterError) before anything of it is kept.
 * `edit user` runs it for one user, a batch edit for each.
 */
export async function applyEdit(
  ctx: ServiceContext,
  trx: Transaction<Database>,
  row: UserRow,
  edit: UserEdit,
  fields: Map<string, ExtraField>,
  passwordHash?: string,
): Promise<{ changes: FieldChange[]; warnings: string[] }> {
  const warnings: string[] = [];
  assertEditable(row);
  const { update, changes } = userFieldChanges(row, edit);
  const past = update.expires_at !== undefined ? pastExpiryWarning(update.expires_at, nowIso(ctx)) : undefined;
  if (past) {
    // Every cron run after it would be refused with exit 4: refused now, once.
    await assertNotLastActiveAdmin(trx, nowIso(ctx), row, 'give it an expiration date in the past');
    warnings.push(past);
  }
  if (update.username_key || update.email_key) await assertIdentityFree(trx, update, row.id);
  if (update.username !== undefined || update.email !== undefined) {
    warnings.push(...(await lookAlikeWarnings(trx, { username: update.username, email: update.email }, row.id)));
  }
  if (edit.password !== undefined && isWeakPassword(edit.password)) warnings.push(WEAK_PASSWORD_WARNING);
  if (passwordHash) {
    update.password_hash = passwordHash;
    changes.push({ field: 'password', before: null, after: null, secret: true });
  }
  await repo.updateUser(trx, row.id, update);
  const roleChange = await applyRoleEdit(trx, row.id, edit, nowIso(ctx));
  if (roleChange) changes.push(roleChange);
  changes.push(...(await applyFieldEdit(trx, row.id, edit, fields)));
  if (changes.length) await audit(trx, ctx, 'user.edit', row.id, { changes });
  // After the other fields: activation checks the expiration date this same edit may have moved.
  if (edit.active !== undefined && (await changeActivation(ctx, trx, row.id, edit.active)) === 'changed') {
    changes.push({ field: 'active', before: edit.active ? 0 : 1, after: edit.active ? 1 : 0 });
  }
  return { changes, warnings };
}

function assertEditable(row: UserRow): void {
  if (row.is_system) throw new ConflictError(`${describeUser(row)} is the system fallback account and cannot be edited`);
  if (row.anonymized_at) throw new ConflictError(`${describeUser(row)} is anonymized and cannot be edited`);
  if (row.deleted_at) throw new ConflictError(`${describeUser(row)} is deleted`, `restore it first: roster restore id:${row.id}`);
}

/** The column updates and their before → after, for the plain fields of an edit. */
function userFieldChanges(row: UserRow, edit: UserEdit): { update: UserUpdate; changes: FieldChange[] } {
  const problems = new Problems();
  const next: Partial<Record<keyof UserRow, string | null>> = {};
  if (edit.firstname !== undefined) {
    checkName(edit.firstname, problems, 'firstname');
    next.firstname = edit.firstname.trim();
  }
  if (edit.lastname !== undefined) {
    checkName(edit.lastname, problems, 'lastname');
    next.lastname = edit.lastname.trim();
  }
  if (edit.email !== undefined) {
    checkEmail(edit.email.trim(), problems);
    next.email = edit.email.trim();
  }
  if (edit.username !== undefined) {
    const username = edit.username.trim().normalize('NFC');
    checkUsername(username, problems);
    next.username = username;
  }
  if (edit.language !== undefined) next.language = collect(problems, () => parseLanguage(edit.language!)) ?? null;
  if (edit.officialCode !== undefined) {
    next.official_code = emptyToNull(edit.officialCode);
    checkOptionalText(next.official_code, LIMITS.officialCode, problems, 'official-code');
  }
  if (edit.phone !== undefined) {
    next.phone = emptyToNull(edit.phone);
    checkOptionalText(next.phone, LIMITS.phone, problems, 'phone');
  }
  if (edit.picture !== undefined) {
    const picture = emptyToNull(edit.picture);
    checkOptionalText(picture, LIMITS.picture, problems, 'picture');
    next.picture = picture && problems.empty ? normalisePicture(picture) : null;
  }
  if (edit.expires !== undefined) {
    next.expires_at = collect(problems, () => parseExpiry(edit.expires!, 'expires')) ?? null;
  }
  if (edit.authSource !== undefined) {
    next.auth_source = edit.authSource.trim();
    if (!next.auth_source) problems.add('auth-source', 'is empty; give the name of an authentication source, e.g. platform or ldap');
    else checkOptionalText(next.auth_source, LIMITS.authSource, problems, 'auth-source');
  }
  if (!problems.empty) throw new ValidationError(problems.list);

  const update: UserUpdate = {};
  const changes: FieldChange[] = [];
  for (const [column, value] of Object.entries(next) as [keyof UserRow, string | null][]) {
    if (row[column] === value) continue;
    (update as Record<string, unknown>)[column] = value;
    changes.push({ field: column, before: row[column], after: value });
  }
  // A change of case alone keeps the key; a real rename is checked for clashes.
  if (update.username !== undefined) update.username_key = identityKey(update.username);
  if (update.email !== undefined) update.email_key = identityKey(update.email);
  if (update.username !== undefined) update.username_fold_key = foldedKey(update.username);
  if (update.email !== undefined) update.email_fold_key = foldedKey(update.email);
  if (update.firstname !== undefined) update.firstname_key = foldedKey(update.firstname);
  if (update.lastname !== undefined) update.lastname_key = foldedKey(update.lastname);
  if (update.username_key === row.username_key) delete update.username_key;
  if (update.email_key === row.email_key) delete update.email_key;
  return { update, changes };
}

async function applyRoleEdit(trx: Transaction<Database>, userId: number, edit: UserEdit, now: string): Promise<FieldChange | undefined> {
  if (!edit.roles && !edit.addRoles?.length && !edit.removeRoles?.length) return undefined;
  const before = sortRoles(await repo.rolesOf(trx, userId));
  let after = new Set<string>(edit.roles ? parseRoles(edit.roles, 'roles') : before);
  for (const role of parseRoles(edit.addRoles ?? [], 'add-role')) after.add(role);
  for (const role of parseRoles(edit.removeRoles ?? [], 'remove-role')) after.delete(role);
  if (after.size === 0) {
    throw new ValidationError(
      [{ field: 'roles', message: 'a user must keep at least one role' }],
      'add another role in the same command, e.g. --add-role student',
    );
  }
  after = new Set(sortRoles(after));
  const added = [...after].filter((r) => !before.includes(r));
  const removed = before.filter((r) => !after.has(r));
  if (!added.length && !removed.length) return undefined;
  if (removed.includes('admin')) await assertNotLastActiveAdmin(trx, now, (await repo.findUserById(trx, userId))!, 'take the admin role from it');
  await repo.addRoles(trx, userId, added);
  await repo.removeRoles(trx, userId, removed);
  return { field: 'roles', before, after: [...after] };
}

async function applyFieldEdit(trx: Transaction<Database>, userId: number, edit: UserEdit, fields: Map<string, ExtraField>): Promise<FieldChange[]> {
  if (!edit.setFields?.length && !edit.unsetFields?.length) return [];
  const current = await repo.extraValuesOf(trx, userId);
  const changes: FieldChange[] = [];
  const problems = new Problems();
  const planned: { field: ExtraField; value: string | null }[] = [];
  for (const assignment of edit.setFields ?? []) {
    const field = requireField(fields, assignment.name);
    const value = collect(problems, () => canonicalValue(field, assignment.value));
    if (value !== undefined) planned.push({ field, value });
  }
  for (const name of edit.unsetFields ?? []) planned.push({ field: requireField(fields, name), value: null });
  if (!problems.empty) throw new ValidationError(problems.list);
  for (const { field, value } of planned) {
    const before = current[field.name] ?? null;
    if (before === value) continue;
    if (value === null) await repo.deleteExtraValue(trx, userId, field.id);
    else await repo.setExtraValue(trx, userId, field.id, value);
    if (value === null) delete current[field.name];
    else current[field.name] = value;
    changes.push({ field: `extra.${field.name}`, before, after: value });
  }
  return changes;
}
