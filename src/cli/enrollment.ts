import { type CommandContext, type Outcome } from './context';
import { confirmBatch, renderBatch, selectionFromCommand, type BatchCliOptions } from './selection';
import { UsageError } from '../shared/errors';

// --course and --session name the target here, so the selection filters leave them out.
export const ENROLL_SELECTION = { withoutEnrolment: true } as const;
// unenroll --course C101 --as student: the students of C101, whatever their platform roles.
export const UNENROLL_SELECTION = { withoutEnrolment: true, courseRoleFilter: true } as const;

export interface EnrollOptions extends BatchCliOptions {
  course?: string;
  session?: string;
  as?: string;
}

export async function runEnrollment(ctx: CommandContext, users: string[], opts: EnrollOptions, mode: 'enroll' | 'unenroll'): Promise<Outcome> {
  const [{ planBatch, runBatch }, { resolveEnrollTarget, describeTarget, enrollAction, unenrollAction, restrictToEnrolled }] = await Promise.all([
    import('../core/batch'),
    import('../core/enrollment'),
  ]);
  if (mode === 'unenroll' && opts.as && opts.session)
    throw new UsageError('--as is the role in a course; a session has no roles', 'leave --as out, or give --course');
  const target = await resolveEnrollTarget(ctx, { course: opts.course, session: opts.session, role: mode === 'enroll' ? opts.as : undefined });
  const selection = await selectionFromCommand(ctx, users, opts, mode === 'enroll' ? ENROLL_SELECTION : UNENROLL_SELECTION);
  const plan = await planBatch(ctx, mode === 'unenroll' ? restrictToEnrolled(selection, target) : selection);
  const where = describeTarget(target);
  const object = mode === 'enroll' ? `in ${where}` : `from ${where}`;
  const action = () => (mode === 'enroll' ? enrollAction(ctx, target) : unenrollAction(target));
  await confirmBatch(ctx, plan, (who) => `${mode === 'enroll' ? 'Enroll' : 'Unenroll'} ${who} ${object}?`, {
    dryRun: opts.dryRun,
    wouldChange: () => runBatch(ctx, plan, action(), { dryRun: true, atomic: opts.atomic }),
  });
  const result = await runBatch(ctx, plan, action(), { dryRun: opts.dryRun, atomic: opts.atomic });
  return renderBatch(ctx, result, mode === 'enroll' ? { done: 'enrolled', would: 'enroll', object } : { done: 'unenrolled', would: 'unenroll', object });
}
