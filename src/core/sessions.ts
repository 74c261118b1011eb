import type { Kysely, Transaction } from 'kysely';
import * as repo from '../db/course-repository';
import type { SessionListRow } from '../db/course-repository';
import type { CourseRow, Database, TrainingSessionRow } from '../db/schema';
import { audit, type FieldChange } from './audit';
import { assertNoEnrolments, linkedUserChange } from './named-record';
import { nowIso, type ServiceContext } from './context';
import { checkTitle, requireCourse, requireLiveUser, type UserLink } from './courses';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors';
import { parseDate } from './time';
import { Problems } from './validation';
import { recordKey } from '../shared/folding';

type Executor = Kysely<Database> | Transaction<Database>;

/** A training session as `session list`, `session show` and `--json` show it. */
export interface TrainingSession {
  id: number;
  name: string;
  startsOn: string;
  endsOn: string;
  coach: UserLink | null;
  createdAt: string;
  courses: { code: string; title: string }[];
  enrolled: { total: number };
}

const NAME_MAX = 150;

export async function requireSession(db: Executor, name: string): Promise<TrainingSessionRow> {
  const row = await repo.findSession(db, name);
  if (!row) throw new NotFoundError(`no session "${name.trim()}"`, 'see roster session list');
  return row;
}

function toSession(row: SessionListRow, courses: { code: string; title: string }[]): TrainingSession {
  return {
    id: row.id,
    name: row.name,
    startsOn: row.starts_on,
    endsOn: row.ends_on,
    coach: row.coach_id === null ? null : { id: row.coach_id, username: row.coach_username ?? `id:${row.coach_id}` },
    createdAt: row.created_at,
    courses,
    enrolled: { total: Number(row.users) },
  };
}

async function loadSessions(db: Executor, query: repo.SessionQuery): Promise<TrainingSession[]> {
  const rows = await repo.selectSessions(db, query);
  const courses = await repo.coursesOfSessions(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toSession(r, courses.get(r.id) ?? []));
}

async function loadSession(db: Executor, id: number): Promise<TrainingSession> {
  const [session] = await loadSessions(db, { ids: [id] });
  if (!session) throw new NotFoundError(`no session id:${id}`);
  return session;
}

/** Checks a name and a period; dates become ISO; the end may not come before the start. */
function checkSessionValues(
  values: { name?: string; start?: string; end?: string },
  problems: Problems,
): { name?: string; startsOn?: string; endsOn?: string } {
  const out: { name?: string; startsOn?: string; endsOn?: string } = {};
  if (values.name !== undefined) {
    out.name = values.name.trim().normalize('NFC');
    checkTitle(out.name, problems, 'name', NAME_MAX);
  }
  const date = (input: string, field: string): string | undefined => {
    try {
      return parseDate(input, field);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      for (const p of error.problems) problems.add(p.field, p.message);
      return undefined;
    }
  };
  if (values.start !== undefined) out.startsOn = date(values.start, 'start');
  if (values.end !== undefined) out.endsOn = date(values.end, 'end');
  return out;
}

function assertPeriod(startsOn: string, endsOn: string): void {
  if (endsOn < startsOn) {
    throw new ValidationError([{ field: 'end', message: `${endsOn.slice(0, 10)} is before the start ${startsOn.slice(0, 10)}` }]);
  }
}

export interface NewSessionInput {
  name: string;
  start: string;
  end: string;
  /** A user reference. */
  coach?: string;
  /** Course codes. */
  courses?: string[];
}

export async function addSession(ctx: ServiceContext, input: NewSessionInput): Promise<TrainingSession> {
  const problems = new Problems();
  const values = checkSessionValues(input, problems);
  if (!problems.empty) throw new ValidationError(problems.list);
  const { name, startsOn, endsOn } = values as Required<typeof values>;
  assertPeriod(startsOn, endsOn);
  const id = await ctx.db.kysely.transaction().execute(async (trx) => {
    const existing = await repo.findSession(trx, name);
    if (existing)
      throw new ConflictError(`session "${existing.name}" already exists (names are compared ignoring case)`, `see roster session show "${existing.name}"`);
    const coach = input.coach === undefined ? undefined : await requireLiveUser(trx, input.coach, 'a session coach');
    const courses = await requireCourses(trx, input.courses ?? []);
    const sessionId = await repo.insertSession(
      trx,
      { name, name_key: recordKey(name), starts_on: startsOn, ends_on: endsOn, coach_id: coach?.id ?? null, created_at: nowIso(ctx) },
      courses.map((c) => c.id),
    );
    await audit(trx, ctx, 'session.add', null, { session: name, startsOn, endsOn, coach: coach?.username ?? null, courses: courses.map((c) => c.code) });
    return sessionId;
  });
  return loadSession(ctx.db.kysely, id);
}

/** Each course once, in the order given; an unknown code stops everything (exit 3). */
async function requireCourses(db: Executor, codes: string[]): Promise<CourseRow[]> {
  const courses = new Map<number, CourseRow>();
  for (const code of codes) {
    const course = await requireCourse(db, code);
    courses.set(course.id, course);
  }
  return [...courses.values()];
}

export interface SessionListQuery {
  search?: string;
  /** A course code: the sessions that hold it. */
  course?: string;
}

export async function listSessions(ctx: ServiceContext, query: SessionListQuery = {}): Promise<TrainingSession[]> {
  const db = ctx.db.kysely;
  const courseId = query.course === undefined ? undefined : (await requireCourse(db, query.course)).id;
  return loadSessions(db, { search: query.search?.trim() || undefined, courseId });
}

export async function getSession(ctx: ServiceContext, name: string): Promise<TrainingSession> {
  const row = await requireSession(ctx.db.kysely, name);
  return loadSession(ctx.db.kysely, row.id);
}

export interface SessionEdit {
  name?: string;
  start?: string;
  end?: string;
  /** A user reference, or null to remove the coach. */
  coach?: string | null;
}

export interface SessionEditResult {
  session: TrainingSession;
  changes: FieldChange[];
}

export async function editSession(ctx: ServiceContext, name: string, edit: SessionEdit): Promise<SessionEditResult> {
  const problems = new Problems();
  const values = checkSessionValues(edit, problems);
  if (!problems.empty) throw new ValidationError(problems.list);
  const { id, changes } = await ctx.db.kysely.transaction().execute(async (trx) => {
    const row = await requireSession(trx, name);
    const changes: FieldChange[] = [];
    const update: Partial<Pick<TrainingSessionRow, 'name' | 'name_key' | 'starts_on' | 'ends_on' | 'coach_id'>> = {};
    if (values.name !== undefined && values.name !== row.name) {
      const other = await repo.findSession(trx, values.name);
      if (other && other.id !== row.id) throw new ConflictError(`session "${other.name}" already exists (names are compared ignoring case)`);
      update.name = values.name;
      update.name_key = recordKey(values.name);
      changes.push({ field: 'name', before: row.name, after: values.name });
    }
    const startsOn = values.startsOn ?? row.starts_on;
    const endsOn = values.endsOn ?? row.ends_on;
    assertPeriod(startsOn, endsOn);
    if (startsOn !== row.starts_on) {
      update.starts_on = startsOn;
      changes.push({ field: 'starts_on', before: row.starts_on, after: startsOn });
    }
    if (endsOn !== row.ends_on) {
      update.ends_on = endsOn;
      changes.push({ field: 'ends_on', before: row.ends_on, after: endsOn });
    }
    if (edit.coach !== undefined) {
      const coach = edit.coach === null ? null : await requireLiveUser(trx, edit.coach, 'a session coach');
      const changed = await linkedUserChange(trx, 'coach', row.coach_id, coach);
      if (changed) {
        update.coach_id = changed.id;
        changes.push(changed.change);
      }
    }
    if (changes.length) {
      await repo.updateSession(trx, row.id, update);
      await audit(trx, ctx, 'session.edit', null, { session: update.name ?? row.name, changes });
    }
    return { id: row.id, changes };
  });
  return { session: await loadSession(ctx.db.kysely, id), changes };
}

export async function checkSessionDeletable(ctx: ServiceContext, name: string, force: boolean): Promise<TrainingSession> {
  const session = await getSession(ctx, name);
  assertSessionEmpty(session.name, session.enrolled.total, force);
  return session;
}

function assertSessionEmpty(name: string, enrolled: number, force: boolean): void {
  assertNoEnrolments('session', `session "${name}"`, enrolled, force, `--session "${name}"`);
}

export interface SessionDeleteResult {
  session: TrainingSession;
  unenrolled: number;
}

/** Deletes a session with its course list and (with --force) its enrolments; the courses stay. */
export async function deleteSession(ctx: ServiceContext, name: string, options: { force?: boolean } = {}): Promise<SessionDeleteResult> {
  return ctx.db.kysely.transaction().execute(async (trx) => {
    const row = await requireSession(trx, name);
    const session = await loadSession(trx, row.id);
    assertSessionEmpty(row.name, session.enrolled.total, Boolean(options.force));
    const unenrolled = await repo.auditSessionUnenrolments(trx, row.id, {
      at: nowIso(ctx),
      actor: ctx.actor,
      action: 'session.unenroll',
      details: JSON.stringify({ session: row.name, reason: 'session deleted' }),
    });
    await repo.deleteSessionRecord(trx, row.id);
    await audit(trx, ctx, 'session.delete', null, { session: row.name, unenrolled, courses: session.courses.map((c) => c.code) });
    return { session, unenrolled };
  });
}

export interface SessionCoursesResult {
  session: TrainingSession;
  /** Codes added (or removed). */
  changed: string[];
  /** Codes that were already in (or already out of) the session. */
  unchanged: string[];
}

/** Adds courses to a session; one already in it is reported unchanged. An unknown code changes nothing (exit 3). */
export async function addSessionCourses(ctx: ServiceContext, name: string, codes: string[]): Promise<SessionCoursesResult> {
  return changeSessionCourses(ctx, name, codes, 'add');
}

export async function removeSessionCourses(ctx: ServiceContext, name: string, codes: string[]): Promise<SessionCoursesResult> {
  return changeSessionCourses(ctx, name, codes, 'remove');
}

async function changeSessionCourses(ctx: ServiceContext, name: string, codes: string[], mode: 'add' | 'remove'): Promise<SessionCoursesResult> {
  if (!codes.length) throw new ValidationError([{ field: 'course', message: 'name at least one course code' }]);
  const { id, changed, unchanged } = await ctx.db.kysely.transaction().execute(async (trx) => {
    const row = await requireSession(trx, name);
    const courses = await requireCourses(trx, codes);
    const present = await repo.sessionCourseIds(trx, row.id);
    const changed: CourseRow[] = [];
    const unchanged: CourseRow[] = [];
    for (const course of courses) (present.has(course.id) === (mode === 'add') ? unchanged : changed).push(course);
    if (changed.length) {
      if (mode === 'add')
        await repo.addSessionCourses(
          trx,
          row.id,
          changed.map((c) => c.id),
        );
      else
        await repo.removeSessionCourses(
          trx,
          row.id,
          changed.map((c) => c.id),
        );
      await audit(trx, ctx, mode === 'add' ? 'session.add-course' : 'session.remove-course', null, { session: row.name, courses: changed.map((c) => c.code) });
    }
    return { id: row.id, changed: changed.map((c) => c.code), unchanged: unchanged.map((c) => c.code) };
  });
  return { session: await loadSession(ctx.db.kysely, id), changed, unchanged };
}
