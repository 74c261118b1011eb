import bcrypt from 'bcryptjs';
import { foldedKey } from '../../src/shared/folding';
import type { Sandbox } from './helpers';
import type { Statement } from '../support/engine';

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

const USER_COLUMNS = `username, username_key, email, email_key, firstname, lastname, firstname_key, lastname_key, username_fold_key, email_fold_key,
  password_hash, language, active, expires_at, registered_at, last_login_at, deleted_at, created_by`;
const USER_PLACEHOLDERS = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'en', ?, ?, ?, ?, ?, 'seed')`;
/** Rows per multi-row statement: well under SQLite's 32,766 parameters, few round trips on PostgreSQL. */
const ROWS_PER_STATEMENT = 500;

function userParams(u: SeedUser): unknown[] {
  const email = `${u.username}@example.org`;
  const firstname = u.firstname ?? u.username;
  const lastname = u.lastname ?? 'Seeded';
  return [
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
  ];
}

function inGroups<T>(items: T[]): T[][] {
  const groups: T[][] = [];
  for (let i = 0; i < items.length; i += ROWS_PER_STATEMENT) groups.push(items.slice(i, i + ROWS_PER_STATEMENT));
  return groups;
}

/**
 * Inserts users with multi-row statements, in one transaction (the search index
 * follows by trigger on SQLite); returns their ids, in the order given.
 */
export function seedUsers(sandbox: Sandbox, users: SeedUser[]): number[] {
  const userStatements: Statement[] = inGroups(users).map((group) => ({
    sql: `INSERT INTO "user" (${USER_COLUMNS}) VALUES ${group.map(() => USER_PLACEHOLDERS).join(', ')} RETURNING id, username_key`,
    params: group.flatMap(userParams),
  }));
  const roles = users.flatMap((u) => (u.roles ?? ['student']).map((role) => [u.username.toLowerCase(), role]));
  // VALUES names its columns column1, column2 on both engines.
  const roleStatements: Statement[] = inGroups(roles).map((group) => ({
    sql: `INSERT INTO user_role (user_id, role) SELECT u.id, v.column2 FROM "user" u JOIN (VALUES ${group.map(() => '(?, ?)').join(', ')}) AS v ON u.username_key = v.column1`,
    params: group.flat(),
  }));
  const results = sandbox.transaction([...userStatements, ...roleStatements]).slice(0, userStatements.length);
  const idByKey = new Map(results.flat().map((row) => [String(row.username_key), Number(row.id)]));
  return users.map((u) => idByKey.get(u.username.toLowerCase())!);
}

export function addCourse(sandbox: Sandbox, code: string, ownerId: number | null, title = `Course ${code}`): number {
  const [rows] = sandbox.transaction([
    {
      sql: `INSERT INTO course (code, code_key, title, owner_id, created_at) VALUES (?, ?, ?, ?, '2026-01-01T00:00:00.000Z') RETURNING id`,
      params: [code, code.toLowerCase(), title, ownerId],
    },
  ]);
  return Number(rows![0]!.id);
}

export function enrol(sandbox: Sandbox, courseId: number, userId: number): void {
  sandbox.transaction([
    { sql: `INSERT INTO course_user (course_id, user_id, role, enrolled_at) VALUES (?, ?, 'student', '2026-01-01T00:00:00.000Z')`, params: [courseId, userId] },
  ]);
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
