import { InvalidArgumentError, type Command } from 'commander';
import { UsageError } from '../shared/errors';

/** For repeatable options: `--role a --role b`. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** For options that accept `a,b` as well as repetition. */
export function collectList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}

export function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number.');
  return Number(value);
}

/** Adds an "Examples:" section to a command's help. */
export function examples(command: Command, lines: string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}

/**
 * `--owner ada --no-owner`: commander keeps the last of two options that set
 * the same value. Given together they contradict each other: a usage error.
 */
export function excludeEachOther(command: Command, first: string, second: string): Command {
  const seen = new Set<string>();
  command.on(`option:${first}`, () => seen.add(first)).on(`option:${second}`, () => seen.add(second));
  return command.hook('preAction', () => {
    if (seen.size === 2) command.error(`error: --${first} and --${second} exclude each other`, { exitCode: 2, code: 'roster.conflictingOptions' });
  });
}

/**
 * An edit given no option at all is a usage error, raised before anything is
 * opened: `roster edit ada` on a new machine must not create a database first.
 */
export function requireAnOption(opts: object, command: Command): void {
  if (Object.values(opts).some((value) => value !== undefined)) return;
  const path: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) path.unshift(c.name());
  throw new UsageError('nothing to change: give at least one option', `see roster ${path.join(' ')} --help`);
}
