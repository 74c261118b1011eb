import type { CommandRegistry } from '../../cli/registry';
import { examples } from '../../cli/options';
import * as add from './add';
import * as list from './list';
import * as show from './show';
import * as edit from './edit';
import * as deleteCommand from './delete';

export function register(commands: CommandRegistry): void {
  commands.add('course', 'courses: add, list, show, edit, delete', (course) => {
    examples(course, [
      'roster course add C101 --title "Introduction to algebra" --owner ada',
      'roster course list',
      'roster enroll ada --course C101 --as teacher',
    ]);
    for (const sub of [add, list, show, edit, deleteCommand]) sub.define(course);
  });
}
