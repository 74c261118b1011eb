import type { CommandRegistry } from '../cli/registry';
import * as activation from './activation';
import * as add from './add';
import * as audit from './audit';
import * as config from './config';
import * as course from './course';
import * as db from './db';
import * as edit from './edit';
import * as enroll from './enroll';
import * as expire from './expire';
import * as field from './field';
import * as lifecycle from './lifecycle';
import * as exportCommand from './export';
import * as importCommand from './import';
import * as list from './list';
import * as login from './login';
import * as role from './role';
import * as search from './search';
import * as session from './session';
import * as show from './show';

/** Every subcommand, in the order `roster --help` lists them. */
export const COMMANDS: ((commands: CommandRegistry) => void)[] = [
  list.register,
  search.register,
  show.register,
  add.register,
  edit.register,
  activation.register,
  expire.register,
  lifecycle.register,
  login.register,
  course.register,
  session.register,
  enroll.register,
  importCommand.register,
  exportCommand.register,
  role.register,
  field.register,
  audit.register,
  config.register,
  db.register,
];
