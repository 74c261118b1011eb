import { Option } from 'commander';
import type { CommandRegistry } from '../cli/registry';
import { inContext, type CommandContext, type Outcome } from '../cli/context';
import { examples } from '../cli/options';
import { addSelectionOptions } from '../cli/selection';
import { ENROLL_SELECTION, runEnrollment, type EnrollOptions } from '../cli/enrollment';

export function register(commands: CommandRegistry): void {
  commands.add(
    'enroll [users...]',
    'enrol users in a course (as student or teacher) or in a session (several users, - for stdin, or the filters of list)',
    (enroll) => {
      enroll
        .option('--course <code>', 'the course to enrol them in')
        .addOption(
          new Option('--as <role>', 'their role in the course (default: student; changes the role of users already enrolled)').choices(['student', 'teacher']),
        )
        .option('--session <name>', 'the training session to enrol them in');
      addSelectionOptions(enroll, ENROLL_SELECTION);
      enroll.action(inContext((ctx, users: string[], opts: EnrollOptions) => runEnroll(ctx, users, opts)));
      examples(enroll, [
        'roster enroll ada bob --course C101',
        'roster enroll ada --course C101 --as teacher',
        'roster enroll --course C101 --role student --field cohort=2026 --yes',
        'roster list --role student --format ids | roster enroll - --session "Spring 2026" --yes',
      ]);
    },
  );
}

export async function runEnroll(ctx: CommandContext, users: string[], opts: EnrollOptions): Promise<Outcome> {
  return runEnrollment(ctx, users, opts, 'enroll');
}
