import type { CommandRegistry } from '../../cli/registry';
import { examples } from '../../cli/options';
import * as set from './set';
import * as get from './get';
import * as unset from './unset';
import * as list from './list';

export function register(commands: CommandRegistry): void {
  commands.add('config', 'platform settings kept in the database (base-url, mail.command, mail.from): set, get, unset, list', (config) => {
    examples(config, ['roster config set base-url https://campus.example.org', 'roster config get base-url']);
    for (const sub of [set, get, unset, list]) sub.define(config);
  });
}
