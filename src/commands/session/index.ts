import type { CommandRegistry } from '../../cli/registry';
import { examples } from '../../cli/options';
import * as add from './add';
import * as list from './list';
import * as show from './show';
import * as edit from './edit';
import * as deleteCommand from './delete';
import * as addCourse from './add-course';
import * as removeCourse from './remove-course';

export function register(commands: CommandRegistry): void {
  commands.add('session', 'training sessions (a cohort, a period, its courses): add, list, show, edit, delete, add-course, remove-course', (session) => {
    examples(session, [
      'roster session add "Spring 2026" --start 2026-03-01 --end 2026-06-30 --course C101',
      'roster session list',
      'roster enroll - --session "Spring 2026" --yes < cohort.txt',
    ]);
    for (const sub of [add, list, show, edit, deleteCommand, addCourse, removeCourse]) sub.define(session);
  });
}
