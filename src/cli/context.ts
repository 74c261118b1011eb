import type { Command } from 'commander';
import type { ServiceContext } from '../core/context';
import { UsageError } from '../shared/errors';
import { unusableDatabase } from '../db/unusable-database';
import { hasPassword, isPostgresUrl } from '../db/reference';
import { LIMITS, textProblem } from '../core/validation';
import { processIo, type Io } from './io';

export interface GlobalOptions {
  db?: string;
  json?: boolean;
  yes?: boolean;
  actor?: string;
}

export interface CommandContext extends ServiceContext {
  readonly io: Io;
  readonly json: boolean;
  readonly yes: boolean;
}

/** Who is recorded in the audit log: --actor, else the person behind sudo, else the OS login. */
export function resolveActor(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (option?.trim()) return option.trim();
  if (env.SUDO_USER) {
    // Recorded in the audit log like --actor: the same characters are refused.
    const unsafe = textProblem(env.SUDO_USER, LIMITS.actor);
    if (unsafe) throw new UsageError(`SUDO_USER ${unsafe}`, 'give who acts with --actor <name>');
    return env.SUDO_USER;
  }
  try {
    // Loaded here: only commands that write the audit log need the login name.
    const { userInfo } = require('node:os') as typeof import('node:os');
    return userInfo().username;
  } catch {
    return env.USER || env.LOGNAME || 'unknown';
  }
}

/**
 * Opens the database for one command and always closes it, even when the
 * command fails. Heavy modules are loaded here, not at start-up.
 */
export async function withContext<T>(command: Command, run: (ctx: CommandContext) => Promise<T>, options: { migrate?: boolean } = {}): Promise<T> {
  const globals = command.optsWithGlobals<GlobalOptions>();
  // `--actor "$WHO"` with WHO unset must not quietly record somebody else.
  if (globals.actor !== undefined && !globals.actor.trim()) throw new UsageError('--actor was given an empty name', 'name who acts, e.g. --actor "$SUDO_USER", or leave --actor out');
  const unsafeActor = globals.actor === undefined ? undefined : textProblem(globals.actor, LIMITS.actor);
  if (unsafeActor) throw new UsageError(`--actor ${unsafeActor}`);
  const [{ openDatabase, resolveDatabaseReference }, { systemClock }] = await Promise.all([import('../db/database'), import('../core/time')]);
  const now = systemClock;
  const db = await openDatabase(resolveDatabaseReference(globals.db), { migrate: options.migrate });
  // Said once, on stderr: cron mails it, so a mistyped path does not go unnoticed.
  if (db.created) process.stderr.write(`roster: ${db.createdNotice}\n`);
  // A password on the command line is in the process list, which every user of the host can read.
  if (globals.db !== undefined && isPostgresUrl(globals.db) && hasPassword(globals.db)) {
    process.stderr.write('roster: warning: the password in --db is visible to other users of this host (ps); put the URL in ROSTER_DB, or the password in PGPASSWORD or ~/.pgpass\n');
  }
  try {
    let actor: string | undefined;
    return await run({
      db,
      now,
      // Asking the system for the login name can take milliseconds (NSS): only mutations need it.
      get actor() {
        return (actor ??= resolveActor(globals.actor));
      },
      io: processIo(),
      json: Boolean(globals.json),
      yes: Boolean(globals.yes),
    });
  } catch (error) {
    // The file became unusable while the command ran (read-only, removed): named, with what to check.
    throw unusableDatabase(db.location, error);
  } finally {
    await db.close();
  }
}
