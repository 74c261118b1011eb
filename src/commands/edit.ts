import type { Command } from 'commander';
import type { CommandRegistry } from '../cli/registry';
import { withContext, type CommandContext } from '../cli/context';
import { line, paint, warn } from '../cli/io';
import { collect, collectList, examples, requireAnOption } from '../cli/options';
import { obtainPassword, type PasswordOptions } from '../cli/password';
import type { FieldChange } from '../core/audit';
import { UsageError } from '../core/errors';
import type { EditResult, UserEdit } from '../core/users';

/** The options named as the core's fields, plus those that the command turns into them. */
interface EditOptions extends PasswordOptions, Pick<UserEdit, 'firstname' | 'lastname' | 'email' | 'username' | 'language' | 'officialCode' | 'phone' | 'picture' | 'expires' | 'roles'> {
  addRole?: string[];
  removeRole?: string[];
  resetPassword?: boolean;
  field?: string[];
  unsetField?: string[];
}

export function register(commands: CommandRegistry): void {
  commands.add('edit <user>', 'change the details, roles, password or extra fields of a user', (command) => {
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
      .option('--reset-password', 'set a new password (asked on a terminal, or with the options below)')
      .option('--password-stdin', 'with --reset-password: read it from standard input')
      .option('--generate-password', 'with --reset-password: generate one and print it once')
      .option('--password <password>', 'with --reset-password: the password itself (visible in the process list)')
      .option('--field <name=value>', 'set an extra field (repeatable)', collect)
      .option('--unset-field <name>', 'remove an extra field value (repeatable)', collect)
      .hook('preAction', (_command, action) => requireAnOption(action.opts(), action))
      .action(async (user: string, opts: EditOptions, cmd: Command) => {
        // Usage errors before the database is opened (or created).
        const passwordGiven = opts.passwordStdin || opts.generatePassword || opts.password !== undefined;
        if (passwordGiven && !opts.resetPassword) throw new UsageError('password options go with --reset-password');
        return withContext(cmd, (ctx) => runEdit(ctx, user, opts));
      });
    command.addHelpText('after', '\nTo activate or deactivate an account, use roster activate / roster deactivate.');
    examples(command, [
      'roster edit ada --email ada.lovelace@example.org --add-role admin',
      'roster edit id:42 --expires never --field cohort=2026',
      'roster edit alan --reset-password --generate-password',
    ]);
  });
}

async function runEdit(ctx: CommandContext, ref: string, opts: EditOptions): Promise<void> {
  const { resolveRelativeExpiry } = await import('../core/time');
  let generated: string | undefined;
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
  };
  if (opts.field?.length) {
    const { parseFieldAssignment } = await import('../core/fields');
    edit.setFields = opts.field.map(parseFieldAssignment);
  }
  if (opts.resetPassword) {
    const obtained = await obtainPassword(ctx.io, opts, ref);
    if (!obtained) throw new UsageError('--reset-password needs a terminal to ask, or --password-stdin or --generate-password');
    edit.password = obtained.password;
    if (obtained.generated) generated = obtained.password;
  }
  const { editUser } = await import('../core/users');
  const render = (result: EditResult) => renderEdit(ctx, result, generated);
  // A generated password is printed before the change is committed: if it cannot be shown, the old one stays.
  if (generated) await editUser(ctx, ref, edit, render);
  else render(await editUser(ctx, ref, edit));
}

function renderEdit(ctx: CommandContext, result: EditResult, generated: string | undefined): void {
  for (const warning of result.warnings) warn(ctx.io, warning);
  if (ctx.json) {
    const body: Record<string, unknown> = { changed: result.changes.length ? 1 : 0, users: [result.user], changes: result.changes };
    if (generated) body.generatedPassword = generated;
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

export function describeChange(change: FieldChange): string {
  const name = change.field.replace(/_/g, '-');
  if (change.secret) return `${name}: changed`;
  if (change.erased) return `${name}: changed (values erased by anonymization)`;
  return `${name}: ${show(change.before)} → ${show(change.after)}`;
}

function show(value: unknown): string {
  if (value === null || value === undefined || value === '') return '(none)';
  if (Array.isArray(value)) return value.length ? value.join(', ') : '(none)';
  return String(value);
}
