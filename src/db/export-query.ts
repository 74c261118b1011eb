import { sql } from 'kysely';
import type { UserFilter, UserOrder } from '../shared/user-filter';
import type { RosterDb } from './database';
import { engineOf } from './engine';
import { streamPages } from './row-pages';
import { concat, joinedText } from './sql-functions';
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
  const engine = engineOf(db.kysely);
  let query = selectUsers(db.kysely, filter, order);
  if (options.courses) {
    query = query.select((eb) =>
      eb
        .selectFrom('course_user')
        .innerJoin('course', 'course.id', 'course_user.course_id')
        .select(
          joinedText(
            engine,
            concat(sql.ref('course.code'), sql.val(PART_SEPARATOR), sql.ref('course_user.role')),
            ENTRY_SEPARATOR,
            sql.ref('course.code_key'),
          ).as('c'),
        )
        .whereRef('course_user.user_id', '=', 'user.id')
        .as('courses'),
    );
  }
  if (options.sessions) {
    query = query.select((eb) =>
      eb
        .selectFrom('session_user')
        .innerJoin('training_session', 'training_session.id', 'session_user.session_id')
        .select(joinedText(engine, sql.ref('training_session.name'), ENTRY_SEPARATOR, sql.ref('training_session.name_key')).as('s'))
        .whereRef('session_user.user_id', '=', 'user.id')
        .as('sessions'),
    );
  }
  return query.compile();
}

/** Streams the selection a page at a time: a million users in bounded memory. */
export function exportRowPages(db: RosterDb, filter: UserFilter, options: ExportQueryOptions, order?: UserOrder): AsyncGenerator<ExportRow[]> {
  return streamPages(db, compileExportQuery(db, filter, options, order));
}
