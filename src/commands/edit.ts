import type { Command } from 'commander';
import type { CommandRegistry } from '../cli/registry';
import { inContext, type CommandContext, type Outcome } from '../cli/context';
import { line, paint, showingSecret, warn } from '../cli/io';
import { collect, collectList, examples, excludeEachOther, requireAnOption } from '../cli/options';
import type { FilterOptionChoice } from '../cli/filters';
import { addSelectionOptions, confirmBatch, renderBatch, selectionFromCommand, type BatchCliOptions } from '../cli/selection';
import type { Selection } from '../core/batch';
import { obtainPassword, type PasswordOptions } from '../cli/password';
import { describeChange } from '../cli/describe-change';
import { ConflictError, UsageError } from '../shared/errors';
import type { EditResult, UserEdit } from '../core/users';
import type { Mailer, MailOutcome } from '../core/notify';
import { mailJson, reportMail } from '../cli/notify';

/** The options named as the core's fields, plus those that the command turns into them. */
interface EditOptions
  extends
    PasswordOptions,
    BatchCliOptions,
    Pick<UserEdit, 'firstname' | 'lastname' | 'email' | 'username' | 'officialCode' | 'phone' | 'picture' | 'expires' | 'roles' | 'authSource'> {
  addRole?: string[];
  removeRole?: string[];
  resetPassword?: boolean;
  unsetField?: string[];
  activate?: boolean;
  deactivate?: boolean;
  notify?: boolean;
}

/** The options that set one person's own value: they make no sense for several users at once. */
const ONE_USER_ONLY = {
  firstname: '--firstname',
  lastname: '--lastname',
  email: '--email',
  username: '--username',
  officialCode: '--official-code',
  phone: '--phone',
  picture: '--picture',
  resetPassword: '--reset-password',
} as const;

const SELECTION: FilterOptionChoice = { editing: true };

export function register(commands: CommandRegistry): void {
  commands.add(
    'edit [users...]',
    'change the details, roles, password or extra fields of a user; expiry, language, roles, fields, state or auth source of many',
    (command) => {
      command
        .option('--firstname <name>', 'new first name')
        .option('--lastname <name>', 'new last name')
        .option('--email <address>', 'new email address')
        .option('--username <name>', 'new username')
        .option('--language <code>', 'new interface language')
        .option('--official-code <code>', 'new official code ("" removes it)')
        .option('--phone <number>', 'new phone number ("" removes it)')
        .option('--picture <path|url>', 'new picture ("" removes it)')
        .option('--expires <date|+duration|never>', 'new expiration date, this long from now (+90d), or never')
        .option('--add-role <role>', 'add a role (repeatable)', collect)
        .option('--remove-role <role>', 'remove a role (repeatable)', collect)
        .option('--roles <a,b>', 'replace all roles', collectList)
        .option('--auth-source <name>', 'new authentication source (platform, ldap, …)')
        .option('--activate', 'activate the account (the rules of roster activate)')
        .option('--deactivate', 'deactivate the account (the rules of roster deactivate)')
        .option('--reset-password', 'set a new password (asked on a terminal, or with the options below)')
        .option('--password-stdin', 'with --reset-password: read it from standard input')
        .option('--generate-password', 'with --reset-password: generate one and print it once')
        .option('--password <password>', 'with --reset-password: the password itself (visible in the process list)')
        .option('--notify', 'with --reset-password: mail the user the new password (a generated one is then printed nowhere)')
        .option('--field <name=value>', 'set an extra field (repeatable)', collect)
        .option('--unset-field <name>', 'remove an extra field value (repeatable)', collect);
      addSelectionOptions(command, SELECTION);
      excludeEachOther(command, 'activate', 'deactivate');
      command
        .hook('preAction', (_command, action) => {
          // Usage errors before the database is opened (or created).
          const opts = action.opts<EditOptions>();
          // Before requireAChange, which would take --notify alone for a selection option.
          if (opts.notify && !opts.resetPassword) throw new UsageError('--notify mails a new password: it goes with --reset-password');
          requireAChange(opts, action);
          const passwordGiven = opts.passwordStdin || opts.generatePassword || opts.password !== undefined;
          if (passwordGiven && !opts.resetPassword) throw new UsageError('password options go with --reset-password');
          if (opts.notify && opts.deactivate)
            throw new UsageError('--notify mails a new password, and a deactivated account cannot log in', 'leave out one of them');
        })
        .action(
          inContext(async (ctx, users: string[], opts: EditOptions) => {
            const selection = await selectionFromCommand(ctx, users, opts, SELECTION);
            if (selection.kind === 'refs' && selection.refs.length === 1 && !selection.fromStdin && !opts.dryRun && !opts.atomic)
              return runEdit(ctx, selection.refs[0]!, opts);
            return runBatchEdit(ctx, selection, opts);
          }),
        );
      command.addHelpText(
        'after',
        '\nSeveral users (references, - for stdin, or the filters of list) take the options that fit many at once:\n' +
          '--expires, --language, --add-role, --remove-role, --roles, --field, --unset-field, --auth-source, --activate, --deactivate.\n' +
          'The filters of the values edit sets are --where-language, --where-field and --where-auth-source.',
      );
      examples(command, [
        'roster edit ada --email ada.lovelace@example.org --add-role admin',
        'roster edit id:42 --expires never --field cohort=2026',
        'roster edit alan --reset-password --generate-password',
        'roster edit alan --reset-password --generate-password --notify',
        'roster edit --where-field cohort=2025 --expires 2026-08-31 --dry-run',
        'roster list --course MATH101 --format ids | roster edit - --add-role teacher --yes',
      ]);
    },
  );
}

/** The options that change something; the selection, its filters, --dry-run and --atomic aside. */
const CHANGE_OPTIONS = [
  ...(Object.keys(ONE_USER_ONLY) as (keyof typeof ONE_USER_ONLY)[]),
  'language',
  'expires',
  'addRole',
  'removeRole',
  'roles',
  'authSource',
  'activate',
  'deactivate',
  'field',
  'unsetField',
  // Not changes alone, but mistakes with a message of their own (they go with --reset-password).
  'passwordStdin',
  'generatePassword',
  'password',
] as const;

function changeOptions(opts: EditOptions): Partial<EditOptions> {
  return Object.fromEntries(CHANGE_OPTIONS.map((key) => [key, opts[key]]));
}

/** No change given: a usage error, which names the filter mistaken for a change (`--role admin` for `--add-role admin`). */
function requireAChange(opts: EditOptions, command: Command): void {
  const changes = changeOptions(opts);
  if (Object.values(changes).some((value) => value !== undefined)) return;
  const filter = Object.keys(opts).find((key) => !(key in changes) && key !== 'dryRun' && key !== 'atomic' && opts[key as keyof EditOptions] !== undefined);
  if (filter) {
    const option = `--${filter.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    const instead: Record<string, string> = {
      role: 'to give a role: --add-role R (or --roles a,b to replace them)',
      active: 'to change the state: --activate or --deactivate',
      inactive: 'to change the state: --activate or --deactivate',
    };
    throw new UsageError(
      `nothing to change: ${option} selects users, it changes nothing`,
      instead[filter] ?? 'roster edit --help lists the options that change something',
    );
  }
  requireAnOption(changes, command);
}

/** The edit of the options, the same for one user and for many. */
async function editFromOptions(ctx: CommandContext, opts: EditOptions): Promise<UserEdit> {
  const { resolveRelativeExpiry } = await import('../core/time');
  const edit: UserEdit = {
    firstname: opts.firstname,
    lastname: opts.lastname,
    email: opts.email,
    username: opts.username,
    language: opts.language,
    officialCode: opts.officialCode,
    phone: opts.phone,
    picture: opts.picture,
    expires: opts.expires === undefined ? undefined : resolveRelativeExpiry(opts.expires, 'expires', ctx.now()),
    addRoles: opts.addRole,
    removeRoles: opts.removeRole,
    roles: opts.roles,
    unsetFields: opts.unsetField,
    authSource: opts.authSource,
    active: opts.activate ? true : opts.deactivate ? false : undefined,
  };
  if (opts.field?.length) {
    const { parseFieldAssignment } = await import('../core/fields');
    edit.setFields = opts.field.map(parseFieldAssignment);
  }
  return edit;
}

export async function runEdit(ctx: CommandContext, ref: string, opts: EditOptions): Promise<Outcome> {
  let generated: string | undefined;
  const edit = await editFromOptions(ctx, opts);
  // The mail settings and template are checked before a password is asked for.
  const mailer = opts.notify ? await (await import('../core/notify')).Mailer.open(ctx, 'new-password') : undefined;
  if (mailer) await refuseMailToBlockedAccount(ctx, ref, edit);
  if (opts.resetPassword) {
    const obtained = await obtainPassword(ctx.io, opts, ref);
    if (!obtained) throw new UsageError('--reset-password needs a terminal to ask, or --password-stdin, --generate-password or --password');
    edit.password = obtained.password;
    if (obtained.generated) generated = obtained.password;
  }
  const { editUser } = await import('../core/users');
  if (mailer) return resetAndMail(ctx, mailer, ref, edit, generated);
  const render = (result: EditResult) => renderEdit(ctx, result, generated);
  // A generated password is printed before the change is committed: if it cannot be shown, the old one stays.
  if (generated) await editUser(ctx, ref, edit, showingSecret('generated password', `the password of ${ref} was not changed`, render));
  else render(await editUser(ctx, ref, edit));
}

export async function runBatchEdit(ctx: CommandContext, selection: Selection, opts: EditOptions): Promise<Outcome> {
  // One user named, with --dry-run or --atomic: the batch runs it, with all of one user's fields.
  const oneUser = selection.kind === 'refs' && selection.refs.length === 1 && !selection.fromStdin;
  const given = Object.entries(ONE_USER_ONLY).filter(([key]) => opts[key as keyof typeof ONE_USER_ONLY] !== undefined);
  if (given.length && !oneUser) {
    const names = given.map(([, option]) => option).join(', ');
    throw new UsageError(`${names} ${given.length === 1 ? 'sets a value' : 'set values'} of one user, not of several`, 'give a single user, or leave it out');
  }
  if (opts.resetPassword) throw new UsageError('--reset-password sets the password of one user at once, without --dry-run or --atomic', 'leave those out');
  const [{ planBatch }, { editUsers }, { hasSelectiveFilter }] = await Promise.all([
    import('../core/batch'),
    import('../core/batch-edit'),
    import('../shared/user-filter'),
  ]);
  const edit = await editFromOptions(ctx, opts);
  if (selection.kind === 'filter' && !hasSelectiveFilter(selection.filter) && (opts.field || opts.language || opts.authSource)) {
    const [option, example] = opts.field
      ? ['--field', `--where-field ${opts.field[0]}`]
      : opts.language
        ? ['--language', `--where-language ${opts.language}`]
        : ['--auth-source', `--where-auth-source ${opts.authSource}`];
    throw new UsageError(
      'no users given',
      `here ${option} sets a value; to select users by it, use ${example} (or name users, or pass - to read them from stdin)`,
    );
  }
  const plan = await planBatch(ctx, selection);
  await confirmBatch(ctx, plan, (who) => `Edit ${who} (${describeEdit(opts)})?`, {
    dryRun: opts.dryRun,
    wouldChange: () => editUsers(ctx, plan, edit, { dryRun: true, atomic: opts.atomic }),
  });
  const result = await editUsers(ctx, plan, edit, { dryRun: opts.dryRun, atomic: opts.atomic });
  for (const warning of result.warnings) warn(ctx.io, warning);
  return renderBatch(ctx, result, { done: 'changed', would: 'change', unchanged: 'already so', object: `(${describeEdit(opts)})` });
}

/** The edit in a few words, for the question and the summary: "expires 2026-08-31, add-role teacher". */
function describeEdit(opts: EditOptions): string {
  const parts: string[] = [];
  for (const [key, option] of Object.entries(ONE_USER_ONLY)) {
    const value = opts[key as keyof typeof ONE_USER_ONLY];
    if (typeof value === 'string') parts.push(`${option.slice(2)} ${value}`);
  }
  if (opts.expires !== undefined) parts.push(`expires ${opts.expires}`);
  if (opts.language !== undefined) parts.push(`language ${opts.language}`);
  for (const role of opts.addRole ?? []) parts.push(`add-role ${role}`);
  for (const role of opts.removeRole ?? []) parts.push(`remove-role ${role}`);
  if (opts.roles) parts.push(`roles ${opts.roles.join(',')}`);
  for (const field of opts.field ?? []) parts.push(`field ${field}`);
  for (const field of opts.unsetField ?? []) parts.push(`unset-field ${field}`);
  if (opts.authSource !== undefined) parts.push(`auth-source ${opts.authSource}`);
  if (opts.activate) parts.push('activate');
  if (opts.deactivate) parts.push('deactivate');
  return parts.join(', ');
}

/** A new password is not mailed to an account that cannot log in (unless this edit activates it). */
async function refuseMailToBlockedAccount(ctx: CommandContext, ref: string, edit: UserEdit): Promise<void> {
  const [{ getUser }, { loginBlocker }] = await Promise.all([import('../core/users'), import('../core/user-model')]);
  const user = await getUser(ctx, ref);
  const { parseExpiry } = await import('../core/time');
  const expiresAt = edit.expires !== undefined ? parseExpiry(edit.expires, 'expires') : user.expiresAt;
  const blocker = loginBlocker({ ...user, active: user.active || edit.active === true, expiresAt }, ctx.now());
  if (blocker) {
    const hint =
      blocker === 'is inactive'
        ? 'add --activate, or leave out --notify'
        : blocker === 'has expired'
          ? 'add --expires with a later date, or leave out --notify'
          : 'leave out --notify';
    throw new ConflictError(`${user.username} ${blocker}: --notify would mail a password nobody can use`, hint);
  }
}

/**
 * --reset-password --notify: the password changed, then mailed; a generated one is in that mail
 * and nowhere else (a failed mail is exit 6, with the hint to reset it again).
 */
async function resetAndMail(ctx: CommandContext, mailer: Mailer, ref: string, edit: UserEdit, generated: string | undefined): Promise<Outcome> {
  const [{ recipientOf }, { editUser }] = await Promise.all([import('../core/notify'), import('../core/users')]);
  const result = await editUser(ctx, ref, edit);
  const outcome = await mailer.sendAll([recipientOf(result.user, generated)]);
  renderEdit(ctx, result, undefined, outcome);
  return reportMail(ctx, outcome);
}

function renderEdit(ctx: CommandContext, result: EditResult, generated: string | undefined, mailed?: MailOutcome): void {
  for (const warning of result.warnings) warn(ctx.io, warning);
  if (ctx.json) {
    const body: Record<string, unknown> = { changed: result.changes.length ? 1 : 0, users: [result.user], changes: result.changes };
    if (generated) body.generatedPassword = generated;
    if (mailed) body.mail = mailJson(mailed);
    line(ctx.io.stdout, JSON.stringify(body, null, 2));
    return;
  }
  if (!result.changes.length) {
    line(ctx.io.stdout, `nothing changed for user ${result.user.username} (id:${result.user.id})`);
    return;
  }
  line(ctx.io.stdout, `${paint(ctx.io, 'green', 'changed')} user ${result.user.username} (id:${result.user.id}):`);
  for (const change of result.changes) line(ctx.io.stdout, `  ${describeChange(change)}`);
  if (generated) line(ctx.io.stdout, `generated password for ${result.user.username}: ${generated}`);
}
