import type { Argument, Command, Option } from 'commander';
import { AUDIT_ACTIONS } from '../core/audit';
import type { NamedRecordKind } from '../core/record-names';
import { ROLES } from '../core/roles';
import { SETTINGS } from '../core/settings';

/**
 * Shell completion, worked out by roster itself: the script that
 * `roster completion <shell>` prints hands the words typed so far to
 * `roster completion <shell> --complete -- <words>`, which answers with what
 * may come next. Completing from the program's own commands and options means
 * the scripts never drift from them, and names from the database (course
 * codes, session names, extra fields) can be offered. Only that command pays
 * for it: the other commands never load this module.
 */

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

export interface Candidate {
  value: string;
  description?: string;
}

/**
 * What the shell does besides offering the candidates: complete file names
 * (an argument or option that takes a file), or add no space after the
 * candidate (`--field dept=`, whose value comes next).
 */
export type Directive = 'files' | 'nospace' | 'plain';

export interface Completion {
  candidates: Candidate[];
  directive: Directive;
}

/** Names from the database named by `database` (the --db typed so far), else the default one. */
export type NameSource = (kind: NamedRecordKind, prefix: string, database: string | undefined) => Promise<string[]>;

/** Where the words before the one being typed lead. */
interface Position {
  command: Command;
  /** The arguments given to the command so far (not options, not their values). */
  operands: string[];
  /** The option whose value is the word being typed. */
  awaitingValue?: Option;
  /** After `--`, every word is an argument. */
  optionsEnded: boolean;
  /** The --db given so far, for the names from the database. */
  database?: string;
}

/** What may replace the last of `words` (the words after `roster`, the one being typed last, maybe empty). */
export async function completeWords(program: Command, words: readonly string[], names: NameSource): Promise<Completion> {
  const typed = words.at(-1) ?? '';
  const position = locate(program, words.slice(0, -1));
  if (position.awaitingValue) return optionValues(position.awaitingValue, typed, position, names);
  if (!position.optionsEnded && typed.startsWith('--') && typed.includes('=')) {
    // --format=cs: the value of the option, given in the same word.
    const [flag, value] = splitAtEquals(typed);
    const option = findOption(position.command, flag);
    if (!option?.required) return NOTHING;
    const completion = await optionValues(option, value ?? '', position, names);
    return { ...completion, candidates: completion.candidates.map((c) => ({ ...c, value: `${flag}=${c.value}` })) };
  }
  if (!position.optionsEnded && typed.startsWith('-')) return optionNames(program, position.command, typed);
  if (position.command.commands.length && !position.operands.length) return subcommands(position.command, typed);
  return operandValues(program, position, typed, names);
}

const NOTHING: Completion = { candidates: [], directive: 'plain' };
const FILES: Completion = { candidates: [], directive: 'files' };

function locate(program: Command, words: readonly string[]): Position {
  const position: Position = { command: program, operands: [], optionsEnded: false };
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!position.optionsEnded && word === '--') {
      position.optionsEnded = true;
    } else if (!position.optionsEnded && word.startsWith('-') && word !== '-') {
      const [flag, inline] = splitAtEquals(word);
      const option = findOption(position.command, flag);
      // Every option of roster that takes a value requires it (<value>): the next word is that value.
      if (!option?.required) continue;
      const value = inline ?? words[++i];
      if (value === undefined) position.awaitingValue = option;
      else if (option.long === '--db') position.database = value;
    } else {
      const subcommand = position.operands.length ? undefined : findSubcommand(position.command, word);
      if (subcommand) position.command = subcommand;
      else position.operands.push(word);
    }
  }
  return position;
}

function splitAtEquals(word: string): [string, string | undefined] {
  const at = word.indexOf('=');
  return at < 0 ? [word, undefined] : [word.slice(0, at), word.slice(at + 1)];
}

/** The command's own options include the program's, hidden (src/cli/program.ts, finishCommand). */
function findOption(command: Command, flag: string): Option | undefined {
  return command.options.find((o) => o.long === flag || o.short === flag);
}

function findSubcommand(command: Command, name: string): Command | undefined {
  return command.commands.find((c) => c.name() === name || c.aliases().includes(name));
}

function optionNames(program: Command, command: Command, typed: string): Completion {
  const help = command.createHelp();
  const own = help.visibleOptions(command);
  const globals = command === program ? [] : program.options.filter((o) => !o.hidden && o.long !== '--version');
  const candidates = [...own, ...globals].map((o) => ({ value: o.long ?? o.short!, description: o.description })).filter((c) => c.value.startsWith(typed));
  return { candidates, directive: 'plain' };
}

function subcommands(command: Command, typed: string): Completion {
  const candidates = command.commands.map((c) => ({ value: c.name(), description: c.description() })).filter((c) => c.value.startsWith(typed));
  return { candidates, directive: 'plain' };
}

const ROLE_OPTIONS = new Set(['--role', '--add-role', '--remove-role']);
const FIELD_ASSIGNMENTS = new Set(['--field', '--where-field']);
/** The placeholder of an option that takes a file: `--report <file>`, `--db <path|url>`. */
const FILE_PLACEHOLDER = /<[^>]*\b(file|path)\b[^>]*>/;

async function optionValues(option: Option, typed: string, position: Position, names: NameSource): Promise<Completion> {
  const long = option.long ?? '';
  if (option.argChoices) return fixed(option.argChoices, typed);
  if (ROLE_OPTIONS.has(long)) return fixed(ROLES, typed);
  if (long === '--roles') return listItems(ROLES, typed);
  if (long === '--action') return fixed(auditActions(), typed);
  if (long === '--course') return fromDatabase('course', typed, position, names);
  if (long === '--session') return fromDatabase('session', typed, position, names);
  if (long === '--unset-field') return fromDatabase('field', typed, position, names);
  if (FIELD_ASSIGNMENTS.has(long)) {
    // name=value: the name from the database, then the value, which roster cannot guess.
    if (typed.includes('=')) return NOTHING;
    const fields = await fromDatabase('field', typed, position, names);
    return { candidates: fields.candidates.map((c) => ({ value: `${c.value}=` })), directive: 'nospace' };
  }
  if (FILE_PLACEHOLDER.test(option.flags)) return FILES;
  return NOTHING;
}

async function operandValues(program: Command, position: Position, typed: string, names: NameSource): Promise<Completion> {
  const { command, operands } = position;
  const argument = argumentAt(command, operands.length);
  if (!argument) return NOTHING;
  if (command.name() === 'help' && command.parent === program) return helpTopics(program, operands, typed);
  if (argument.argChoices) return fixed(argument.argChoices, typed);
  const kind = recordNamedBy(command, argument);
  if (kind) return fromDatabase(kind, typed, position, names);
  if (command.parent?.name() === 'config' && argument.name() === 'key') return fixed(Object.keys(SETTINGS), typed);
  if (/^(file|path)$/.test(argument.name())) return FILES;
  return NOTHING;
}

/** The argument that the next operand is: the last one takes them all when variadic (`codes...`). */
function argumentAt(command: Command, index: number): Argument | undefined {
  const declared = command.registeredArguments;
  const last = declared.at(-1);
  return declared[index] ?? (last?.variadic ? last : undefined);
}

/** `roster help course a…`: the words of help are the names of commands. */
function helpTopics(program: Command, operands: readonly string[], typed: string): Completion {
  let command = program;
  for (const name of operands) {
    const subcommand = findSubcommand(command, name);
    if (!subcommand) return NOTHING;
    command = subcommand;
  }
  return subcommands(command, typed);
}

/**
 * The existing record that an argument names: a course's code in
 * `course show|edit|delete` and `session add-course`, a session's name in
 * `session show|edit|delete|…`, an extra field's name in `field edit|remove`.
 * The `add` of each names a record that does not exist yet.
 */
const NAMED_BY_ARGUMENT: Record<string, Record<string, NamedRecordKind>> = {
  course: { code: 'course' },
  session: { name: 'session', codes: 'course' },
  field: { name: 'field' },
};

function recordNamedBy(command: Command, argument: Argument): NamedRecordKind | undefined {
  const group = command.parent?.name() ?? '';
  if (command.name() === 'add' || !Object.hasOwn(NAMED_BY_ARGUMENT, group)) return undefined;
  return NAMED_BY_ARGUMENT[group]![argument.name()];
}

function auditActions(): string[] {
  const families = [...new Set(AUDIT_ACTIONS.map((action) => action.split('.')[0]!))];
  return [...families, ...AUDIT_ACTIONS];
}

function fixed(values: readonly string[], typed: string): Completion {
  return { candidates: values.filter((v) => v.startsWith(typed)).map((value) => ({ value })), directive: 'plain' };
}

/** `--roles student,te`: the item being typed, after those given, none of which is offered again. */
function listItems(values: readonly string[], typed: string): Completion {
  const given = typed.split(',');
  const last = given.pop()!;
  const head = given.length ? `${given.join(',')},` : '';
  const candidates = values.filter((v) => v.startsWith(last) && !given.includes(v)).map((v) => ({ value: head + v }));
  return { candidates, directive: 'plain' };
}

async function fromDatabase(kind: NamedRecordKind, typed: string, position: Position, names: NameSource): Promise<Completion> {
  const found = await names(kind, typed, position.database);
  return { candidates: found.map((value) => ({ value })), directive: 'plain' };
}
