import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ValidationError } from '../shared/errors';

/**
 * The mails roster sends, as templates: a file `<name>.<language>.txt` in the
 * `mail` folder of the config directory where one exists for the user's
 * language (then its base language: pt for pt-BR), else `<name>.en.txt`
 * there, else the English text built in here. A template is a `Subject:`
 * line, an empty line, and the body; `{field}` placeholders are replaced with
 * the user's values.
 */
export type TemplateName = 'welcome' | 'new-password' | 'expiry-warning';

export const TEMPLATE_NAMES: readonly TemplateName[] = ['welcome', 'new-password', 'expiry-warning'];

/** The placeholders every template may use, and those only its own kind has. */
const COMMON_PLACEHOLDERS = ['username', 'firstname', 'lastname', 'email', 'officialCode', 'language'];
const OWN_PLACEHOLDERS: Record<TemplateName, string[]> = {
  // {password} only where roster generated it: the lines that hold it are left out otherwise.
  welcome: ['password'],
  'new-password': ['password'],
  'expiry-warning': ['expiresAt', 'days'],
};

export function placeholdersOf(name: TemplateName): string[] {
  return [...COMMON_PLACEHOLDERS, ...OWN_PLACEHOLDERS[name]];
}

const BUILT_IN: Record<TemplateName, string> = {
  welcome: `Subject: Your account {username}

Hello {firstname} {lastname},

An account has been created for you.

Username: {username}
Password: {password}

Please change your password after your first login.
`,
  'new-password': `Subject: A new password for {username}

Hello {firstname} {lastname},

A new password has been set for your account {username}.

Password: {password}

Please change it after your next login. If you did not ask for it, tell the
platform's administrators.
`,
  'expiry-warning': `Subject: Your account {username} expires on {expiresAt}

Hello {firstname} {lastname},

Your account {username} expires on {expiresAt} (in {days} day(s)). After that date
you will no longer be able to log in. If you still need it, please ask the
platform's administrators to extend it.
`,
};

export interface Template {
  name: TemplateName;
  /** The file it was read from, or "built-in". */
  source: string;
  language: string;
  subject: string;
  body: string;
}

export interface RenderedMail {
  subject: string;
  body: string;
}

/** `$ROSTER_CONFIG_DIR`, else `$XDG_CONFIG_HOME/roster`, else `~/.config/roster`. */
export function configDirectory(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ROSTER_CONFIG_DIR) return path.resolve(env.ROSTER_CONFIG_DIR);
  const configHome = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(configHome, 'roster');
}

/**
 * The templates of one kind, read once before any mail goes out (a broken
 * template stops the command before it changes anything) and chosen per
 * user by language.
 */
export class TemplateSet {
  private readonly byLanguage = new Map<string, Template>();
  private readonly english: Template;

  constructor(
    readonly name: TemplateName,
    private readonly directory: string,
  ) {
    const files = this.templateFiles();
    for (const [language, file] of files) this.byLanguage.set(language, readTemplate(name, file, language));
    this.english = this.byLanguage.get('en') ?? parseTemplate(name, BUILT_IN[name], 'built-in', 'en');
  }

  /** The template for a language code such as fr or pt-BR. */
  forLanguage(language: string): Template {
    const base = language.split('-')[0]!;
    return this.byLanguage.get(language) ?? this.byLanguage.get(base) ?? this.english;
  }

  /** Every file of this kind in the mail folder, by its language; none when the folder does not exist. */
  private templateFiles(): Map<string, string> {
    const folder = path.join(this.directory, 'mail');
    let names: string[];
    try {
      names = fs.readdirSync(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw new ValidationError(`cannot read the mail templates in ${folder}: ${(error as Error).message}`);
    }
    const pattern = new RegExp(`^${this.name}\\.([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})?)\\.txt$`);
    const files = new Map<string, string>();
    for (const entry of names.sort()) {
      const match = pattern.exec(entry);
      if (match) files.set(match[1]!, path.join(folder, entry));
    }
    return files;
  }
}

function readTemplate(name: TemplateName, file: string, language: string): Template {
  let text: string;
  try {
    // A template is a page of text; anything far larger is a mistake, and would be multiplied by every mail.
    if (fs.statSync(file).size > TEMPLATE_LIMIT_BYTES) throw new ValidationError(`mail template ${file}: is larger than ${TEMPLATE_LIMIT_BYTES / 1024} kB`);
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw new ValidationError(`cannot read the mail template ${file}: ${(error as Error).message}`);
  }
  return parseTemplate(name, text, file, language);
}

const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_-]*)\}/g;
const TEMPLATE_LIMIT_BYTES = 64 * 1024;

/** The values a user may not have: a line that names one is left out when it is absent. */
const MAY_BE_ABSENT = new Set(['password', 'officialCode']);

/** Checks the shape and the placeholders: a mistake is found before the first mail, not in it. */
export function parseTemplate(name: TemplateName, text: string, source: string, language: string): Template {
  const problem = (message: string, hint = templateHint(name)) => new ValidationError(`mail template ${source}: ${message}`, hint);
  if (text.includes('\uFFFD') || text.includes('\0'))
    throw problem('is not UTF-8 text', 'save it as UTF-8 (iconv -t UTF-8), or remove it to use the built-in text');
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const subjectLine = /^Subject:[ \t]*(.*)$/i.exec(lines[0] ?? '');
  if (!subjectLine || !subjectLine[1]!.trim()) throw problem('the first line must be "Subject: <the subject>"');
  if ((lines[1] ?? '') !== '') throw problem('the subject must be followed by an empty line, then the body');
  const body = lines.slice(2).join('\n');
  if (!body.trim()) throw problem('the body is empty');
  const known = new Set(placeholdersOf(name));
  for (const [lineNumber, line] of lines.entries()) {
    for (const match of line.matchAll(PLACEHOLDER)) {
      if (!known.has(match[1]!)) throw problem(`line ${lineNumber + 1}: unknown placeholder {${match[1]}}`);
    }
  }
  if (known.has('password') && subjectLine[1]!.includes('{password}')) throw problem('a password must not be put in the subject');
  const absentInSubject = [...subjectLine[1]!.matchAll(PLACEHOLDER)].map((m) => m[1]!).find((p) => p !== 'password' && MAY_BE_ABSENT.has(p));
  if (absentInSubject) throw problem(`{${absentInSubject}} may be absent, and cannot be in the subject: put it in the body`);
  for (const [lineNumber, line] of lines.entries()) {
    if (!line.includes('{password}')) continue;
    // A line is left out when a value it names is absent: the password must not go with it.
    const other = [...line.matchAll(PLACEHOLDER)].map((m) => m[1]!).find((p) => p !== 'password' && MAY_BE_ABSENT.has(p));
    if (other)
      throw problem(
        `line ${lineNumber + 1}: {password} shares its line with {${other}}, and the line is left out for a user without one: put them on lines of their own`,
      );
  }
  // A password roster generates exists only in this mail: a template without it would lose it.
  // (Where there is none, the line that holds it is left out.)
  if (known.has('password') && !body.includes('{password}')) throw problem('the body has no {password}: add a line such as "Password: {password}"');
  return { name, source, language, subject: subjectLine[1]!.trim(), body };
}

function templateHint(name: TemplateName): string {
  return `placeholders of ${name}: ${placeholdersOf(name)
    .map((p) => `{${p}}`)
    .join(' ')}`;
}

/**
 * Replaces the placeholders. A value that is absent (a password roster did
 * not generate, an official code nobody set) leaves out each line of the
 * body that names it, so that no mail says "Password: " with nothing after it.
 */
export function renderTemplate(template: Template, values: Record<string, string | undefined>): RenderedMail {
  const fill = (text: string) => text.replace(PLACEHOLDER, (_all, key: string) => values[key] ?? '');
  const lines = template.body.split('\n').filter((line) => [...line.matchAll(PLACEHOLDER)].every((m) => values[m[1]!] !== undefined));
  return { subject: fill(template.subject), body: fill(lines.join('\n')) };
}
