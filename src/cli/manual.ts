import type { EventEmitter } from 'node:events';
import type { Command, Help, Option } from 'commander';
import { SYSTEM_INSTALL } from './completion-shells';

/**
 * The manual page, roster(1), made at build time from the commands' own help
 * (their usage, descriptions, options and the text after their help), so that
 * it never says something the program does not. scripts/build.mjs writes it
 * to dist/roster.1, which package.json names as the package's man page.
 */
export function manualPage(program: Command, version: string): string {
  const help = program.createHelp();
  const page: string[] = [
    `.TH ROSTER 1 "" "roster ${version}" "User Commands"`,
    '.SH NAME',
    `roster \\- ${roff(lowerFirst(program.description()))}`,
    '.SH SYNOPSIS',
    '.B roster',
    '[\\fIglobal options\\fR] \\fIcommand\\fR [\\fIoptions\\fR] [\\fIarguments\\fR]',
    '.SH DESCRIPTION',
    paragraph(program.description()),
    paragraph(
      'Users are named by username, email address or id:<number>. A command that changes users says what it changed; ' +
        'with --json it prints what scripts rely on, on stdout. Nothing prompts when stdin is not a terminal: ' +
        'a command that would ask fails unless given --yes.',
    ),
    paragraph(`Every command prints its own help with roster <command> --help, or roster help <command>.`),
    '.SH GLOBAL OPTIONS',
    paragraph('Given before or after the command.'),
    ...program.options.filter((o) => !o.hidden).flatMap((o) => optionItem(help, o)),
    '.SH COMMANDS',
    ...leafCommands(program).flatMap((command) => commandSection(help, command)),
    ...FIXED_SECTIONS,
  ];
  return `${page.join('\n')}\n`;
}

/** The commands that run something, in the order of roster --help; a group's subcommands under it. */
function leafCommands(command: Command): Command[] {
  return command.commands.filter((c) => c.name() !== 'help').flatMap((c) => (c.commands.length ? leafCommands(c) : [c]));
}

function commandSection(help: Help, command: Command): string[] {
  const lines = [`.SS "${roff(help.commandUsage(command))}"`, roff(command.description())];
  const options = help.visibleOptions(command).filter((o) => o.long !== '--help');
  lines.push(...options.flatMap((o) => optionItem(help, o)));
  const after = helpTextAfter(command);
  if (after) lines.push('.PP', '.nf', ...after.split('\n').map(roffLine), '.fi');
  return lines;
}

function optionItem(help: Help, option: Option): string[] {
  return ['.TP', `.B ${roff(help.optionTerm(option))}`, roff(help.optionDescription(option))];
}

/** What the command's help shows after its options (notes, examples), as commander writes it. */
function helpTextAfter(command: Command): string {
  let text = '';
  // A Command is an EventEmitter (commander's typings leave it out): addHelpText() listens to 'afterHelp'.
  (command as unknown as EventEmitter).emit('afterHelp', { error: false, command, write: (part: string) => (text += part) });
  return text.replace(/^\n+|\s+$/g, '');
}

function paragraph(text: string): string {
  return `.PP\n${roff(text)}`;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1).replace(/\.$/, '');
}

/** Text in roff: backslashes and a line's leading dot or quote would be read as requests. */
function roff(text: string): string {
  return text
    .split('\n')
    .map((l) => l.replace(/\\/g, '\\e').replace(/-/g, '\\-'))
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n');
}

/** A line of a no-fill block: as roff(), and an empty line kept as a blank line. */
function roffLine(text: string): string {
  return text.trim() === '' ? '' : roff(text);
}

const FIXED_SECTIONS = [
  '.SH EXIT STATUS',
  ...[
    ['0', 'done (also when there was nothing to do)'],
    ['1', 'internal or system error (rerun with ROSTER_DEBUG=1 and report it)'],
    ['2', 'bad command line'],
    ['3', 'not found: a user, course, session, file or database named does not exist'],
    ['4', 'conflict: the change would break a rule (a username taken, the last active admin)'],
    ['5', 'invalid data: a value or an input file is not valid; nothing was written'],
    ['6', 'partly done: some users could not be changed or mailed; each is named on stderr'],
    ['7', 'not confirmed: the person said no, or stdin is not a terminal and --yes was not given'],
    ['8', 'busy: the database is locked by another roster; try again'],
  ].flatMap(([code, meaning]) => ['.TP', `.B ${code}`, roff(meaning!)]),
  '.SH ENVIRONMENT',
  ...[
    ['ROSTER_DB', 'the database when --db is not given: a file path, or a postgres:// URL'],
    ['XDG_DATA_HOME', 'where the default database lives: $XDG_DATA_HOME/roster/roster.db (default ~/.local/share)'],
    ['SUDO_USER, USER, LOGNAME', 'who is recorded in the audit log when --actor is not given'],
    ['PGUSER, PGPASSWORD, PGPASSFILE', 'the PostgreSQL user and password when the URL names none (also ~/.pgpass)'],
    ['ROSTER_BUSY_TIMEOUT', 'how long to wait for a locked SQLite file, in milliseconds'],
    ['ROSTER_BCRYPT_COST', 'the bcrypt cost of new password hashes'],
    ['ROSTER_BCRYPT', 'bcryptjs: hash and check passwords with bcryptjs even where the native @node-rs/bcrypt is installed (any other value is refused)'],
    ['ROSTER_CONFIG_DIR', 'the config directory, where the mail templates are (default $XDG_CONFIG_HOME/roster)'],
    ['XDG_CONFIG_HOME', 'the base of the config directory when ROSTER_CONFIG_DIR is not set (default ~/.config)'],
    ['NO_COLOR', 'no colours, even on a terminal'],
    ['ROSTER_DEBUG', 'print the stack trace of an internal error'],
  ].flatMap(([name, meaning]) => ['.TP', `.B ${roff(name!)}`, roff(meaning!)]),
  '.SH FILES',
  '.TP',
  '.I ~/.local/share/roster/roster.db',
  'the default SQLite database (created, with its directory, on first use)',
  '.TP',
  '.I ~/.config/roster/mail/<template>.<language>.txt',
  roff(
    'a mail template (welcome, new-password, expiry-warning) for the users of a language, en for all others; built-in English text where none exists. A Subject: line, an empty line, the body, with {username}-style placeholders',
  ),
  '.SH COMPLETION',
  paragraph('roster completion prints the completion script of bash, zsh or fish. Installed for every user of the host:'),
  '.PP',
  '.nf',
  ...Object.values(SYSTEM_INSTALL).map(roffLine),
  '.fi',
  paragraph('Commands, options, their fixed values, and the course codes, session names and extra fields of the database are completed.'),
  '.SH SEE ALSO',
  roff('The README of roster, for the import and export formats (Chamilo CSV and XML) and PostgreSQL.'),
];
