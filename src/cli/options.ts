import { InvalidArgumentError, type Command } from 'commander';

/** For repeatable options: `--role a --role b`. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** For options that accept `a,b` as well as repetition. */
export function collectList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];
}

export function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number.');
  return Number(value);
}

/** Adds an "Examples:" section to a command's help. */
export function examples(command: Command, lines: string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}
