import type { Command } from 'commander';
import * as add from './add';
import * as audit from './audit';
import * as db from './db';
import * as edit from './edit';
import * as exportCommand from './export';
import * as field from './field';
import * as importCommand from './import';
import * as list from './list';
import * as role from './role';
import * as search from './search';
import * as show from './show';

/** Every subcommand, in the order `roster --help` lists them. */
export const COMMANDS: ((program: Command) => void)[] = [
  list.register,
  search.register,
  show.register,
  add.register,
  edit.register,
  importCommand.register,
  exportCommand.register,
  role.register,
  field.register,
  audit.register,
  db.register,
];
