import { enrolmentsOf } from '../db/course-repository';
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
  const { courses, sessions, ownedCourses } = await enrolmentsOf(ctx.db.kysely, user.id);
  return { ...user, courses, sessions, ownedCourses };
}
