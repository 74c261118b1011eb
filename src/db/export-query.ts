import { sql } from 'kysely';
import type { UserFilter, UserOrder } from '../shared/user-filter';
import type { RosterDb } from './database';
import { selectUsers, type UserListRow } from './user-query';

/** A user row with roles, extra values and, when asked, enrolments gathered by the same query. */
export interface ExportRow extends UserListRow {
  /** code US role, separated by RS (control characters no course code holds). */
  courses?: string | null;
  /** names separated by RS. */
  sessions?: string | null;
}

export const ENTRY_SEPARATOR = '\u001e';
export const PART_SEPARATOR = '\u001f';

export interface ExportQueryOptions {
  courses: boolean;
  sessions: boolean;
}

/** The export selection as SQL compiled by Kysely: the same filters as `list`, in id order unless `list` asks for another. */
export function compileExportQuery(db: RosterDb, filter: UserFilter, options: ExportQueryOptions, order: UserOrder = { sort: 'id' }) {
  let query = selectUsers(db.kysely, filter, order);
  if (options.courses) {
    query = query.select((eb) =>
      eb
        .selectFrom('course_user')
        .innerJoin('course', 'course.id', 'course_user.course_id')
        .select(sql<string>`group_concat(course.code || char(31) || course_user.role, char(30) order by course.code_key)`.as('c'))
        .whereRef('course_user.user_id', '=', 'user.id')
        .as('courses'),
    );
  }
  if (options.sessions) {
    query = query.select((eb) =>
      eb
        .selectFrom('session_user')
        .innerJoin('training_session', 'training_session.id', 'session_user.session_id')
        .select(sql<string>`group_concat(training_session.name, char(30) order by training_session.name_key)`.as('s'))
        .whereRef('session_user.user_id', '=', 'user.id')
        .as('sessions'),
    );
  }
  return query.compile();
}

/**
 * Iterates the selection straight from better-sqlite3, row by row: a
 * million users stream in bounded memory. Nothing else may use the
 * connection until the iteration ends.
 */
export function iterateExportRows(db: RosterDb, filter: UserFilter, options: ExportQueryOptions, order?: UserOrder): IterableIterator<ExportRow> {
  const compiled = compileExportQuery(db, filter, options, order);
  return db.raw.prepare(compiled.sql).iterate(...(compiled.parameters as unknown[])) as IterableIterator<ExportRow>;
}
