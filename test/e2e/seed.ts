import bcrypt from 'bcryptjs';
import { foldedKey } from '../../src/shared/folding';
import type { Sandbox } from './helpers';

/** The password Sandbox.addUser gives; seeded users get it too. */
export const PASSWORD = 'correct horse battery';
const HASH = bcrypt.hashSync(PASSWORD, 4);

export interface SeedUser {
  username: string;
  roles?: string[];
  active?: boolean;
  firstname?: string;
  lastname?: string;
  expiresAt?: string | null;
  registeredAt?: string;
  lastLoginAt?: string | null;
  deletedAt?: string | null;
}

/** Inserts users (the search index follows by trigger on SQLite); returns their ids. */
export function seedUsers(sandbox: Sandbox, users: SeedUser[]): number[] {
  const statements = users.flatMap((u) => {
    const email = `${u.username}@example.org`;
    const firstname = u.firstname ?? u.username;
    const lastname = u.lastname ?? 'Seeded';
    const user = {
      sql: `INSERT INTO "user" (username, username_key, email, email_key, firstname, lastname, firstname_key, lastname_key, username_fold_key, email_fold_key,
        password_hash, language, active, expires_at, registered_at, last_login_at, deleted_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'en', ?, ?, ?, ?, ?, 'seed') RETURNING id`,
      params: [
        u.username,
        u.username.toLowerCase(),
        email,
        email.toLowerCase(),
        firstname,
        lastname,
        foldedKey(firstname),
        foldedKey(lastname),
        foldedKey(u.username),
        foldedKey(email),
        HASH,
        u.active === false ? 0 : 1,
        u.expiresAt ?? null,
        u.registeredAt ?? '2026-01-01T00:00:00.000Z',
        u.lastLoginAt ?? null,
        u.deletedAt ?? null,
      ],
    };
    const roles = (u.roles ?? ['student']).map((role) => ({ sql: 'INSERT INTO user_role (user_id, role) SELECT id, ? FROM "user" WHERE username_key = ?', params: [role, u.username.toLowerCase()] }));
    return [user, ...roles];
  });
  return sandbox
    .transaction(statements)
    .filter((rows) => rows.length)
    .map((rows) => Number(rows[0]!.id));
}

export function addCourse(sandbox: Sandbox, code: string, ownerId: number | null, title = `Course ${code}`): number {
  const [rows] = sandbox.transaction([
    { sql: `INSERT INTO course (code, code_key, title, owner_id, created_at) VALUES (?, ?, ?, ?, '2026-01-01T00:00:00.000Z') RETURNING id`, params: [code, code.toLowerCase(), title, ownerId] },
  ]);
  return Number(rows![0]!.id);
}

export function enrol(sandbox: Sandbox, courseId: number, userId: number): void {
  sandbox.transaction([{ sql: `INSERT INTO course_user (course_id, user_id, role, enrolled_at) VALUES (?, ?, 'student', '2026-01-01T00:00:00.000Z')`, params: [courseId, userId] }]);
}

/** Audit rows of one action, oldest first, with parsed details. */
export function auditRows(sandbox: Sandbox, action: string): { user_id: number; actor: string; details: Record<string, unknown> }[] {
  return sandbox
    .query<{ user_id: number; actor: string; details: string | null }>('SELECT user_id, actor, details FROM audit_log WHERE action = ? ORDER BY id', action)
    .map((r) => ({ ...r, details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : {} }));
}

export interface BatchJson {
  changed: number;
  unchanged: number;
  failed: { ref: string; message: string }[];
  dryRun: boolean;
  rolledBack: boolean;
  users: { id: number; username: string; active: boolean; deletedAt: string | null; expiresAt: string | null }[];
}
