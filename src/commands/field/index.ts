import type { CommandRegistry } from '../../cli/registry';
import { examples } from '../../cli/options';
import * as add from './add';
import * as list from './list';
import * as edit from './edit';
import * as remove from './remove';

export function register(commands: CommandRegistry): void {
  commands.add('field', 'extra profile fields, their definitions: add, list, edit, remove', (field) => {
    examples(field, [
      'roster field add cohort --type number',
      'roster field add campus --type choice --choices north,south',
      'roster edit ada --field cohort=2026',
    ]);
    for (const sub of [add, list, edit, remove]) sub.define(field);
  });
}
