import { Option } from 'commander';
import type { CommandRegistry } from '../cli/registry';
import { inContext, type CommandContext, type Outcome } from '../cli/context';
import { examples } from '../cli/options';
import { addSelectionOptions, confirmBatch, renderBatch, selectionFromCommand, type BatchCliOptions } from '../cli/selection';
import { UsageError } from '../shared/errors';

interface EnrollOptions extends BatchCliOptions {
  course?: string;
  session?: string;
  as?: string;
}

// --course and --session name the target here, so the selection filters leave them out.
const SELECTION = { withoutEnrolment: true } as const;
// unenroll --course C101 --as student: the students of C101, whatever their platform roles.
const UNENROLL_SELECTION = { withoutEnrolment: true, courseRoleFilter: true } as const;

export function register(commands: CommandRegistry): void {
  commands.add('enroll [users...]', 'enrol users in a course (as student or teacher) or in a session (several users, - for stdin, or the filters of list)', (enroll) => {
    enroll
      .option('--course <code>', 'the course to enrol them in')
      .addOption(new Option('--as <role>', 'their role in the course (default: student; changes the role of users already enrolled)').choices(['student', 'teacher']))
      .option('--session <name>', 'the training session to enrol them in');
    addSelectionOptions(enroll, SELECTION);
    enroll.action(inContext((ctx, users: string[], opts: EnrollOptions) => runEnrollment(ctx, users, opts, 'enroll')));
    examples(enroll, [
      'roster enroll ada bob --course C101',
      'roster enroll ada --course C101 --as teacher',
      'roster enroll --course C101 --role student --field cohort=2026 --yes',
      'roster list --role student --format ids | roster enroll - --session "Spring 2026" --yes',
    ]);
  });

  commands.add('unenroll [users...]', 'remove users from a course or a session (several users, - for stdin, or the filters of list, which then select among its users)', (unenroll) => {
    unenroll
      .option('--course <code>', 'the course to remove them from')
      .option('--session <name>', 'the training session to remove them from');
    addSelectionOptions(unenroll, UNENROLL_SELECTION);
    unenroll.action(inContext((ctx, users: string[], opts: EnrollOptions) => runEnrollment(ctx, users, opts, 'unenroll')));
    examples(unenroll, [
      'roster unenroll bob --course C101',
      'roster unenroll --course C101 --as student --dry-run',
      'roster unenroll --session "Spring 2026" --inactive --yes',
      'roster unenroll - --course C101 --dry-run < leavers.txt',
    ]);
  });
}

async function runEnrollment(ctx: CommandContext, users: string[], opts: EnrollOptions, mode: 'enroll' | 'unenroll'): Promise<Outcome> {
  const [{ planBatch, runBatch }, { resolveEnrollTarget, describeTarget, enrollAction, unenrollAction, restrictToEnrolled }] = await Promise.all([
    import('../core/batch'),
    import('../core/enrollment'),
  ]);
  if (mode === 'unenroll' && opts.as && opts.session) throw new UsageError('--as is the role in a course; a session has no roles', 'leave --as out, or give --course');
  const target = await resolveEnrollTarget(ctx, { course: opts.course, session: opts.session, role: mode === 'enroll' ? opts.as : undefined });
  const selection = await selectionFromCommand(ctx, users, opts, mode === 'enroll' ? SELECTION : UNENROLL_SELECTION);
  const plan = await planBatch(ctx, mode === 'unenroll' ? restrictToEnrolled(selection, target) : selection);
  const where = describeTarget(target);
  const object = mode === 'enroll' ? `in ${where}` : `from ${where}`;
  const action = () => (mode === 'enroll' ? enrollAction(ctx, target) : unenrollAction(target));
  await confirmBatch(ctx, plan, (who) => `${mode === 'enroll' ? 'Enroll' : 'Unenroll'} ${who} ${object}?`, { dryRun: opts.dryRun, wouldChange: () => runBatch(ctx, plan, action(), { dryRun: true, atomic: opts.atomic }) });
  const result = await runBatch(ctx, plan, action(), { dryRun: opts.dryRun, atomic: opts.atomic });
  return renderBatch(ctx, result, mode === 'enroll' ? { done: 'enrolled', would: 'enroll', object } : { done: 'unenrolled', would: 'unenroll', object });
}
