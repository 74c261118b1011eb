import type { CommandRegistry } from '../../cli/registry';
import { examples } from '../../cli/options';
import * as status from './status';
import * as migrate from './migrate';
import * as backup from './backup';
import * as copy from './copy';

export function register(commands: CommandRegistry): void {
  commands.add('db', 'the database: status, migrate, backup, copy (schema migrations, backups, a move to or from PostgreSQL)', (db) => {
    examples(db, ['roster db status', 'roster db backup /var/backups/roster.db']);
    for (const sub of [status, migrate, backup, copy]) sub.define(db);
  });
}
