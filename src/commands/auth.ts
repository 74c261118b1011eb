import type { CommandRegistry } from '../cli/registry';
import { inContext, type CommandContext } from '../cli/context';
import { line, readStdin } from '../cli/io';
import { examples } from '../cli/options';
import { UsageError } from '../shared/errors';

export interface AuthOptions {
  token?: string;
}

export function register(commands: CommandRegistry): void {
  commands.add('auth <user>', 'check a password (first line of stdin) or a login-as token; record the login', (auth) => {
    auth.option('--token <token>', 'a token from roster login-as instead of a password (- reads it from stdin); it is consumed');
    auth.addHelpText(
      'after',
      `
  Exit codes: 0 the secret is right and the account may log in (its last login is recorded);
  5 unknown user or wrong secret (one message for both); 4 the secret is right but the account
  is deleted, inactive, expired or anonymized.`,
    );
    auth.action(inContext((ctx, user: string, opts: AuthOptions) => runAuth(ctx, user, opts)));
    examples(auth, ['printf \'%s\\n\' "$PASS" | roster auth bob', 'roster auth bob --token "$TOKEN"']);
  });
}

export async function runAuth(ctx: CommandContext, ref: string, opts: AuthOptions): Promise<void> {
  const { authenticate } = await import('../core/login');
  let secret: { kind: 'password'; password: string } | { kind: 'token'; token: string };
  if (opts.token !== undefined) {
    const token = opts.token === '-' ? firstLine(await readStdin(ctx.io)) : opts.token;
    if (!token) throw new UsageError('--token: no token given');
    secret = { kind: 'token', token };
  } else {
    const password = ctx.io.interactive ? await askPassword(ref) : firstLine(await readStdin(ctx.io));
    if (!password)
      throw new UsageError(
        'roster auth reads the password from the first line of standard input, which was empty',
        'printf \'%s\\n\' "$PASS" | roster auth <user>, or --token <token>',
      );
    secret = { kind: 'password', password };
  }
  const result = await authenticate(ctx, ref, secret);
  if (ctx.json) line(ctx.io.stdout, JSON.stringify(result, null, 2));
  else line(ctx.io.stdout, `authenticated ${result.username} (id:${result.id})`);
}

function firstLine(text: string): string {
  return text.split(/\r?\n/)[0] ?? '';
}

async function askPassword(ref: string): Promise<string> {
  const { password } = await import('@inquirer/prompts');
  return password({ message: `Password for ${ref}:`, mask: '*' });
}
