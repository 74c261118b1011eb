import type { RosterDb } from '../db/database';
import { courseCodesStartingWith, sessionNamesStartingWith } from '../db/course-repository';
import { fieldNamesStartingWith } from '../db/field-repository';

/** The records that commands name by a code or a name typed by a person. */
export type NamedRecordKind = 'course' | 'session' | 'field';

/** As many as a person reads through at a prompt: a longer list says "type more". */
const MOST_NAMES = 200;

/** The names of the existing records of a kind that begin with `prefix`, in order (shell completion). */
export async function recordNamesStartingWith(db: RosterDb, kind: NamedRecordKind, prefix: string): Promise<string[]> {
  switch (kind) {
    case 'course':
      return courseCodesStartingWith(db.kysely, prefix, MOST_NAMES);
    case 'session':
      return sessionNamesStartingWith(db.kysely, prefix, MOST_NAMES);
    case 'field':
      return fieldNamesStartingWith(db.kysely, prefix, MOST_NAMES);
  }
}
