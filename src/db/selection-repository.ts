import type { Kysely } from 'kysely';
import type { UserFilter } from '../shared/user-filter';
import { param, prepare, type Prepared } from './prepared';
import type { Database } from './schema';
import { selectUserIds } from './user-query';
import { isBareNumber, parseUserRef, unambiguous } from './user-repository';
import type { RosterDb } from './database';

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

const TARGET_COLUMNS = ['id', 'username', 'email', 'active', 'expires_at', 'deleted_at', 'anonymized_at', 'is_system', 'last_login_at', 'registered_at'] as const;

/** A row read as a tuple of TARGET_COLUMNS (a quarter faster than letting the driver build objects). */
function toTarget(row: unknown[]): TargetUser {
  return {
    id: row[0] as number,
    username: row[1] as string,
    email: row[2] as string,
    active: row[3] as number,
    expires_at: row[4] as string | null,
    deleted_at: row[5] as string | null,
    anonymized_at: row[6] as string | null,
    is_system: row[7] as number,
    last_login_at: row[8] as string | null,
    registered_at: row[9] as string,
  };
}

function maybeTarget(row: unknown[] | undefined): TargetUser | undefined {
  return row && toTarget(row);
}

/** Looks references up with statements prepared once: fast for 100,000 references on stdin. */
export class TargetLookup {
  private readonly byId: Prepared<'id'>;
  private readonly byUsername: Prepared<'key'>;
  private readonly byEmail: Prepared<'key'>;

  constructor(db: RosterDb) {
    const k: Kysely<Database> = db.kysely;
    this.byId = prepare(db.raw, k.selectFrom('user').select(TARGET_COLUMNS).where('id', '=', param<number>('id')));
    this.byUsername = prepare(db.raw, k.selectFrom('user').select(TARGET_COLUMNS).where('username_key', '=', param<string>('key')));
    this.byEmail = prepare(db.raw, k.selectFrom('user').select(TARGET_COLUMNS).where('email_key', '=', param<string>('key')));
  }

  /**
   * The user a reference names, or undefined, by the rules of findUserByRef:
   * an email of one and the username of another is refused, never guessed; a
   * bare number is a username if one exists, else an id.
   */
  find(ref: string): TargetUser | undefined {
    const parsed = parseUserRef(ref);
    if (!parsed) return undefined;
    if (parsed.kind === 'id') return maybeTarget(this.byId.getTuple({ id: parsed.id }));
    const key = parsed.key;
    const byName = maybeTarget(this.byUsername.getTuple({ key }));
    if (isBareNumber(key)) return byName ?? maybeTarget(this.byId.getTuple({ id: Number(key) }));
    const other = key.includes('@') ? maybeTarget(this.byEmail.getTuple({ key })) : undefined;
    return unambiguous(ref, byName, other);
  }
}

/**
 * The users a filter selects, a chunk at a time in id order. Keyset paging
 * (id > last) keeps working while the batch changes the very columns the
 * filter reads.
 */
export function* targetChunks(db: RosterDb, filter: UserFilter, chunkSize: number): Generator<TargetUser[]> {
  const query = selectUserIds(db.kysely, filter)
    .clearSelect()
    .select(TARGET_COLUMNS.map((c) => `user.${c}` as const))
    .where('user.id', '>', param<number>('after'))
    .limit(param<number>('limit'));
  const statement = prepare<'after' | 'limit'>(db.raw, query);
  let after = 0;
  for (;;) {
    const rows = statement.allTuples({ after, limit: chunkSize }).map(toTarget);
    if (!rows.length) return;
    yield rows;
    after = rows[rows.length - 1]!.id;
    if (rows.length < chunkSize) return;
  }
}

/** The usernames of these users, in the order of the ids given. */
export function usernamesOf(db: RosterDb, ids: readonly number[]): string[] {
  if (!ids.length) return [];
  const rows = db.kysely.selectFrom('user').select(['id', 'username']).where('id', 'in', ids).compile();
  const byId = new Map(db.raw.prepare(rows.sql).all(...(rows.parameters as number[])).map((r) => [(r as { id: number }).id, (r as { username: string }).username]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** The ids a filter selects, in id order: one scan, 8 bytes a user. */
export function selectTargetIds(db: RosterDb, filter: UserFilter): number[] {
  return prepare(db.raw, selectUserIds(db.kysely, filter))
    .all<{ id: number }>({})
    .map((row) => row.id);
}

/**
 * Runs synchronous look-ups in one read transaction: outside one, SQLite
 * takes and drops its read lock for each of 100,000 statements.
 */
export function inReadTransaction<T>(db: RosterDb, work: () => T): T {
  return db.raw.transaction(work)();
}

const RECHECK_SLOTS = Array.from({ length: 500 }, (_, i) => `id${i}`);

/**
 * Which of some planned users still match the filter, read inside the
 * chunk's transaction: a statement prepared once, probing the given ids
 * (short lists are padded with an id no user has).
 */
export class FilterRecheck {
  private readonly statement: Prepared<string>;

  constructor(db: RosterDb, filter: UserFilter) {
    const query = selectUserIds(db.kysely, filter)
      .clearSelect()
      .select(TARGET_COLUMNS.map((c) => `user.${c}` as const))
      .where(
        'user.id',
        'in',
        RECHECK_SLOTS.map((slot) => param<number>(slot)),
      );
    this.statement = prepare<string>(db.raw, query);
  }

  matching(ids: readonly number[]): TargetUser[] {
    const found: TargetUser[] = [];
    const values: Record<string, number> = {};
    for (let i = 0; i < ids.length; i += RECHECK_SLOTS.length) {
      RECHECK_SLOTS.forEach((slot, j) => (values[slot] = ids[i + j] ?? -1));
      for (const row of this.statement.allTuples(values)) found.push(toTarget(row));
    }
    return found;
  }
}

/**
 * Changes whenever another connection commits to the database (not this
 * one): lets a batch skip re-reading users nobody else can have changed.
 */
export function dataVersion(db: RosterDb): number {
  return db.raw.pragma('data_version', { simple: true }) as number;
}
