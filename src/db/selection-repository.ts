import type { Kysely, Transaction } from 'kysely';
import type { UserFilter } from '../shared/user-filter';
import type { Database } from './schema';
import { selectUserIds } from './user-query';
import { isBareNumber, parseUserRef, unambiguous } from './user-repository';
import type { RosterDb } from './database';
import { slices } from './chunks';

type Executor = Kysely<Database> | Transaction<Database>;

/** What a batch needs to know of each selected user to decide and report. */
export interface TargetUser {
  id: number;
  username: string;
  email: string;
  active: number;
  expires_at: string | null;
  deleted_at: string | null;
  anonymized_at: string | null;
  is_system: number;
  last_login_at: string | null;
  registered_at: string;
}

const TARGET_COLUMNS = [
  'id',
  'username',
  'email',
  'active',
  'expires_at',
  'deleted_at',
  'anonymized_at',
  'is_system',
  'last_login_at',
  'registered_at',
] as const;

/** What a reference resolved to: the user, nobody (undefined), or why it names no one (an ambiguity, a malformed id:). */
export interface ResolvedReference {
  ref: string;
  user?: TargetUser;
  error?: unknown;
}

/**
 * Resolves references a few hundred at a time (one query each, on any
 * engine) by the rules of findUserByRef: an email of one user and the
 * username of another is refused, never guessed; a bare number is a
 * username if one exists, else an id. In the order given.
 */
export async function resolveReferences(db: Executor, refs: readonly string[]): Promise<ResolvedReference[]> {
  const resolved: ResolvedReference[] = [];
  for (const some of slices(refs)) resolved.push(...(await resolveChunk(db, some)));
  return resolved;
}

async function resolveChunk(db: Executor, refs: readonly string[]): Promise<ResolvedReference[]> {
  const parsed = refs.map((ref) => {
    try {
      return { ref, parsed: parseUserRef(ref) };
    } catch (error) {
      return { ref, error };
    }
  });
  const ids = new Set<number>();
  const names = new Set<string>();
  for (const { parsed: p } of parsed) {
    if (p?.kind === 'id') ids.add(p.id);
    else if (p) {
      names.add(p.key);
      if (isBareNumber(p.key)) ids.add(Number(p.key));
    }
  }
  const emails = [...names].filter((key) => key.includes('@'));
  // One query per kind of key, each served by its own index (an OR of the three is not, on SQLite).
  const select = () => db.selectFrom('user').select([...TARGET_COLUMNS, 'username_key', 'email_key']);
  const rows = [
    ...(ids.size
      ? await select()
          .where('id', 'in', [...ids])
          .execute()
      : []),
    ...(names.size
      ? await select()
          .where('username_key', 'in', [...names])
          .execute()
      : []),
    ...(emails.length ? await select().where('email_key', 'in', emails).execute() : []),
  ];
  const byId = new Map<number, TargetUser>();
  const byUsername = new Map<string, TargetUser>();
  const byEmail = new Map<string, TargetUser>();
  for (const { username_key, email_key, ...user } of rows) {
    byId.set(user.id, user);
    byUsername.set(username_key, user);
    byEmail.set(email_key, user);
  }
  return parsed.map(({ ref, parsed: p, error }) => {
    if (error !== undefined) return { ref, error };
    if (!p) return { ref };
    if (p.kind === 'id') return { ref, user: byId.get(p.id) };
    const byName = byUsername.get(p.key);
    if (isBareNumber(p.key)) return { ref, user: byName ?? byId.get(Number(p.key)) };
    try {
      return { ref, user: unambiguous(ref, byName, p.key.includes('@') ? byEmail.get(p.key) : undefined) };
    } catch (ambiguous) {
      return { ref, error: ambiguous };
    }
  });
}

/** These users as they are now (inside a batch's transaction: what another process changed is seen). */
export async function targetsByIds(db: Executor, ids: readonly number[]): Promise<Map<number, TargetUser>> {
  const found = new Map<number, TargetUser>();
  for (const some of slices(ids)) {
    const rows = await db.selectFrom('user').select(TARGET_COLUMNS).where('id', 'in', some).execute();
    for (const row of rows) found.set(row.id, row);
  }
  return found;
}

/** The ids a filter selects, in id order: one scan, a number a user. */
export async function selectTargetIds(db: Executor, filter: UserFilter): Promise<number[]> {
  const rows = await selectUserIds(db, filter).execute();
  return rows.map((row) => row.id);
}

/**
 * The accounts a filter selects, with the keys the rows of an import match
 * accounts by (its username, its email), in id order: what a sync compares
 * its file with.
 */
export async function selectIdentities(db: Executor, filter: UserFilter): Promise<{ id: number; username: string; username_key: string; email_key: string }[]> {
  return selectUserIds(db, filter).clearSelect().select(['user.id', 'user.username', 'user.username_key', 'user.email_key']).orderBy('user.id').execute();
}

/**
 * Which of some planned users still match the filter, read inside a chunk's
 * transaction (what the batch has changed meanwhile counts), in id order.
 */
export async function stillMatching(db: Executor, filter: UserFilter, ids: readonly number[]): Promise<TargetUser[]> {
  const found: TargetUser[] = [];
  for (const some of slices(ids)) {
    const rows = await selectUserIds(db, filter)
      .clearSelect()
      .select(TARGET_COLUMNS.map((c) => `user.${c}` as const))
      .where('user.id', 'in', some)
      .execute();
    found.push(...rows);
  }
  return found;
}

/**
 * A mark that changes whenever another connection commits (SQLite's
 * data_version): a batch whose mark is unchanged since its plan need not
 * read its users again. PostgreSQL has no such mark: undefined, and the
 * batch reads its users again.
 */
export function otherWritesMark(db: RosterDb): number | undefined {
  if (db.engine !== 'sqlite') return undefined;
  return db.raw.pragma('data_version', { simple: true }) as number;
}
