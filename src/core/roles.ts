import { ValidationError } from '../shared/errors';

/** The platform roles, in the order they are shown. */
export const ROLES = ['student', 'teacher', 'session_admin', 'hr_manager', 'invitee', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Validates role names given by a person (`--role`, a Roles column). */
export function parseRoles(values: readonly string[], field = 'role'): Role[] {
  const roles: Role[] = [];
  for (const raw of values) {
    const value = raw.trim().toLowerCase();
    if (!value) continue;
    if (!isRole(value)) {
      throw new ValidationError([{ field, message: `unknown role "${raw}"` }], `known roles: ${ROLES.join(', ')}`);
    }
    if (!roles.includes(value)) roles.push(value);
  }
  return roles;
}

/**
 * Chamilo's legacy Status column: its numeric codes and the words its importer
 * accepts. An empty Status means a student, as in Chamilo.
 */
const LEGACY_STATUS: Record<string, Role> = {
  '1': 'teacher',
  '3': 'session_admin',
  '4': 'hr_manager',
  '5': 'student',
  '20': 'invitee',
  user: 'student',
  student: 'student',
  teacher: 'teacher',
  session_admin: 'session_admin',
  drh: 'hr_manager',
  hr_manager: 'hr_manager',
  invited: 'invitee',
  invitee: 'invitee',
};

/** The role for a Status value, or undefined when Chamilo would reject it too. */
export function roleFromLegacyStatus(status: string): Role | undefined {
  const key = status.trim().toLowerCase();
  if (key === '') return 'student';
  // Own keys only: "constructor" in a file is not a status.
  return Object.hasOwn(LEGACY_STATUS, key) ? LEGACY_STATUS[key] : undefined;
}

/** The Status code Chamilo expects for a user's main role (export). */
export function legacyStatusOf(roles: readonly string[]): string {
  // Chamilo's platform admins are teachers (Status 1) with admin rights: a student would lose them.
  if (roles.includes('teacher') || roles.includes('admin')) return '1';
  if (roles.includes('session_admin')) return '3';
  if (roles.includes('hr_manager')) return '4';
  if (roles.includes('invitee') && !roles.includes('student')) return '20';
  return '5';
}
