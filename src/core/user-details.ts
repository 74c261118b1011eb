import type { ServiceContext } from './context';
import type { User } from './user-model';
import { getUser } from './users';

export interface UserDetails extends User {
  courses: { code: string; title: string; role: string; enrolledAt: string }[];
  sessions: { name: string; startsOn: string; endsOn: string; enrolledAt: string }[];
  ownedCourses: { code: string; title: string }[];
}

/** A user with the courses and sessions they are enrolled in and the courses they own. */
export async function getUserDetails(ctx: ServiceContext, ref: string): Promise<UserDetails> {
  const user = await getUser(ctx, ref);
  const db = ctx.db.kysely;
  const [courses, sessions, ownedCourses] = await Promise.all([
    db
      .selectFrom('course_user')
      .innerJoin('course', 'course.id', 'course_user.course_id')
      .select(['course.code', 'course.title', 'course_user.role', 'course_user.enrolled_at as enrolledAt'])
      .where('course_user.user_id', '=', user.id)
      .orderBy('course.code')
      .execute(),
    db
      .selectFrom('session_user')
      .innerJoin('training_session', 'training_session.id', 'session_user.session_id')
      .select(['training_session.name', 'training_session.starts_on as startsOn', 'training_session.ends_on as endsOn', 'session_user.enrolled_at as enrolledAt'])
      .where('session_user.user_id', '=', user.id)
      .orderBy('training_session.starts_on')
      .execute(),
    db.selectFrom('course').select(['code', 'title']).where('owner_id', '=', user.id).orderBy('code').execute(),
  ]);
  return { ...user, courses, sessions, ownedCourses };
}
