import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/** The tables as Kysely sees them. Dates are ISO 8601 UTC text; booleans are 0/1. */
export interface Database {
  user: UserTable;
  user_role: UserRoleTable;
  extra_field: ExtraFieldTable;
  user_extra_value: UserExtraValueTable;
  audit_log: AuditLogTable;
  course: CourseTable;
  training_session: TrainingSessionTable;
  session_course: SessionCourseTable;
  course_user: CourseUserTable;
  session_user: SessionUserTable;
  login_token: LoginTokenTable;
  setting: SettingTable;
  mail_notice: MailNoticeTable;
}

export interface UserTable {
  id: Generated<number>;
  username: string;
  username_key: string;
  email: string;
  email_key: string;
  firstname: string;
  lastname: string;
  /** Sort keys: the names folded (lower case, no accents); see migration 0004. */
  firstname_key: string;
  lastname_key: string;
  /** The username and email folded, to find look-alikes (migration 0007). */
  username_fold_key: string;
  email_fold_key: string;
  password_hash: string | null;
  official_code: string | null;
  phone: string | null;
  language: string;
  picture: string | null;
  auth_source: Generated<string>;
  active: number;
  expires_at: string | null;
  registered_at: string;
  last_login_at: string | null;
  created_by: string | null;
  deleted_at: string | null;
  anonymized_at: string | null;
  is_system: Generated<number>;
}
export type UserRow = Selectable<UserTable>;
export type NewUserRow = Insertable<UserTable>;
export type UserUpdate = Updateable<UserTable>;

export interface UserRoleTable {
  user_id: number;
  role: string;
}

export interface ExtraFieldTable {
  id: Generated<number>;
  name: string;
  label: string;
  type: string;
  choices: string | null;
  created_at: string;
}
export type ExtraFieldRow = Selectable<ExtraFieldTable>;

export interface UserExtraValueTable {
  user_id: number;
  field_id: number;
  value: string;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: string;
  actor: string;
  action: string;
  user_id: number | null;
  details: string | null;
}
export type AuditLogRow = Selectable<AuditLogTable>;

export interface CourseTable {
  id: Generated<number>;
  code: string;
  code_key: string;
  title: string;
  language: string;
  owner_id: number | null;
  created_at: string;
}
export type CourseRow = Selectable<CourseTable>;

export interface TrainingSessionTable {
  id: Generated<number>;
  name: string;
  name_key: string;
  starts_on: string;
  ends_on: string;
  coach_id: number | null;
  created_at: string;
}
export type TrainingSessionRow = Selectable<TrainingSessionTable>;

export interface SessionCourseTable {
  session_id: number;
  course_id: number;
}

export interface CourseUserTable {
  course_id: number;
  user_id: number;
  role: string;
  enrolled_at: string;
}

export interface SessionUserTable {
  session_id: number;
  user_id: number;
  enrolled_at: string;
}

export interface LoginTokenTable {
  id: Generated<number>;
  user_id: number;
  token_hash: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  created_by: string;
  reason: string;
}

export interface SettingTable {
  key: string;
  value: string;
}

/** A mail sent to a user (migration 0011): `about` is what it was about (an expiration date), or empty. */
export interface MailNoticeTable {
  user_id: number;
  template: string;
  about: string;
  sent_at: string;
}
