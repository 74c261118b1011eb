import { sql } from 'kysely';
import { param, prepare } from './prepared';
import type { RosterDb } from './database';
import { sqliteOnly } from './sqlite-only';

/**
 * Statements of delete, restore, purge and anonymize, compiled by Kysely once
 * and prepared once per batch (the batch actions are synchronous).
 */
export function lifecycleStatements(db: RosterDb) {
  const k = db.kysely;
  const raw = sqliteOnly(db, 'delete, restore and purge').raw;
  return {
    setDeletedAt: prepare<'id' | 'deleted_at'>(raw, k.updateTable('user').set({ deleted_at: param<string | null>('deleted_at') }).where('id', '=', param<number>('id'))),
    ownedCourseIds: prepare<'id'>(raw, k.selectFrom('course').select('id').where('owner_id', '=', param<number>('id')).orderBy('id')),
    reassignCourses: prepare<'from' | 'to'>(raw, k.updateTable('course').set({ owner_id: param<number>('to') }).where('owner_id', '=', param<number>('from'))),
    coachedSessionIds: prepare<'id'>(raw, k.selectFrom('training_session').select('id').where('coach_id', '=', param<number>('id')).orderBy('id')),
    reassignSessions: prepare<'from' | 'to'>(raw, k.updateTable('training_session').set({ coach_id: param<number>('to') }).where('coach_id', '=', param<number>('from'))),
    /** Roles, extra values, enrolments and tokens follow by ON DELETE CASCADE. */
    deleteUser: prepare<'id'>(raw, k.deleteFrom('user').where('id', '=', param<number>('id'))),
    /** What a purge re-checks of the user receiving the courses, inside its transaction. */
    receiver: prepare<'id'>(raw, k.selectFrom('user').select(['id', 'username', 'active', 'deleted_at', 'anonymized_at', 'is_system']).where('id', '=', param<number>('id'))),
  };
}
export type LifecycleStatements = ReturnType<typeof lifecycleStatements>;

/** Statements of the GDPR erasure of one account. */
export function erasureStatements(db: RosterDb) {
  const k = db.kysely;
  const raw = sqliteOnly(db, 'anonymize and purge').raw;
  return {
    personalData: prepare<'id'>(raw, k.selectFrom('user').select(['username', 'email', 'firstname', 'lastname', 'official_code', 'phone', 'picture']).where('id', '=', param<number>('id'))),
    extraValues: prepare<'id'>(
      raw,
      k.selectFrom('user_extra_value').innerJoin('extra_field', 'extra_field.id', 'user_extra_value.field_id').select(['user_extra_value.value', 'extra_field.type']).where('user_extra_value.user_id', '=', param<number>('id')),
    ),
    identityHolder: prepare<'username_key' | 'email_key'>(
      raw,
      k.selectFrom('user').select('id').where((eb) => eb.or([eb('username_key', '=', param<string>('username_key')), eb('email_key', '=', param<string>('email_key'))])),
    ),
    anonymize: prepare<
      'id' | 'username' | 'username_key' | 'username_fold_key' | 'email' | 'email_key' | 'email_fold_key' | 'firstname' | 'lastname' | 'firstname_key' | 'lastname_key' | 'anonymized_at'
    >(
      raw,
      k
        .updateTable('user')
        .set({
          username: param<string>('username'),
          username_key: param<string>('username_key'),
          username_fold_key: param<string>('username_fold_key'),
          email: param<string>('email'),
          email_key: param<string>('email_key'),
          email_fold_key: param<string>('email_fold_key'),
          firstname: param<string>('firstname'),
          lastname: param<string>('lastname'),
          firstname_key: param<string>('firstname_key'),
          lastname_key: param<string>('lastname_key'),
          official_code: null,
          phone: null,
          picture: null,
          password_hash: null,
          active: 0,
          anonymized_at: param<string>('anonymized_at'),
        })
        .where('id', '=', param<number>('id')),
    ),
    deleteExtraValues: prepare<'id'>(raw, k.deleteFrom('user_extra_value').where('user_id', '=', param<number>('id'))),
    deleteTokens: prepare<'id'>(raw, k.deleteFrom('login_token').where('user_id', '=', param<number>('id'))),
    auditRows: prepare<'id'>(raw, k.selectFrom('audit_log').select(['id', 'details']).where('user_id', '=', param<number>('id')).where('details', 'is not', null)),
    /**
     * The entries about courses and sessions that name the user as owner or coach (by username,
     * with no user id of their own): found through the action index, then by the username's text.
     */
    mentionRows: prepare<'username'>(
      raw,
      k
        .selectFrom('audit_log')
        .select(['id', 'details'])
        .where('action', 'in', ['course.add', 'course.edit', 'session.add', 'session.edit'])
        .where(sql<boolean>`instr(lower(details), ${param<string>('username')}) > 0`),
    ),
    setAuditDetails: prepare<'id' | 'details'>(raw, k.updateTable('audit_log').set({ details: param<string | null>('details') }).where('id', '=', param<number>('id'))),
  };
}
export type ErasureStatements = ReturnType<typeof erasureStatements>;
