import type { Command } from 'commander';

/** The commands created but not yet defined, with what defines them. */
const pending = new WeakMap<Command, DefineCommand>();

/** Whether the command still waits for its definition (options, action, subcommands). */
export function isStub(command: Command): boolean {
  return pending.has(command);
}

/** Adds a command's options, arguments' handling, action, examples and subcommands. */
export type DefineCommand = (command: Command) => void;

/**
 * The subcommands of roster, defined on demand. Every command is created at
 * start-up with its name, arguments and description (what `roster --help`
 * lists), but its options, action and subcommands are added only when it is
 * the one being run or asked for help: defining all twenty commands' hundreds
 * of options cost every invocation about a tenth of its start-up time.
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
    pending.set(command, define);
  }

  /** Defines the command in full if it is still a stub; returns it. */
  complete(command: Command): Command {
    const define = pending.get(command);
    if (!define) return command;
    pending.delete(command);
    define(command);
    this.finish(command);
    return command;
  }

  /** The command that argv runs (or asks help for), completed; undefined when argv names none. */
  completeFor(argv: readonly string[]): Command | undefined {
    const args = argv.slice(2);
    const [first, second] = operandPositions(this.program, args, true).map((i) => args[i]);
    const name = first === 'help' ? second : first;
    const command = this.program.commands.find((c) => c.name() === name || c.aliases().includes(name ?? ''));
    return command ? this.complete(command) : undefined;
  }
}

/**
 * `roster help course add` as `roster course add --help`: commander's help
 * command reads one name only (it showed the help of course), and shows the
 * program's help for an unknown one without saying so.
 */
export function helpAsFlag(program: Command, argv: readonly string[]): string[] {
  const args = argv.slice(2);
  const [help, next] = operandPositions(program, args, false);
  if (help === undefined || next === undefined || args[help] !== 'help') return [...argv];
  const without = [...argv.slice(0, 2), ...args.slice(0, help), ...args.slice(help + 1)];
  // Without `help`, an unknown name meets commander's "unknown command" error and its suggestion.
  const known = program.commands.some((c) => c.name() === args[next] || c.aliases().includes(args[next]!));
  return known ? [...without, '--help'] : without;
}

/** Where the words of the command line are that are not the program's own options or their values. */
function operandPositions(program: Command, args: readonly string[], pastDoubleDash: boolean): number[] {
  const found: number[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      if (pastDoubleDash) for (let j = i + 1; j < args.length; j++) found.push(j);
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      found.push(i);
      continue;
    }
    // A global option followed by its value (`--db x`, not `--db=x`) takes the next word.
    const option = program.options.find((o) => o.long === arg || o.short === arg);
    if (option?.required) i++;
  }
  return found;
}
