import type { CommandRegistry } from '../cli/registry';
import { inContext, type CommandContext } from '../cli/context';
import { line, showingSecret } from '../cli/io';
import { examples } from '../cli/options';
import type { IssuedToken } from '../core/login';

export interface LoginAsOptions {
  reason: string;
  ttl: string;
  dryRun?: boolean;
}

export function register(commands: CommandRegistry): void {
  commands.add('login-as <user>', 'impersonation: issue a one-time login token for an account (audited with its reason)', (loginAs) => {
    loginAs
      .requiredOption('--reason <text>', 'why (required; recorded in the audit log)')
      .option('--ttl <duration>', 'how long the token stays valid, from 1m to 24h', '15m')
      .option('--dry-run', 'check that the account may be impersonated; issue nothing');
    loginAs.addHelpText(
      'after',
      `
  stdout receives the token alone, or a login URL when a base URL is configured
  (roster config set base-url https://campus.example.org/login?as={user}&token={token}).
  The token is 256 random bits, stored only as its SHA-256, valid once. Refused (exit 4)
  for deleted, anonymized, inactive or expired accounts, the fallback user and admins.`,
    );
    loginAs.action(inContext((ctx, user: string, opts: LoginAsOptions) => runLoginAs(ctx, user, opts)));
    examples(loginAs, ['roster login-as bob --reason "ticket 4711: cannot see the course"', 'roster login-as bob --reason "support call" --ttl 5m --json']);
  });
}

export async function runLoginAs(ctx: CommandContext, ref: string, opts: LoginAsOptions): Promise<void> {
  const [{ issueLoginToken }, { parseDuration }] = await Promise.all([import('../core/login'), import('../core/time')]);
  const options = { reason: opts.reason, ttlMs: parseDuration(opts.ttl, '--ttl'), dryRun: opts.dryRun };
  const show = (issued: IssuedToken) => renderToken(ctx, issued);
  if (opts.dryRun) show(await issueLoginToken(ctx, ref, options));
  else await issueLoginToken(ctx, ref, options, showingSecret('token', `no token was issued for ${ref}`, show));
}

function renderToken(ctx: CommandContext, issued: IssuedToken): void {
  if (ctx.json) {
    line(ctx.io.stdout, JSON.stringify(issued, null, 2));
    return;
  }
  const who = `${issued.user.username} (id:${issued.user.id})`;
  if (issued.dryRun) {
    line(ctx.io.stdout, `dry run: ${who} may be impersonated; no token was issued`);
    return;
  }
  // The token first: the note on stderr would be untrue if it could not be written.
  line(ctx.io.stdout, issued.url ?? issued.token!);
  line(ctx.io.stderr, `one-time login token for ${who}, valid until ${issued.expiresAt}; recorded in the audit log`);
}
