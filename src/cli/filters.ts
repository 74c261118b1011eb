import { Option, type Command } from 'commander';
import type { UserFilter, UserOrder, SortKey } from '../shared/user-filter';
import { SORT_KEYS } from '../shared/user-filter';
import { UsageError } from '../shared/errors';
import { collect, excludeEachOther, wholeNumber } from './options';

export interface FilterOptionChoice {
  /** enroll/unenroll use --course and --session for the target, not as filters. */
  withoutEnrolment?: boolean;
  /** list, search and export offer --anonymized (a batch has nothing to do with erased accounts). */
  anonymized?: boolean;
  /** unenroll: --as selects by the role in the target course (for enroll, --as is the role to give). */
  courseRoleFilter?: boolean;
  /** edit sets --language, --field and --auth-source: its filters of the same values are --where-language, --where-field and --where-auth-source. */
  editing?: boolean;
  /** State filters a command would refuse or that select nothing for it (activate --active): not offered. */
  omit?: readonly ('active' | 'inactive' | 'deleted')[];
}

/** The selection filters of `list`, shared by search, export and every batch command. */
export function addFilterOptions(command: Command, choice: FilterOptionChoice = {}): Command {
  command.option('--role <role>', 'holding this role (repeatable: any of them)', collect);
  const offered = (name: 'active' | 'inactive' | 'deleted') => !choice.omit?.includes(name);
  if (offered('active')) command.option('--active', 'active accounts only');
  if (offered('inactive')) command.option('--inactive', 'inactive accounts only');
  command
    .option('--registered-since <date|duration>', 'registered on or after this date, or within the last 30d, 6w…')
    .option('--registered-before <date|duration>', 'registered before this date, or longer ago than 30d, 6w…')
    .option('--last-login-before <date|duration>', 'last login before a date, or longer ago than 30d, 6w…')
    .option('--never-logged-in', 'accounts never used')
    .option('--inactive-since <duration>', 'no login (or registration, if never used) for this long, e.g. 180d')
    .option('--expires-before <date|+duration>', 'expiration date before this date, or within +7d, +2w…')
    .option('--expired', 'expiration date passed')
    .option(`--${choice.editing ? 'where-' : ''}language <code>`, 'interface language (fr, es, …)')
    .option(`--${choice.editing ? 'where-' : ''}field <name=value>`, 'extra field equal to value (repeatable)', collect)
    .option(
      `--${choice.editing ? 'where-' : ''}auth-source <name>`,
      'authenticated by this source: platform, ldap, cas, or the name an import gave (AuthSource)',
    )
    .option('--legacy-hash', 'passwords still hashed with md5 or sha1 (imported from an old Chamilo; upgraded to bcrypt at the next login)');
  if (!choice.withoutEnrolment) {
    command
      .option('--course <code>', 'enrolled in this course')
      .option('--no-course', 'enrolled in no course')
      .option('--session <name>', 'enrolled in this training session');
    excludeEachOther(command, 'course', 'no-course');
  }
  if (!choice.withoutEnrolment || choice.courseRoleFilter) {
    command.addOption(
      new Option(
        '--as <role>',
        `${choice.withoutEnrolment ? 'only those enrolled' : 'with --course: enrolled'} as student or as teacher (the role in the course, not on the platform)`,
      ).choices(['student', 'teacher']),
    );
  }
  if (offered('active') && offered('inactive')) excludeEachOther(command, 'active', 'inactive');
  if (choice.anonymized) command.option('--anonymized', 'the anonymized accounts (left out otherwise)');
  if (offered('deleted')) command.option('--deleted', 'the deleted users (soft-deleted) instead of the live ones');
  return command.option('--system', 'include system accounts (the fallback user)');
}

export function addOrderOptions(command: Command): Command {
  return command
    .addOption(new Option('--sort <key>', 'sort order').choices(SORT_KEYS as unknown as string[]).default('lastname'))
    .option('--desc', 'reverse the order')
    .option('--limit <n>', 'at most n users', wholeNumber)
    .option('--offset <n>', 'skip the first n users', wholeNumber);
}

export interface FilterOptions {
  role?: string[];
  active?: boolean;
  inactive?: boolean;
  registeredSince?: string;
  registeredBefore?: string;
  lastLoginBefore?: string;
  neverLoggedIn?: boolean;
  inactiveSince?: string;
  expiresBefore?: string;
  expired?: boolean;
  language?: string;
  field?: string[];
  authSource?: string;
  whereLanguage?: string;
  whereAuthSource?: string;
  whereField?: string[];
  course?: string | boolean;
  session?: string;
  deleted?: boolean;
  system?: boolean;
  anonymized?: boolean;
  legacyHash?: boolean;
  as?: string;
}

/** Turns the options into a UserFilter; dates are checked here and name their option. */
export async function filterFromOptions(opts: FilterOptions, now: Date, choice: FilterOptionChoice = {}): Promise<UserFilter> {
  const [{ parseDateOrAhead, parseDateOrAgo, parseDormancy }, { parseRoles }, { parseLanguage }, { parseFieldAssignment }] = await Promise.all([
    import('../core/time'),
    import('../core/roles'),
    import('../core/languages'),
    import('../core/fields'),
  ]);
  const filter: UserFilter = {};
  if (opts.role?.length) filter.roles = parseRoles(opts.role, 'role');
  if (opts.active) filter.active = true;
  if (opts.inactive) filter.active = false;
  if (opts.registeredSince) filter.registeredSince = parseDateOrAgo(opts.registeredSince, '--registered-since', now);
  if (opts.registeredBefore) filter.registeredBefore = parseDateOrAgo(opts.registeredBefore, '--registered-before', now);
  if (opts.lastLoginBefore) filter.lastLoginBefore = parseDateOrAgo(opts.lastLoginBefore, '--last-login-before', now);
  if (opts.neverLoggedIn) filter.neverLoggedIn = true;
  if (opts.inactiveSince) filter.dormantSince = new Date(now.getTime() - parseDormancy(opts.inactiveSince, '--inactive-since')).toISOString();
  if (opts.expiresBefore) filter.expiresBefore = parseDateOrAhead(opts.expiresBefore, '--expires-before', now);
  if (opts.expired) filter.expiredAt = now.toISOString();
  const [language, fields] = choice.editing ? [opts.whereLanguage, opts.whereField] : [opts.language, opts.field];
  if (language) filter.language = parseLanguage(language, choice.editing ? '--where-language' : '--language');
  if (fields?.length) filter.fields = fields.map(parseFieldAssignment);
  const authSource = (choice.editing ? opts.whereAuthSource : opts.authSource)?.trim();
  if (authSource) filter.authSource = authSource;
  if (!choice.withoutEnrolment) {
    if (typeof opts.course === 'string') filter.course = opts.course;
    if (opts.course === false) filter.noCourse = true;
    if (opts.session) filter.session = opts.session;
  }
  if (opts.deleted) filter.deleted = true;
  if (opts.system) filter.system = true;
  if (opts.anonymized) filter.anonymized = 'only';
  if (opts.legacyHash) filter.legacyHash = true;
  if (opts.as && (!choice.withoutEnrolment || choice.courseRoleFilter)) {
    if (!choice.withoutEnrolment && typeof opts.course !== 'string') throw new UsageError('--as selects by the role in a course: give --course <code> too');
    filter.courseRole = opts.as as 'teacher' | 'student';
  }
  return filter;
}

export interface OrderOptions {
  sort?: string;
  desc?: boolean;
  limit?: number;
  offset?: number;
}

export function orderFromOptions(opts: OrderOptions): UserOrder {
  return { sort: (opts.sort ?? 'lastname') as SortKey, desc: Boolean(opts.desc), limit: opts.limit, offset: opts.offset };
}
