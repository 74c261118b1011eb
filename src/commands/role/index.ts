import type { CommandRegistry } from '../../cli/registry';
import { examples } from '../../cli/options';
import * as list from './list';

export function register(commands: CommandRegistry): void {
  commands.add('role', 'the platform roles: list', (role) => {
    examples(role, ['roster role list', 'roster list --role teacher']);
    for (const sub of [list]) sub.define(role);
  });
}
