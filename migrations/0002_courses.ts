import { Kysely } from 'kysely';
import { idColumn } from './engine';

/** Courses, training sessions and enrolments. Frozen in time: Kysely<any>. */
export async function up(db: Kysely<any>): Promise<void> {
  const id = idColumn(db);
  await db.schema
    .createTable('course')
    .addColumn('id', 'integer', id)
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('code_key', 'text', (c) => c.notNull().unique())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull().defaultTo('en'))
    // A purge hands courses to the fallback user, so an owner always exists.
    .addColumn('owner_id', 'integer', (c) => c.references('user.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('course_owner_idx').on('course').column('owner_id').execute();

  await db.schema
    .createTable('training_session')
    .addColumn('id', 'integer', id)
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_key', 'text', (c) => c.notNull().unique())
    .addColumn('starts_on', 'text', (c) => c.notNull())
    .addColumn('ends_on', 'text', (c) => c.notNull())
    .addColumn('coach_id', 'integer', (c) => c.references('user.id').onDelete('set null'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('session_course')
    .addColumn('session_id', 'integer', (c) => c.notNull().references('training_session.id').onDelete('cascade'))
    .addColumn('course_id', 'integer', (c) => c.notNull().references('course.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('session_course_pk', ['session_id', 'course_id'])
    .execute();
  await db.schema.createIndex('session_course_course_idx').on('session_course').column('course_id').execute();

  await db.schema
    .createTable('course_user')
    .addColumn('course_id', 'integer', (c) => c.notNull().references('course.id').onDelete('cascade'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull().defaultTo('student'))
    .addColumn('enrolled_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('course_user_pk', ['course_id', 'user_id'])
    .execute();
  await db.schema.createIndex('course_user_user_idx').on('course_user').column('user_id').execute();

  await db.schema
    .createTable('session_user')
    .addColumn('session_id', 'integer', (c) => c.notNull().references('training_session.id').onDelete('cascade'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
    .addColumn('enrolled_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('session_user_pk', ['session_id', 'user_id'])
    .execute();
  await db.schema.createIndex('session_user_user_idx').on('session_user').column('user_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['session_user', 'course_user', 'session_course', 'training_session', 'course']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
