import type { Command } from 'commander';

/** The commands created but not yet defined, with what defines them in full. */
const pending = new WeakMap<Command, () => void>();

/** Whether the command still waits for its definition (options, action, subcommands). */
export function isStub(command: Command): boolean {
  return pending.has(command);
}

/** Adds a command's options, arguments' handling, action, examples and subcommands. */
export type DefineCommand = (command: Command) => void;

/**
 * The subcommands of roster, defined on demand. Every command is created at
 * start-up with its name, arguments and description (what `roster --help`
 * lists); its options, action and subcommands are added when commander
 * dispatches to it (the program's preSubcommand hook, src/cli/program.ts) or
 * when `roster help` names it. Defining all of them at every start measured
 * 11 ms more for `--help` and `show` (a quarter of `node -e 0`).
 */
export class CommandRegistry {
  constructor(
    private readonly program: Command,
    /** Applied to every command once defined, and to its subcommands (error output, exit codes). */
    private readonly finish: (command: Command) => void,
  ) {}

  /**
   * `spec` is the name and arguments as commander reads them, e.g. 'show <user>'.
   * The arguments belong to the stub, with their descriptions when given (by
   * name), so that `roster --help` lists them.
   */
  add(spec: string, description: string, define: DefineCommand, argumentDescriptions: Record<string, string> = {}): void {
    const [name, ...args] = spec.split(' ');
    const command = this.program.command(name!).description(description);
    for (const arg of args) command.argument(arg, argumentDescriptions[arg.replace(/[<>[\].]/g, '')]);
    pending.set(command, () => {
      define(command);
      this.finish(command);
    });
  }

  /** Defines the command in full if it is still a stub; returns it. */
  complete(command: Command): Command {
    return completeCommand(command);
  }
}

function completeCommand(command: Command): Command {
  const define = pending.get(command);
  if (!define) return command;
  pending.delete(command);
  define();
  return command;
}

/**
 * Defines every command of the program in full: for what describes all of
 * them at once (the manual page, the completion scripts), never on the way of
 * an ordinary command.
 */
export function defineAll(command: Command): Command {
  for (const sub of command.commands) defineAll(completeCommand(sub));
  return command;
}

/**
 * `roster help course add` as `roster course add --help`. Commander's own
 * help command reads one name only (it showed the help of course). A command
 * of its own, so that commander parses the command line (the global options
 * and their values) as for any other.
 */
export function addHelpCommand(program: Command, registry: CommandRegistry): void {
  program.helpCommand(false);
  program
    .command('help [command...]')
    .description('the help of a command: roster help course add')
    // `roster help course add C101 --title x`: the words after the command are its own, not help's.
    .allowUnknownOption()
    .action(async (words: string[]) => {
      if (!words.length) program.help();
      // The command named, down to one without subcommands, parsed again as `<names> --help`.
      // An unknown name is parsed without --help, so that commander says which, with its
      // suggestion, rather than showing a help.
      const names: string[] = [];
      let parent = program;
      for (const word of words) {
        if (!parent.commands.length) break;
        names.push(word);
        const command = parent.commands.find((c) => c.name() === word || c.aliases().includes(word));
        if (!command) return void (await program.parseAsync(names, { from: 'user' }));
        parent = registry.complete(command);
      }
      await program.parseAsync([...names, '--help'], { from: 'user' });
    });
}
