import type { CommandRegistry } from '../cli/registry';
import { inContext, type CommandContext } from '../cli/context';
import { line, paint } from '../cli/io';
import { examples } from '../cli/options';
import { escapeValue } from '../cli/terminal-text';
import type { UserDetails } from '../core/user-details';

export function register(commands: CommandRegistry): void {
  commands.add('show <user>', 'every detail of a user: roles, extra fields, courses and sessions', (command) => {
    command.action(inContext((ctx, user: string, _opts: unknown) => runShow(ctx, user)));
    examples(command, ['roster show ada', 'roster show id:42 --json']);
  });
}

export async function runShow(ctx: CommandContext, ref: string): Promise<void> {
  const { getUserDetails } = await import('../core/user-details');
  const details = await getUserDetails(ctx, ref);
  if (ctx.json) {
    line(ctx.io.stdout, JSON.stringify(details, null, 2));
    return;
  }
  printDetails(ctx, details);
}

function printDetails(ctx: CommandContext, d: UserDetails): void {
  const out = (label: string, value: unknown) =>
    line(
      ctx.io.stdout,
      `${paint(ctx.io, 'bold', label.padEnd(14))}${value === null || value === undefined || value === '' ? paint(ctx.io, 'dim', '-') : escapeValue(String(value))}`,
    );
  out('Name', `${d.firstname} ${d.lastname}`);
  out('Username', d.username);
  out('Id', d.id);
  out('Email', d.email);
  out('Roles', d.roles.join(', '));
  out('Status', statusOf(d, ctx.now()));
  out('Language', d.language);
  out('Official code', d.officialCode);
  out('Phone', d.phone);
  out('Picture', d.picture);
  out('Auth source', d.authSource);
  out('Registered', d.registeredAt);
  out('Last login', d.lastLoginAt ?? 'never');
  out('Expires', d.expiresAt ?? 'never');
  if (d.deletedAt) out('Deleted', d.deletedAt);
  if (d.anonymizedAt) out('Anonymized', d.anonymizedAt);
  const extra = Object.entries(d.extra);
  if (extra.length) {
    line(ctx.io.stdout, paint(ctx.io, 'bold', 'Extra fields'));
    for (const [name, value] of extra) line(ctx.io.stdout, `  ${name}: ${String(value)}`);
  }
  line(ctx.io.stdout, paint(ctx.io, 'bold', `Courses (${d.courses.length})`));
  for (const c of d.courses) line(ctx.io.stdout, `  ${c.code}  ${c.title}  as ${c.role}`);
  line(ctx.io.stdout, paint(ctx.io, 'bold', `Sessions (${d.sessions.length})`));
  for (const s of d.sessions) line(ctx.io.stdout, `  ${s.name}  ${s.startsOn.slice(0, 10)} → ${s.endsOn.slice(0, 10)}`);
  line(ctx.io.stdout, paint(ctx.io, 'bold', `Owned courses (${d.ownedCourses.length})`));
  for (const c of d.ownedCourses) line(ctx.io.stdout, `  ${c.code}  ${c.title}`);
  if (d.system) {
    line(
      ctx.io.stdout,
      `This is the system fallback account: it holds the ${d.ownedCourses.length} course(s) above, handed over when their owners were purged.`,
    );
    line(ctx.io.stdout, 'It cannot log in, and cannot be deleted, purged, anonymized or impersonated.');
  }
}

function statusOf(d: UserDetails, now: Date): string {
  if (d.anonymizedAt) return 'anonymized';
  if (d.deletedAt) return 'deleted';
  if (d.system) return 'system account';
  if (!d.active) return 'inactive';
  if (d.expiresAt && d.expiresAt <= now.toISOString()) return 'active, but expired (the next expiry run deactivates it)';
  return 'active';
}
