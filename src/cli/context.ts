import type { Command } from 'commander';
import type { ServiceContext } from '../core/context';
import { ExitCode, UsageError } from '../shared/errors';
import { unusableDatabase } from '../db/unusable-database';
import { hasPassword, isPostgresUrl } from '../db/reference';
import { LIMITS, textProblem } from '../core/validation';
import { line, processIo, warn, type Io } from './io';

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

/** What a command's run function resolves to: its exit code, or nothing when all was done. */
export type Outcome = number | void;

/** The exit code that the action of a run resolved to, by program (commander drops an action's result). */
const outcomes = new WeakMap<Command, number>();

/** The exit code of the action that the program ran: 0 when it ran none (help) or its action said nothing. */
export function outcomeOf(program: Command): number {
  return outcomes.get(program) ?? ExitCode.ok;
}

/** How a command opens its database (see OpenOptions): `db status` neither creates nor migrates it. */
export interface ContextOptions {
  migrate?: boolean;
  create?: boolean;
}

/**
 * A command's action: `run` gets the context (the open database, the
 * terminal, the global options) followed by commander's arguments and
 * options, and resolves to its outcome, or throws.
 */
export function inContext<Args extends unknown[]>(run: (ctx: CommandContext, ...args: Args) => Promise<Outcome>, options: ContextOptions = {}) {
  return async (...parsed: [...Args, Command]): Promise<void> => {
    const command = parsed.pop() as Command;
    const outcome = await withContext(command, (ctx) => run(ctx, ...(parsed as unknown as Args)), options);
    let program = command;
    while (program.parent) program = program.parent;
    outcomes.set(program, outcome ?? ExitCode.ok);
  };
}

/**
 * Opens the database for one command and always closes it, even when the
 * command fails. Heavy modules are loaded here, not at start-up.
 */
async function withContext<T>(command: Command, run: (ctx: CommandContext) => Promise<T>, options: ContextOptions): Promise<T> {
  const globals = command.optsWithGlobals<GlobalOptions>();
  // `--actor "$WHO"` with WHO unset must not quietly record somebody else.
  if (globals.actor !== undefined && !globals.actor.trim())
    throw new UsageError('--actor was given an empty name', 'name who acts, e.g. --actor "$SUDO_USER", or leave --actor out');
  const unsafeActor = globals.actor === undefined ? undefined : textProblem(globals.actor, LIMITS.actor);
  if (unsafeActor) throw new UsageError(`--actor ${unsafeActor}`);
  const [{ openDatabase, resolveDatabaseReference }, { systemClock }] = await Promise.all([import('../db/database'), import('../core/time')]);
  const now = systemClock;
  const io = processIo();
  // A password on the command line is in the process list, which every user of the host can read:
  // said before connecting, so also when the connection fails.
  if (globals.db !== undefined && isPostgresUrl(globals.db) && hasPassword(globals.db)) {
    warn(io, 'the password in --db is visible to other users of this host (ps); put the URL in ROSTER_DB, or the password in PGPASSWORD or ~/.pgpass');
  }
  const db = await openDatabase(resolveDatabaseReference(globals.db), {
    migrate: options.migrate,
    create: options.create,
    notify: (message) => line(io.stderr, `roster: ${message}`),
  });
  // Said once, on stderr: cron mails it, so a mistyped path does not go unnoticed.
  if (db.created) line(io.stderr, `roster: ${db.createdNotice}`);
  try {
    let actor: string | undefined;
    return await run({
      db,
      now,
      // Asking the system for the login name can take milliseconds (NSS): only mutations need it.
      get actor() {
        return (actor ??= resolveActor(globals.actor));
      },
      io,
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
