import { readSetting, readSettings, writeSetting } from '../db/setting-repository';
import { audit } from './audit';
import type { ServiceContext } from './context';
import { NotFoundError, UsageError, ValidationError } from '../shared/errors';
import { LIMITS, Problems, checkEmail, textProblem } from './validation';
import { parseMailCommand } from '../mail/command';
import { splitSender } from '../mail/message';

interface SettingSpec {
  description: string;
  /** Checks and normalises a value; throws a ValidationError naming the key. */
  parse(value: string): string;
}

/** The platform settings roster knows. */
export const SETTINGS: Record<string, SettingSpec> = {
  'base-url': {
    description: 'the platform address; login-as prints a login URL built from it ({user} and {token} are replaced when present)',
    parse(value) {
      const text = value.trim();
      // URL() would percent-encode a control character, and its input here is stored as given.
      const unsafe = textProblem(text, LIMITS.url);
      if (unsafe) throw new ValidationError([{ field: 'base-url', message: unsafe }]);
      let url: URL | undefined;
      try {
        url = new URL(text.replace(/\{(user|token)\}/g, 'x'));
      } catch {
        url = undefined;
      }
      if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
        throw new ValidationError([{ field: 'base-url', message: `"${value}" is not an http(s) URL, e.g. https://campus.example.org/` }]);
      }
      return text;
    },
  },
  'mail.command': {
    description: 'the program that sends mail, reading the message on its standard input (no shell), e.g. /usr/sbin/sendmail -t',
    parse(value) {
      const text = value.trim();
      parseMailCommand(text);
      return text;
    },
  },
  'mail.from': {
    description: 'the sender of the mails to users: an address, or Name <address>',
    parse(value) {
      const text = value.trim();
      const { name, address } = splitSender(text);
      const problems = new Problems();
      checkEmail(address, problems, 'mail.from');
      const unsafe = textProblem(name, LIMITS.name);
      if (unsafe) problems.add('mail.from', `the name ${unsafe}`);
      // One sender: a name holding an address ("IT <a@b.org>, Evil <c@d.org>") would name a second one.
      else if (/[<>@]/.test(name)) problems.add('mail.from', `the name "${name}" holds <, > or @: give one address, or Name <address>`);
      if (!problems.empty) throw new ValidationError(problems.list, 'e.g. roster config set mail.from "Campus <noreply@campus.example.org>"');
      return text;
    },
  },
};

function spec(key: string): SettingSpec {
  const found = SETTINGS[key];
  if (!found) throw new UsageError(`unknown setting "${key}"`, `known settings: ${Object.keys(SETTINGS).join(', ')}`);
  return found;
}

/** The value, or null when it is not set. */
export async function getSetting(ctx: ServiceContext, key: string): Promise<string | null> {
  spec(key);
  return readSetting(ctx.db.kysely, key);
}

export async function requireSetting(ctx: ServiceContext, key: string): Promise<string> {
  const value = await getSetting(ctx, key);
  if (value === null) throw new NotFoundError(`${key} is not set`, `set it with roster config set ${key} <value>`);
  return value;
}

export interface SettingChange {
  key: string;
  before: string | null;
  after: string | null;
}

/** Sets (or, with null, removes) a setting; audited; nothing is written when the value is the same. */
export async function setSetting(ctx: ServiceContext, key: string, value: string | null): Promise<SettingChange> {
  const setting = spec(key);
  const after = value === null ? null : setting.parse(value);
  return ctx.db.kysely.transaction().execute(async (trx) => {
    const before = await readSetting(trx, key);
    if (before === after) return { key, before, after };
    await writeSetting(trx, key, after);
    await audit(trx, ctx, after === null ? 'config.unset' : 'config.set', null, { changes: [{ field: key, before, after }] });
    return { key, before, after };
  });
}

export async function listSettings(ctx: ServiceContext): Promise<{ key: string; value: string | null; description: string }[]> {
  const values = await readSettings(ctx.db.kysely);
  return Object.entries(SETTINGS).map(([key, s]) => ({ key, value: values.get(key) ?? null, description: s.description }));
}
