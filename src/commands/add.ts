import type { CommandRegistry } from '../cli/registry';
import { inContext, type CommandContext, type Outcome } from '../cli/context';
import { mailJson, reportMail } from '../cli/notify';
import { line, paint, promptContext, showingSecret, warn } from '../cli/io';
import { collect, examples } from '../cli/options';
import { obtainPassword, type PasswordOptions } from '../cli/password';
import { UsageError, ValidationError } from '../shared/errors';
import type { AddResult, NewUserInput } from '../core/users';
import type { MailOutcome } from '../core/notify';

interface AddOptions extends PasswordOptions {
  firstname?: string;
  lastname?: string;
  email?: string;
  username?: string;
  role?: string[];
  language: string;
  officialCode?: string;
  phone?: string;
  picture?: string;
  expires?: string;
  inactive?: boolean;
  field?: string[];
  notify?: boolean;
}

export function register(commands: CommandRegistry): void {
  commands.add('add', 'create a user account', (command) => {
    command
      .option('--firstname <name>', 'first name (required)')
      .option('--lastname <name>', 'last name (required)')
      .option('--email <address>', 'email address, unique (required)')
      .option('--username <name>', 'login name, unique: letters, digits, . _ - @ (required)')
      .option('--role <role>', 'student, teacher, session_admin, hr_manager, invitee or admin (required, repeatable)', collect)
      .option('--password-stdin', 'read the password from the first line of standard input')
      .option('--generate-password', 'generate a password and print it once')
      .option('--password <password>', 'the password (visible to other local users: prefer --password-stdin)')
      .option('--language <code>', 'interface language: ISO code or Chamilo name', 'en')
      .option('--official-code <code>', 'identifier in the organisation')
      .option('--phone <number>', 'phone number')
      .option('--picture <path|url>', 'picture: a local file or an http(s) URL')
      .option('--expires <date|+duration|never>', 'deactivate the account after this date (YYYY-MM-DD), or this long from now (+90d); never is the default')
      .option('--inactive', 'create the account inactive')
      .option('--field <name=value>', 'extra profile field (repeatable)', collect)
      .option(
        '--notify',
        'mail the new user their username, and the password when roster generated it (then printed nowhere); see roster config set mail.command',
      )
      .action(inContext((ctx, opts: AddOptions) => runAdd(ctx, opts)));
    examples(command, [
      'roster add --firstname Ada --lastname Lovelace --email ada@example.org --username ada --role teacher --generate-password',
      'roster add --firstname Grace --lastname Hopper --email grace@example.org --username grace --role teacher --generate-password --notify',
      'printf \'%s\\n\' "$PASS" | roster add --firstname Alan --lastname Turing --email alan@example.org --username alan --role student --password-stdin',
    ]);
  });
}

export async function runAdd(ctx: CommandContext, opts: AddOptions): Promise<Outcome> {
  const values = await completeValues(ctx, opts);
  const obtained = await obtainPassword(ctx.io, opts, values.username || 'the new user');
  const missing = missingValues(values, Boolean(obtained));
  if (missing.length) {
    throw new UsageError(
      `missing required values: ${missing.join(', ')}`,
      'give them as options (see roster add --help), or run roster add in a terminal to be asked',
    );
  }
  if (opts.notify && opts.inactive) throw new UsageError('--notify mails login details, and an --inactive account cannot log in', 'leave out one of them');
  // Settings and templates are checked before the account is created.
  const mailer = opts.notify ? await (await import('../core/notify')).Mailer.open(ctx, 'welcome') : undefined;
  const [{ addUser }, { resolveRelativeExpiry }] = await Promise.all([import('../core/users'), import('../core/time')]);
  const { parseFieldAssignment } = await import('../core/fields');
  const input: NewUserInput = {
    firstname: values.firstname!,
    lastname: values.lastname!,
    email: values.email!,
    username: values.username!,
    roles: values.role!,
    password: obtained!.password,
    language: opts.language,
    officialCode: opts.officialCode,
    phone: opts.phone,
    picture: opts.picture,
    expires: opts.expires === undefined ? undefined : resolveRelativeExpiry(opts.expires, 'expires', ctx.now()),
    inactive: opts.inactive,
    fields: (opts.field ?? []).map(parseFieldAssignment),
  };
  const generated = obtained!.generated ? obtained!.password : undefined;
  if (mailer && input.expires?.trim()) {
    const [{ parseExpiry }, { loginBlocker }] = await Promise.all([import('../core/time'), import('../core/user-model')]);
    const expiresAt = parseExpiry(input.expires, 'expires');
    if (loginBlocker({ active: true, deletedAt: null, anonymizedAt: null, system: false, expiresAt }, ctx.now())) {
      throw new UsageError(
        '--notify mails login details, and an account whose expiration date has passed cannot log in',
        'give a later --expires, or leave out --notify',
      );
    }
  }
  if (mailer) {
    // Mailed once the account exists; the mail is then the only place its generated password is.
    const result = await addUser(ctx, input);
    const { recipientOf } = await import('../core/notify');
    const outcome = await mailer.sendAll([recipientOf(result.user, generated)]);
    render(ctx, result, undefined, outcome);
    return reportMail(ctx, outcome);
  }
  // A generated password is printed before the account is committed: if it cannot be shown, no account keeps it.
  if (generated)
    await addUser(
      ctx,
      input,
      showingSecret('generated password', `the user ${input.username} was not added`, (result: AddResult) => render(ctx, result, generated)),
    );
  else render(ctx, await addUser(ctx, input), undefined);
}

/** On a terminal, asks for what no option gave; elsewhere returns the options as they are. */
async function completeValues(ctx: CommandContext, opts: AddOptions): Promise<AddOptions> {
  if (!ctx.io.interactive) return opts;
  const values = { ...opts };
  const [{ input, checkbox }, validation, { identityKey }, { findByEmailKey, findByUsernameKey }] = await Promise.all([
    import('@inquirer/prompts'),
    import('../core/validation'),
    import('../shared/folding'),
    import('../db/user-repository'),
  ]);
  // What the options already give is checked before any question: nobody answers prompts for a
  // command that was bound to fail on a mistyped --email.
  const given = new validation.Problems();
  if (values.email) validation.checkEmail(values.email.trim(), given);
  if (values.username) validation.checkUsername(values.username.trim(), given);
  if (!given.empty) throw new ValidationError(given.list);
  if (values.role?.length) (await import('../core/roles')).parseRoles(values.role);
  const context = promptContext(ctx.io);
  const required = (label: string) => (v: string) => (v.trim() ? true : `${label} is required`);
  // Each answer is checked as it is typed, so nothing is lost at the end.
  const checked =
    (check: (value: string, problems: InstanceType<typeof validation.Problems>) => void, taken: (key: string) => Promise<unknown>, what: string) =>
    async (value: string) => {
      const problems = new validation.Problems();
      check(value.trim(), problems);
      if (!problems.empty) return problems.list.map((p) => p.message).join('; ');
      return (await taken(identityKey(value.trim()))) ? `this ${what} is taken by another account` : true;
    };
  if (!values.firstname) values.firstname = await input({ message: 'First name:', validate: required('The first name') }, context);
  if (!values.lastname) values.lastname = await input({ message: 'Last name:', validate: required('The last name') }, context);
  if (!values.email)
    values.email = await input({ message: 'Email:', validate: checked(validation.checkEmail, (k) => findByEmailKey(ctx.db.kysely, k), 'email') }, context);
  if (!values.username)
    values.username = await input(
      { message: 'Username:', validate: checked(validation.checkUsername, (k) => findByUsernameKey(ctx.db.kysely, k), 'username') },
      context,
    );
  if (!values.role?.length) {
    const { ROLES } = await import('../core/roles');
    values.role = await checkbox(
      {
        message: 'Roles:',
        choices: ROLES.map((r) => ({ name: r, value: r, checked: r === 'student' })),
        validate: (chosen) => (chosen.length ? true : 'Choose at least one role'),
      },
      context,
    );
  }
  return values;
}

function missingValues(values: AddOptions, hasPassword: boolean): string[] {
  const missing: string[] = [];
  if (!values.firstname) missing.push('--firstname');
  if (!values.lastname) missing.push('--lastname');
  if (!values.email) missing.push('--email');
  if (!values.username) missing.push('--username');
  if (!hasPassword) missing.push('a password (--password-stdin or --generate-password)');
  if (!values.role?.length) missing.push('--role');
  return missing;
}

function render(ctx: CommandContext, result: AddResult, generatedPassword: string | undefined, mail?: MailOutcome): void {
  for (const warning of result.warnings) warn(ctx.io, warning);
  const { user } = result;
  if (ctx.json) {
    const body = { ...user, ...(generatedPassword ? { generatedPassword } : {}), ...(mail ? { mail: mailJson(mail) } : {}) };
    line(ctx.io.stdout, JSON.stringify(body, null, 2));
    return;
  }
  line(
    ctx.io.stdout,
    `${paint(ctx.io, 'green', 'added')} user ${user.username} (id:${user.id}): ${user.firstname} ${user.lastname} <${user.email}>, roles: ${user.roles.join(', ')}${user.active ? '' : ' (inactive)'}`,
  );
  if (generatedPassword) line(ctx.io.stdout, `generated password for ${user.username}: ${generatedPassword}`);
}
