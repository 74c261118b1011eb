import type { Kysely } from 'kysely';
import type { UserFilter } from '../core/user-filter';
import { param, prepare, type Prepared } from './prepared';
import type { Database } from './schema';
import { selectUserIds } from './user-query';
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

  find(ref: string): TargetUser | undefined {
    const text = ref.trim();
    const id = /^id:(\d+)$/i.exec(text);
    if (id) return this.byId.get<TargetUser>({ id: Number(id[1]) });
    const key = text.normalize('NFC').toLowerCase();
    if (key.includes('@')) {
      const byEmail = this.byEmail.get<TargetUser>({ key });
      if (byEmail) return byEmail;
    }
    return this.byUsername.get<TargetUser>({ key });
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
    const rows = statement.all<TargetUser>({ after, limit: chunkSize });
    if (!rows.length) return;
    yield rows;
    after = rows[rows.length - 1]!.id;
    if (rows.length < chunkSize) return;
  }
}
