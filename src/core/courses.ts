import type { Kysely, Transaction } from 'kysely';
import * as repo from '../db/course-repository';
import type { CourseListRow } from '../db/course-repository';
import type { CourseRow, Database, UserRow } from '../db/schema';
import { assertLiveAccount } from './activation';
import { audit, type FieldChange } from './audit';
import { assertNoEnrolments, linkedUserChange } from './named-record';
import { nowIso, type ServiceContext } from './context';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors';
import { parseLanguage } from './languages';
import { requireUser } from './users';
import { checkSafe, Problems } from './validation';
import { recordKey } from '../shared/folding';

type Executor = Kysely<Database> | Transaction<Database>;

export const COURSE_ROLES = ['student', 'teacher'] as const;
export type CourseRole = (typeof COURSE_ROLES)[number];

/** A user named by a course or session (owner, coach, teacher). */
export interface UserLink {
  id: number;
  username: string;
}

/** A course as `course list` and `--json` show it. */
export interface Course {
  id: number;
  code: string;
  title: string;
  language: string;
  owner: UserLink | null;
  createdAt: string;
  enrolled: { total: number; teachers: number; students: number };
}

/** `course show`: the course, its teachers and the sessions that hold it. */
export interface CourseDetails extends Course {
  teachers: { id: number; username: string; firstname: string; lastname: string; enrolledAt: string }[];
  sessions: { name: string; startsOn: string; endsOn: string }[];
}

// Chamilo's course codes: letters, digits and _ (we also allow . and -), at most 40.
const COURSE_CODE = /^[\p{L}\p{N}][\p{L}\p{N}_.-]*$/u;
const CODE_MAX = 40;
const TITLE_MAX = 250;

export function parseCourseRole(input: string, field = 'as'): CourseRole {
  const role = input.trim().toLowerCase();
  if (!(COURSE_ROLES as readonly string[]).includes(role)) {
    throw new ValidationError([{ field, message: `"${input}" is not a course role; use student or teacher` }]);
  }
  return role as CourseRole;
}

function checkCode(code: string, problems: Problems): void {
  if (!code) return problems.add('code', 'is required');
  if ([...code].length > CODE_MAX) problems.add('code', `is longer than ${CODE_MAX} characters`);
  if (!COURSE_CODE.test(code)) problems.add('code', `"${code}" may contain only letters, digits and _ . - (and must start with a letter or digit)`);
}

export function checkTitle(title: string, problems: Problems, field = 'title', max = TITLE_MAX): void {
  if (!title) return problems.add(field, 'is required');
  if ([...title].length > max) return problems.add(field, `is longer than ${max} characters`);
  checkSafe(title, problems, field);
}

/** A live account, for owners and coaches: exit 3 when unknown, 4 when deleted or anonymized. */
export async function requireLiveUser(db: Executor, ref: string, doing: string): Promise<UserRow> {
  const user = await requireUser(db, ref);
  assertLiveAccount(user, doing);
  return user;
}

export async function requireCourse(db: Executor, code: string): Promise<CourseRow> {
  const row = await repo.findCourse(db, code);
  if (!row) throw new NotFoundError(`no course "${code.trim()}"`, 'see roster course list');
  return row;
}

export function toCourse(row: CourseListRow): Course {
  const teachers = Number(row.teachers);
  const students = Number(row.students);
  return {
    id: row.id,
    code: row.code,
    title: row.title,
    language: row.language,
    owner: row.owner_id === null ? null : { id: row.owner_id, username: row.owner_username ?? `id:${row.owner_id}` },
    createdAt: row.created_at,
    enrolled: { total: teachers + students, teachers, students },
  };
}

async function loadCourseDetails(db: Executor, id: number): Promise<CourseDetails> {
  const [row] = await repo.selectCourses(db, { ids: [id] });
  if (!row) throw new NotFoundError(`no course id:${id}`);
  const [teachers, sessions] = await Promise.all([repo.courseTeachers(db, id), repo.courseSessions(db, id)]);
  return {
    ...toCourse(row),
    teachers: teachers.map((t) => ({ id: t.id, username: t.username, firstname: t.firstname, lastname: t.lastname, enrolledAt: t.enrolled_at })),
    sessions: sessions.map((s) => ({ name: s.name, startsOn: s.starts_on, endsOn: s.ends_on })),
  };
}

export interface NewCourseInput {
  code: string;
  title: string;
  language?: string;
  /** A user reference. */
  owner?: string;
}

export async function addCourse(ctx: ServiceContext, input: NewCourseInput): Promise<CourseDetails> {
  const problems = new Problems();
  const code = input.code.trim().normalize('NFC');
  const title = input.title.trim();
  checkCode(code, problems);
  checkTitle(title, problems);
  let language = 'en';
  if (input.language !== undefined) {
    try {
      language = parseLanguage(input.language, 'language');
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      for (const p of error.problems) problems.add(p.field, p.message);
    }
  }
  if (!problems.empty) throw new ValidationError(problems.list);
  const id = await ctx.db.kysely.transaction().execute(async (trx) => {
    const existing = await repo.findCourse(trx, code);
    if (existing)
      throw new ConflictError(`course "${existing.code}" already exists (codes are compared ignoring case)`, `see roster course show ${existing.code}`);
    const owner = input.owner === undefined ? undefined : await requireLiveUser(trx, input.owner, 'a course owner');
    const courseId = await repo.insertCourse(trx, { code, code_key: recordKey(code), title, language, owner_id: owner?.id ?? null, created_at: nowIso(ctx) });
    await audit(trx, ctx, 'course.add', null, { course: code, title, language, owner: owner?.username ?? null });
    return courseId;
  });
  return loadCourseDetails(ctx.db.kysely, id);
}

export interface CourseListQuery {
  /** A user reference. */
  owner?: string;
  search?: string;
}

export async function listCourses(ctx: ServiceContext, query: CourseListQuery = {}): Promise<Course[]> {
  const db = ctx.db.kysely;
  const ownerId = query.owner === undefined ? undefined : (await requireUser(db, query.owner)).id;
  const rows = await repo.selectCourses(db, { ownerId, search: query.search?.trim() || undefined });
  return rows.map(toCourse);
}

export async function getCourse(ctx: ServiceContext, code: string): Promise<CourseDetails> {
  const row = await requireCourse(ctx.db.kysely, code);
  return loadCourseDetails(ctx.db.kysely, row.id);
}

export interface CourseEdit {
  code?: string;
  title?: string;
  language?: string;
  /** A user reference, or null to remove the owner. */
  owner?: string | null;
}

export interface CourseEditResult {
  course: CourseDetails;
  changes: FieldChange[];
}

/** Applies the edit in one transaction; returns each field changed (none: nothing written). */
export async function editCourse(ctx: ServiceContext, code: string, edit: CourseEdit): Promise<CourseEditResult> {
  const problems = new Problems();
  const newCode = edit.code?.trim().normalize('NFC');
  const newTitle = edit.title?.trim();
  if (newCode !== undefined) checkCode(newCode, problems);
  if (newTitle !== undefined) checkTitle(newTitle, problems);
  let newLanguage: string | undefined;
  if (edit.language !== undefined) {
    try {
      newLanguage = parseLanguage(edit.language, 'language');
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      for (const p of error.problems) problems.add(p.field, p.message);
    }
  }
  if (!problems.empty) throw new ValidationError(problems.list);

  const { id, changes } = await ctx.db.kysely.transaction().execute(async (trx) => {
    const row = await requireCourse(trx, code);
    const changes: FieldChange[] = [];
    const update: Partial<Pick<CourseRow, 'code' | 'code_key' | 'title' | 'language' | 'owner_id'>> = {};
    if (newCode !== undefined && newCode !== row.code) {
      const other = await repo.findCourse(trx, newCode);
      if (other && other.id !== row.id) throw new ConflictError(`course "${other.code}" already exists (codes are compared ignoring case)`);
      update.code = newCode;
      update.code_key = recordKey(newCode);
      changes.push({ field: 'code', before: row.code, after: newCode });
    }
    if (newTitle !== undefined && newTitle !== row.title) {
      update.title = newTitle;
      changes.push({ field: 'title', before: row.title, after: newTitle });
    }
    if (newLanguage !== undefined && newLanguage !== row.language) {
      update.language = newLanguage;
      changes.push({ field: 'language', before: row.language, after: newLanguage });
    }
    if (edit.owner !== undefined) {
      const owner = edit.owner === null ? null : await requireLiveUser(trx, edit.owner, 'a course owner');
      const changed = await linkedUserChange(trx, 'owner', row.owner_id, owner);
      if (changed) {
        update.owner_id = changed.id;
        changes.push(changed.change);
      }
    }
    if (changes.length) {
      await repo.updateCourse(trx, row.id, update);
      await audit(trx, ctx, 'course.edit', null, { course: update.code ?? row.code, changes });
    }
    return { id: row.id, changes };
  });
  return { course: await loadCourseDetails(ctx.db.kysely, id), changes };
}

/**
 * The course as it is before a delete, after the checks the delete makes:
 * enrolled users are refused without --force. Lets the CLI confirm with
 * the real numbers before anything changes.
 */
export async function checkCourseDeletable(ctx: ServiceContext, code: string, force: boolean): Promise<CourseDetails> {
  const course = await getCourse(ctx, code);
  assertCourseEmpty(course.code, course.enrolled.total, force);
  return course;
}

function assertCourseEmpty(code: string, enrolled: number, force: boolean): void {
  assertNoEnrolments('course', `course "${code}"`, enrolled, force, `--course ${code}`);
}

export interface CourseDeleteResult {
  course: CourseDetails;
  unenrolled: number;
}

/**
 * Deletes a course, its enrolments (with --force) and its place in sessions,
 * in one transaction; each enrolled user gets an audit row.
 */
export async function deleteCourse(ctx: ServiceContext, code: string, options: { force?: boolean } = {}): Promise<CourseDeleteResult> {
  return ctx.db.kysely.transaction().execute(async (trx) => {
    const row = await requireCourse(trx, code);
    const course = await loadCourseDetails(trx, row.id);
    const enrolled = await repo.countCourseUsers(trx, row.id);
    assertCourseEmpty(row.code, enrolled, Boolean(options.force));
    const at = nowIso(ctx);
    const unenrolled = await repo.auditCourseUnenrolments(trx, row.id, {
      at,
      actor: ctx.actor,
      action: 'course.unenroll',
      details: JSON.stringify({ course: row.code, reason: 'course deleted' }),
    });
    await repo.deleteCourseRecord(trx, row.id);
    await audit(trx, ctx, 'course.delete', null, { course: row.code, title: row.title, unenrolled, sessions: course.sessions.map((s) => s.name) });
    return { course, unenrolled };
  });
}
