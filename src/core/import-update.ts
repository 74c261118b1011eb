import type { UserRow, UserUpdate } from '../db/schema';
import type { FieldChange } from './audit';
import type { ExtraField } from './fields';
import type { PlannedRow, CourseRef } from './import-plan';
import type { Role } from './roles';
import { sortRoles } from './user-model';

/** What the database holds of an account an import updates, read for a whole chunk at once. */
export interface StoredAccount {
  user: UserRow;
  roles: string[];
  /** Field id → value. */
  extras: ReadonlyMap<number, string>;
  courseIds: ReadonlySet<number>;
  sessionIds: ReadonlySet<number>;
}

export interface UpdatePlan {
  update: UserUpdate;
  changes: FieldChange[];
  addRoles: Role[];
  removeRoles: string[];
  /** `replaces`: the account holds a value for this field already. */
  setExtras: { field: ExtraField; value: string; replaces: boolean }[];
  addCourses: CourseRef[];
  addSessions: { id: number; name: string }[];
  /** Found by its email, the account takes the file's username. */
  renamed: boolean;
  /** What the update takes from an admin (its role, its activity, its time), and by which column: the last admin keeps it. */
  losing?: AdminLoss;
}

/**
 * The difference between what an account holds and what its row of the
 * file gives: only the values the file gives replace stored ones, roles
 * are added (or, with replaceRoles, replaced), enrolments are added.
 * Pure: the caller reads `stored` and writes the plan.
 */
export function planUpdate(stored: StoredAccount, planned: PlannedRow, options: { replaceRoles: boolean; now: string }): UpdatePlan {
  const existing = stored.user;
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
  const renamed = update.username !== undefined && row.username_key !== existing.username_key;
  if (renamed) update.username_key = row.username_key;
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
  const before = sortRoles(stored.roles);
  const addRoles = planned.rolesGiven ? prepared.roles.filter((r) => !before.includes(r)) : [];
  const removeRoles = planned.rolesGiven && options.replaceRoles ? before.filter((r) => !prepared.roles.includes(r as Role)) : [];
  if (addRoles.length || removeRoles.length) {
    changes.push({ field: 'roles', before, after: sortRoles([...before.filter((r) => !removeRoles.includes(r)), ...addRoles]) });
  }
  const setExtras = prepared.extra.filter((e) => stored.extras.get(e.field.id) !== e.value).map((e) => ({ ...e, replaces: stored.extras.has(e.field.id) }));
  for (const e of setExtras) changes.push({ field: `extra.${e.field.name}`, before: stored.extras.get(e.field.id) ?? null, after: e.value });
  const addCourses = planned.courses.filter((c) => !stored.courseIds.has(c.id));
  if (addCourses.length) changes.push({ field: 'courses', before: null, after: addCourses.map((c) => c.code) });
  const addSessions = planned.sessions.filter((s) => !stored.sessionIds.has(s.id));
  if (addSessions.length) changes.push({ field: 'sessions', before: null, after: addSessions.map((s) => s.name) });
  return {
    update: update,
    changes,
    addRoles,
    removeRoles,
    setExtras,
    addCourses,
    addSessions,
    renamed,
    losing: adminLoss(update, removeRoles, options.now),
  };
}

export interface AdminLoss {
  /** In the words of the refusal: "roster will not take its admin role". */
  what: string;
  column: 'roles' | 'active' | 'expires';
}

/** What an admin would lose by this update. */
function adminLoss(update: Record<string, unknown>, removeRoles: readonly string[], now: string): AdminLoss | undefined {
  if (removeRoles.includes('admin')) return { what: 'take its admin role (--replace-roles)', column: 'roles' };
  if (update.active !== undefined && !update.active) return { what: 'deactivate it (the file gives it as inactive)', column: 'active' };
  const expires = update.expires_at;
  if (typeof expires === 'string' && expires <= now) return { what: 'give it an expiration date in the past', column: 'expires' };
  return undefined;
}
