import type { Kysely, Transaction } from 'kysely';
import { usernameOf } from '../db/user-repository';
import type { Database } from '../db/schema';
import type { FieldChange } from './audit';
import { ConflictError } from '../shared/errors';

/**
 * What courses and sessions, records named by a code or a name that users
 * are enrolled in, share in their edit and delete: the user linked to the
 * record (a course's owner, a session's coach), and the rule that a record
 * with users enrolled is deleted only with --force.
 */

type Executor = Kysely<Database> | Transaction<Database>;

/** The linked user as an edit asks for it: a reference, or null to remove the link. */
export interface LinkedUserChange {
  /** The new user id, or null. */
  id: number | null;
  change: FieldChange;
}

/**
 * The change of the user linked to a record, or undefined when the edit names the user already
 * linked.
 */
export async function linkedUserChange(
  db: Executor,
  field: string,
  currentId: number | null,
  wanted: { id: number; username: string } | null,
): Promise<LinkedUserChange | undefined> {
  if ((wanted?.id ?? null) === currentId) return undefined;
  const before = currentId === null ? null : ((await usernameOf(db, currentId)) ?? `id:${currentId}`);
  return { id: wanted?.id ?? null, change: { field, before, after: wanted?.username ?? null } };
}

/**
 * A record with users enrolled is deleted only with --force. `label` names it in the message
 * ('course "C101"'); `unenroll` is the option of roster unenroll that empties it.
 */
export function assertNoEnrolments(kind: 'course' | 'session', label: string, enrolled: number, force: boolean, unenroll: string): void {
  if (enrolled > 0 && !force) {
    throw new ConflictError(
      `${label} has ${enrolled} enrolled user(s)`,
      `unenroll them first (roster unenroll ${unenroll} …), or pass --force to delete the ${kind} with its enrolments`,
    );
  }
}
