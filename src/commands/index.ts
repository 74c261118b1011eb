import type { CommandRegistry } from '../cli/registry';
import * as activate from './activate';
import * as auth from './auth';
import * as deactivate from './deactivate';
import * as add from './add';
import * as audit from './audit';
import * as completion from './completion';
import * as config from './config/index';
import * as course from './course/index';
import * as db from './db/index';
import * as edit from './edit';
import * as enroll from './enroll';
import * as expire from './expire';
import * as field from './field/index';
import * as anonymize from './anonymize';
import * as deleteCommand from './delete';
import * as purge from './purge';
import * as restore from './restore';
import * as exportCommand from './export';
import * as importCommand from './import';
import * as list from './list';
import * as loginAs from './login-as';
import * as unenroll from './unenroll';
import * as role from './role/index';
import * as search from './search';
import * as session from './session/index';
import * as show from './show';

/** Every subcommand, in the order `roster --help` lists them. */
export const COMMANDS: ((commands: CommandRegistry) => void)[] = [
  list.register,
  search.register,
  show.register,
  add.register,
  edit.register,
  activate.register,
  deactivate.register,
  expire.register,
  deleteCommand.register,
  restore.register,
  purge.register,
  anonymize.register,
  loginAs.register,
  auth.register,
  course.register,
  session.register,
  enroll.register,
  unenroll.register,
  importCommand.register,
  exportCommand.register,
  role.register,
  field.register,
  audit.register,
  config.register,
  db.register,
  completion.register,
];
