import type { CommandRegistry } from '../cli/registry';
import { inContext, type CommandContext, type Outcome } from '../cli/context';
import { examples } from '../cli/options';
import { addSelectionOptions } from '../cli/selection';
import { UNENROLL_SELECTION, runEnrollment, type EnrollOptions } from '../cli/enrollment';

export function register(commands: CommandRegistry): void {
  commands.add(
    'unenroll [users...]',
    'remove users from a course or a session (several users, - for stdin, or the filters of list, which then select among its users)',
    (unenroll) => {
      unenroll.option('--course <code>', 'the course to remove them from').option('--session <name>', 'the training session to remove them from');
      addSelectionOptions(unenroll, UNENROLL_SELECTION);
      unenroll.action(inContext((ctx, users: string[], opts: EnrollOptions) => runUnenroll(ctx, users, opts)));
      examples(unenroll, [
        'roster unenroll bob --course C101',
        'roster unenroll --course C101 --as student --dry-run',
        'roster unenroll --session "Spring 2026" --inactive --yes',
        'roster unenroll - --course C101 --dry-run < leavers.txt',
      ]);
    },
  );
}

export async function runUnenroll(ctx: CommandContext, users: string[], opts: EnrollOptions): Promise<Outcome> {
  return runEnrollment(ctx, users, opts, 'unenroll');
}
