import type BetterSqlite3 from 'better-sqlite3';
import type { CompiledQuery } from 'kysely';
import type { RosterDb } from './database';
import { sqliteOnly } from './sqlite-only';
import type { NewUserRow, UserRow, UserUpdate } from './schema';

/**
 * The bulk path of imports: SQL built by Kysely, compiled once and run as
 * prepared better-sqlite3 statements, synchronously, inside large
 * transactions. The FTS triggers of the user table fire as for any insert.
 */
export class ImportStore {
  private readonly raw: BetterSqlite3.Database;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private readonly insertUserRaw: BetterSqlite3.Statement;
  private readonly insertRoleStatement: Bound;
  private readonly insertAuditStatement: Bound;
  private readonly upsertExtraStatement: Bound;
  private readonly enrolCourseStatement: Bound;
  private readonly enrolSessionStatement: Bound;
  private readonly byUsernameKey: BetterSqlite3.Statement;
  private readonly byEmailKey: BetterSqlite3.Statement;
  private readonly idByUsernameKey: BetterSqlite3.Statement;
  private readonly lookAlikeUsername: BetterSqlite3.Statement;
  private readonly lookAlikeEmail: BetterSqlite3.Statement;
  private readonly idByEmailKey: BetterSqlite3.Statement;
  private readonly previousCacheSize: number;
  private readonly byId: BetterSqlite3.Statement;
  private readonly courseByKey: BetterSqlite3.Statement;
  private readonly sessionByKey: BetterSqlite3.Statement;
  private readonly rolesStatement: BetterSqlite3.Statement;
  private readonly extrasStatement: BetterSqlite3.Statement;
  private readonly coursesStatement: BetterSqlite3.Statement;
  private readonly sessionsStatement: BetterSqlite3.Statement;

  constructor(private readonly db: RosterDb) {
    this.raw = sqliteOnly(db, 'import').raw;
    // A larger page cache keeps the search index's pages between chunks:
    // chunked commits then cost no more than one big transaction.
    this.previousCacheSize = this.raw.pragma('cache_size', { simple: true }) as number;
    this.raw.pragma(`cache_size = ${IMPORT_CACHE_KIB}`);
    const k = db.kysely;
    const insertUser = k.insertInto('user').values(sentinels(USER_COLUMNS) as unknown as NewUserRow).compile();
    // The hottest statement gets its parameters straight from the row, in the order compiled.
    if (insertUser.parameters.some((p, i) => p !== sentinel(USER_COLUMNS[i]!))) throw new Error('import store: unexpected parameter order for user');
    this.insertUserRaw = this.raw.prepare(insertUser.sql);
    this.insertRoleStatement = this.bind(
      k.insertInto('user_role').values(sentinels(['user_id', 'role']) as never).onConflict((oc) => oc.doNothing()).compile(),
      ['user_id', 'role'],
    );
    this.insertAuditStatement = this.bind(
      k.insertInto('audit_log').values(sentinels(['at', 'actor', 'action', 'user_id', 'details']) as never).compile(),
      ['at', 'actor', 'action', 'user_id', 'details'],
    );
    this.upsertExtraStatement = this.bind(
      k
        .insertInto('user_extra_value')
        .values(sentinels(['user_id', 'field_id', 'value']) as never)
        .onConflict((oc) => oc.columns(['user_id', 'field_id']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
        .compile(),
      ['user_id', 'field_id', 'value'],
    );
    this.enrolCourseStatement = this.bind(
      k.insertInto('course_user').values(sentinels(['course_id', 'user_id', 'role', 'enrolled_at']) as never).onConflict((oc) => oc.doNothing()).compile(),
      ['course_id', 'user_id', 'role', 'enrolled_at'],
    );
    this.enrolSessionStatement = this.bind(
      k.insertInto('session_user').values(sentinels(['session_id', 'user_id', 'enrolled_at']) as never).onConflict((oc) => oc.doNothing()).compile(),
      ['session_id', 'user_id', 'enrolled_at'],
    );
    this.byUsernameKey = this.prepare(k.selectFrom('user').selectAll().where('username_key', '=', PARAM).compile());
    this.byEmailKey = this.prepare(k.selectFrom('user').selectAll().where('email_key', '=', PARAM).compile());
    this.lookAlikeUsername = this.prepare(
      k.selectFrom('user').select(['id', 'username', 'email', 'deleted_at']).where('username_fold_key', '=', PARAM).where('username_key', '!=', PARAM).where('anonymized_at', 'is', null).compile(),
    );
    this.lookAlikeEmail = this.prepare(
      k.selectFrom('user').select(['id', 'username', 'email', 'deleted_at']).where('email_fold_key', '=', PARAM).where('email_key', '!=', PARAM).where('anonymized_at', 'is', null).compile(),
    );
    this.idByUsernameKey = this.prepare(k.selectFrom('user').select('id').where('username_key', '=', PARAM).compile()).pluck();
    this.idByEmailKey = this.prepare(k.selectFrom('user').select('id').where('email_key', '=', PARAM).compile()).pluck();
    this.byId = this.prepare(k.selectFrom('user').selectAll().where('id', '=', 0).compile());
    this.courseByKey = this.prepare(k.selectFrom('course').select(['id', 'code']).where('code_key', '=', PARAM).compile());
    this.sessionByKey = this.prepare(k.selectFrom('training_session').select(['id', 'name']).where('name_key', '=', PARAM).compile());
    this.rolesStatement = this.prepare(k.selectFrom('user_role').select('role').where('user_id', '=', 0).compile()).pluck();
    this.extrasStatement = this.prepare(k.selectFrom('user_extra_value').select(['field_id', 'value']).where('user_id', '=', 0).compile());
    this.coursesStatement = this.prepare(k.selectFrom('course_user').select('course_id').where('user_id', '=', 0).compile()).pluck();
    this.sessionsStatement = this.prepare(k.selectFrom('session_user').select('session_id').where('user_id', '=', 0).compile()).pluck();
  }

  private prepare(query: CompiledQuery): BetterSqlite3.Statement {
    let statement = this.statements.get(query.sql);
    if (!statement) {
      statement = this.raw.prepare(query.sql);
      this.statements.set(query.sql, statement);
    }
    return statement;
  }

  /** A statement whose parameters are given by column name, in the order Kysely compiled them. */
  private bind(query: CompiledQuery, columns: readonly string[]): Bound {
    const order = query.parameters.map((p) => {
      const column = columns.find((c) => p === sentinel(c));
      if (!column) throw new Error(`import store: unexpected parameter in ${query.sql}`);
      return column;
    });
    const statement = this.raw.prepare(query.sql);
    const n = order.length;
    return (values) => {
      const args = new Array<unknown>(n);
      for (let i = 0; i < n; i++) args[i] = values[order[i]!] ?? null;
      return statement.run(args);
    };
  }

  /** Another account whose username (or email) folds to the same text: `josé` for `jose`. */
  lookAlike(column: 'username' | 'email', foldKey: string, identityKey: string): LookAlike | undefined {
    return (column === 'username' ? this.lookAlikeUsername : this.lookAlikeEmail).get(foldKey, identityKey) as LookAlike | undefined;
  }

  /** Whether any user holds this username or this email (any case), by the indexes only. */
  anyUserWith(usernameKey: string, emailKey: string): boolean {
    return this.idByUsernameKey.get(usernameKey) !== undefined || this.idByEmailKey.get(emailKey) !== undefined;
  }

  userCount(): number {
    return this.prepare(this.db.kysely.selectFrom('user').select((eb) => eb.fn.countAll().as('n')).compile()).pluck().get() as number;
  }

  /** Every username and email key, deleted accounts included. */
  *identityKeys(): Generator<[string, string]> {
    yield* this.prepare(this.db.kysely.selectFrom('user').select(['username_key', 'email_key']).compile()).raw().iterate() as Iterable<[string, string]>;
  }

  /** The user holding this username (any case), deleted ones included. */
  userByUsernameKey(key: string): UserRow | undefined {
    return this.byUsernameKey.get(key) as UserRow | undefined;
  }

  userByEmailKey(key: string): UserRow | undefined {
    return this.byEmailKey.get(key) as UserRow | undefined;
  }

  userById(id: number): UserRow | undefined {
    return this.byId.get(id) as UserRow | undefined;
  }

  course(codeKey: string): { id: number; code: string } | undefined {
    return this.courseByKey.get(codeKey) as { id: number; code: string } | undefined;
  }

  session(nameKey: string): { id: number; name: string } | undefined {
    return this.sessionByKey.get(nameKey) as { id: number; name: string } | undefined;
  }

  rolesOf(userId: number): string[] {
    return this.rolesStatement.all(userId) as string[];
  }

  /** --replace-roles: a role the file no longer gives. */
  removeRole(userId: number, role: string): void {
    (this.statements.get('removeRole') ?? this.remember('removeRole', 'DELETE FROM user_role WHERE user_id = ? AND role = ?')).run(userId, role);
  }

  /** The other live, active admins: the last one keeps the role. */
  otherActiveAdmins(userId: number): number {
    const sql = `SELECT count(*) FROM user JOIN user_role ON user_role.user_id = user.id
      WHERE user_role.role = 'admin' AND user.active = 1 AND user.deleted_at IS NULL AND user.id != ?`;
    return (this.statements.get('otherAdmins') ?? this.remember('otherAdmins', sql)).pluck().get(userId) as number;
  }

  private remember(name: string, sql: string): BetterSqlite3.Statement {
    const statement = this.raw.prepare(sql);
    this.statements.set(name, statement);
    return statement;
  }

  extraValuesOf(userId: number): Map<number, string> {
    const rows = this.extrasStatement.all(userId) as { field_id: number; value: string }[];
    return new Map(rows.map((r) => [r.field_id, r.value]));
  }

  courseIdsOf(userId: number): Set<number> {
    return new Set(this.coursesStatement.all(userId) as number[]);
  }

  sessionIdsOf(userId: number): Set<number> {
    return new Set(this.sessionsStatement.all(userId) as number[]);
  }

  insertUser(row: NewUserRow): number {
    const result = this.insertUserRaw.run(
      row.username,
      row.username_key,
      row.email,
      row.email_key,
      row.firstname,
      row.lastname,
      row.firstname_key,
      row.lastname_key,
      row.username_fold_key,
      row.email_fold_key,
      row.password_hash ?? null,
      row.official_code ?? null,
      row.phone ?? null,
      row.language ?? 'en',
      row.picture ?? null,
      row.auth_source ?? 'platform',
      row.active ?? 1,
      row.expires_at ?? null,
      row.registered_at,
      row.last_login_at ?? null,
      row.created_by ?? null,
      row.deleted_at ?? null,
      row.anonymized_at ?? null,
    );
    return Number(result.lastInsertRowid);
  }

  addRole(userId: number, role: string): void {
    this.insertRoleStatement({ user_id: userId, role });
  }

  setExtraValue(userId: number, fieldId: number, value: string): void {
    this.upsertExtraStatement({ user_id: userId, field_id: fieldId, value });
  }

  enrolInCourse(courseId: number, userId: number, role: string, at: string): void {
    this.enrolCourseStatement({ course_id: courseId, user_id: userId, role, enrolled_at: at });
  }

  enrolInSession(sessionId: number, userId: number, at: string): void {
    this.enrolSessionStatement({ session_id: sessionId, user_id: userId, enrolled_at: at });
  }

  updateUser(id: number, update: UserUpdate): void {
    if (!Object.keys(update).length) return;
    const query = this.db.kysely.updateTable('user').set(update).where('id', '=', id).compile();
    this.prepare(query).run(...(query.parameters as unknown[]));
  }

  audit(entry: { at: string; actor: string; action: string; user_id: number | null; details: string | null }): void {
    this.insertAuditStatement(entry);
  }

  /** Gives the connection its usual page cache back. */
  close(): void {
    this.raw.pragma(`cache_size = ${this.previousCacheSize}`);
  }

  /**
   * Runs fn in a transaction that takes the write lock at once; inside an
   * open transaction it becomes a savepoint, so a failing row rolls back
   * alone and leaves no half-written user.
   */
  transaction<T>(fn: () => T): T {
    const wrapped = this.raw.transaction(fn);
    return this.raw.inTransaction ? wrapped() : wrapped.immediate();
  }

  /** For --atomic: one transaction around the whole import. */
  begin(): void {
    this.raw.prepare('BEGIN IMMEDIATE').run();
  }

  commit(): void {
    if (this.raw.inTransaction) this.raw.prepare('COMMIT').run();
  }

  rollback(): void {
    if (this.raw.inTransaction) this.raw.prepare('ROLLBACK').run();
  }
}

export type LookAlike = Pick<UserRow, 'id' | 'username' | 'email' | 'deleted_at'>;

type Bound = (values: Record<string, unknown>) => BetterSqlite3.RunResult;

const USER_COLUMNS = [
  'username',
  'username_key',
  'email',
  'email_key',
  'firstname',
  'lastname',
  'firstname_key',
  'lastname_key',
  'username_fold_key',
  'email_fold_key',
  'password_hash',
  'official_code',
  'phone',
  'language',
  'picture',
  'auth_source',
  'active',
  'expires_at',
  'registered_at',
  'last_login_at',
  'created_by',
  'deleted_at',
  'anonymized_at',
] as const;

const PARAM = '\u0000param';
/** Negative: KiB (SQLite's convention). */
const IMPORT_CACHE_KIB = -8192;

function sentinel(column: string): string {
  return `\u0000${column}`;
}

function sentinels(columns: readonly string[]): Record<string, string> {
  return Object.fromEntries(columns.map((c) => [c, sentinel(c)]));
}

/** Whether an error is SQLite refusing a duplicate. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export function isForeignKeyViolation(error: unknown): boolean {
  return (error as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
