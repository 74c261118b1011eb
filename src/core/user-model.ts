import type { UserRow } from '../db/schema';
import type { UserListRow } from '../db/user-query';
import { typedValue, type ExtraField, type ExtraValue } from './fields';
import { ROLES } from './roles';

/** A user as the contract shows it: never a password or its hash. */
export interface User {
  id: number;
  username: string;
  email: string;
  firstname: string;
  lastname: string;
  roles: string[];
  active: boolean;
  language: string;
  officialCode: string | null;
  phone: string | null;
  picture: string | null;
  authSource: string;
  expiresAt: string | null;
  registeredAt: string;
  lastLoginAt: string | null;
  deletedAt: string | null;
  anonymizedAt: string | null;
  system: boolean;
  extra: Record<string, ExtraValue>;
}

/** Roles in their canonical order, whatever order the database returned. */
export function sortRoles(roles: Iterable<string>): string[] {
  const set = new Set(roles);
  return ROLES.filter((r) => set.has(r));
}

export function toUser(row: UserRow, roles: Iterable<string>, extra: Record<string, string>, fields: Map<string, ExtraField>): User {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    firstname: row.firstname,
    lastname: row.lastname,
    roles: sortRoles(roles),
    active: row.active === 1,
    language: row.language,
    officialCode: row.official_code,
    phone: row.phone,
    picture: row.picture,
    authSource: row.auth_source,
    expiresAt: row.expires_at,
    registeredAt: row.registered_at,
    lastLoginAt: row.last_login_at,
    deletedAt: row.deleted_at,
    anonymizedAt: row.anonymized_at,
    system: row.is_system === 1,
    extra: Object.fromEntries(
      Object.entries(extra)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, value]) => [name, typedValue(fields.get(name)?.type, value)]),
    ),
  };
}

/** Maps a row of the list query, which carries roles and extra values as aggregates. */
export function listRowToUser(row: UserListRow, fields: Map<string, ExtraField>): User {
  const roles = row.roles ? row.roles.split(',') : [];
  const extra = row.extra ? (JSON.parse(row.extra) as Record<string, string>) : {};
  return toUser(row, roles, extra, fields);
}

/** Whether the account may log in at this instant, and if not, why. */
export function loginBlocker(user: Pick<User, 'active' | 'deletedAt' | 'anonymizedAt' | 'system' | 'expiresAt'>, now: Date): string | undefined {
  if (user.system) return 'is a system account';
  if (user.anonymizedAt) return 'is anonymized';
  if (user.deletedAt) return 'is deleted';
  if (!user.active) return 'is inactive';
  if (user.expiresAt && user.expiresAt <= now.toISOString()) return 'has expired';
  return undefined;
}
