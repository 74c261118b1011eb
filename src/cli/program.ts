import { Command, CommanderError, Help, Option } from 'commander';
import { ExitCode, isRosterError, RosterError } from '../shared/errors';
import { COMMANDS } from '../commands';
import { unusableDatabase } from '../db/unusable-database';
import { outcomeOf } from './context';
import { exitCodeFor, Interrupted } from './interrupt';
import { FdOutput, isOutputClosed, isTerminal, line, processIo, type Output } from './io';
import { escapeLine, escapeValue } from './terminal-text';
import { addHelpCommand, CommandRegistry } from './registry';

const VERSION: string = (require('../../package.json') as { version: string }).version;

// Help and version go straight to file descriptor 1 (see FdOutput): the
// program's help needs no stream.
let helpOutput: FdOutput | undefined;
const writeOut = (text: string) => void (helpOutput ??= new FdOutput(1)).write(text);

const OUTPUT = {
  writeOut,
  // Commander quotes the command line (an unknown option, a bad value): escaped like every message.
  outputError: (message: string, write: (text: string) => void) => write(escapeLine(`roster: ${message}`)),
  getOutHelpWidth: () => (isTerminal(1) ? (process.stdout.columns ?? 80) : 80),
  getOutHasColors: () => false,
};

/**
 * The program, with every command listed by name (src/cli/registry.ts); a
 * command is defined in full when commander dispatches to it.
 */
export function buildProgram(): Command {
  const program = new Command('roster')
    .description('Manage the user accounts of a learning platform (Chamilo-compatible) from the command line.')
    .version(VERSION, '-V, --version')
    .option('--db <path|url>', 'the database file, or postgres://user@host/db (default: $ROSTER_DB, else $XDG_DATA_HOME/roster/roster.db)')
    .option('--json', 'machine-readable output on stdout')
    .option('-y, --yes', 'answer yes to every confirmation')
    .option('--actor <name>', 'who is recorded in the audit log (default: $SUDO_USER, else your login)')
    // A command's options are listed in its own help, not in the list of commands.
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false, subcommandTerm: commandTerm })
    .configureOutput(OUTPUT)
    .showSuggestionAfterError(true)
    // The program reads its options only before the command; each command reads them after (see
    // finishCommand). Read anywhere, `--reason -yes` gave -y to --yes and "-es" to --reason.
    .enablePositionalOptions()
    .exitOverride();
  program.addHelpText(
    'after',
    `
Users are named by username, email address or id:<number>.
Exit codes: 0 done, 2 bad command line, 3 not found, 4 conflict, 5 invalid data,
6 partly done, 7 not confirmed, 8 busy (try again), 1 internal or system error.
See the README for details.`,
  );
  const registry = new CommandRegistry(program, (command) => finishCommand(program, command));
  for (const register of COMMANDS) register(registry);
  addHelpCommand(program, registry);
  finishCommand(program, program.commands.at(-1)!);
  // A command is defined in full when commander dispatches to it, before it reads its options.
  program.hook('preSubcommand', (_program, command) => {
    registry.complete(command);
  });
  program.hook('preAction', (_program, action) => handGlobalsToProgram(program, action));
  return program;
}

/** Commander's term without "[options]", which a command shows only once defined. */
function commandTerm(this: Help, command: Command): string {
  return Help.prototype.subcommandTerm.call(this, command).replace(' [options]', '');
}

/**
 * Every command reports usage errors the same way and exits with 2, and takes
 * the program's options after its name (`roster list --json`) as its own,
 * where commander knows which of its options takes the next word as a value.
 */
function finishCommand(program: Command, command: Command): void {
  command.exitOverride().showSuggestionAfterError(true).configureOutput(OUTPUT);
  for (const global of program.options) {
    // Hidden: the help lists them once, under "Global Options".
    if (global.long !== '--version') command.addOption(new Option(global.flags, global.description).hideHelp());
  }
  if (command.commands.length > 0) command.enablePositionalOptions();
  for (const sub of command.commands) finishCommand(program, sub);
}

/**
 * A global option given after the command's name is the program's, as if
 * given before it: the command's own options are only its own (what `edit`
 * and `course edit` read to tell whether anything is to change).
 */
function handGlobalsToProgram(program: Command, action: Command): void {
  for (let command: Command | null = action; command && command !== program; command = command.parent) {
    for (const global of program.options) {
      const key = global.attributeName();
      const value: unknown = command.getOptionValue(key);
      if (value === undefined) continue;
      program.setOptionValueWithSource(key, value, command.getOptionValueSource(key) ?? 'cli');
      command.setOptionValue(key, undefined);
    }
  }
}

/**
 * Runs the program: the one place where what a command returned or threw
 * becomes its messages on stderr and the process exit code.
 */
export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return outcomeOf(program);
  } catch (error) {
    return reportError(error, processIo().stderr);
  }
}

export function reportError(error: unknown, stderr: Output): number {
  if (error instanceof CommanderError) {
    // Commander has printed its message already; help and version are not errors.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return ExitCode.ok;
    // Help shown on request exits 0; help shown because a subcommand is missing (`roster`, `roster db`) is a usage error.
    if (error.code === 'commander.help') return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    if (error.code === 'commander.executeSubCommandAsync') return ExitCode.internal;
    return ExitCode.usage;
  }
  // `roster list | head`: the reader has what it wanted; stop quietly, as cat does.
  if (isOutputClosed(error)) return ExitCode.ok;
  try {
    return explain(error, stderr);
  } catch (writing) {
    // stderr itself is closed: the exit code is all that can still be said.
    if (isOutputClosed(writing)) return error instanceof RosterError ? error.exitCode : ExitCode.internal;
    throw writing;
  }
}

/** Says on stderr why the command stopped; returns its exit code. */
function explain(error: unknown, stderr: Output): number {
  if (isRosterError(error)) return printRosterError(error, stderr);
  // Ctrl-C during an import or an export: what was done, and the shell's code for the signal.
  if (error instanceof Interrupted) {
    line(stderr, `roster: interrupted: ${error.message}`);
    return exitCodeFor(error.signal);
  }
  // Ctrl-C or Ctrl-D at a prompt: the person said no, nothing was changed.
  if ((error as Error)?.name === 'ExitPromptError') {
    line(stderr, 'roster: cancelled; nothing was changed');
    return ExitCode.notConfirmed;
  }
  // The file became unusable after it was opened: the same rule as when opening it.
  const unusable = unusableDatabase(undefined, error);
  if (isRosterError(unusable)) return printRosterError(unusable, stderr);
  const detail = process.env.ROSTER_DEBUG ? ((error as Error).stack ?? String(error)) : String((error as Error)?.message ?? error);
  stderr.write(`roster: internal error: ${detail}\nThis is a bug in roster; rerun with ROSTER_DEBUG=1 for the stack trace and report it.\n`);
  return ExitCode.internal;
}

function printRosterError(error: RosterError, stderr: Output): number {
  // Messages quote values (a reference, a row of a file): escaped, never raw on the terminal.
  stderr.write(`roster: error: ${escapeValue(error.message)}\n`);
  if (error.suggestion) stderr.write(`  hint: ${escapeValue(error.suggestion)}\n`);
  return error.exitCode;
}
