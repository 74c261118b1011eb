import { ExitCode } from '../shared/errors';
import type { MailOutcome } from '../core/notify';
import type { CommandContext, Outcome } from './context';
import { line } from './io';
import { escapeValue } from './terminal-text';

/** `--notify`'s part of a command's JSON: who was mailed, who was not and why. */
export function mailJson(outcome: MailOutcome) {
  return {
    sent: outcome.sent.map((s) => s.username),
    failed: outcome.failed.map((f) => ({ username: f.username, email: f.email, message: f.message, passwordLost: f.passwordLost })),
    alreadySent: outcome.alreadySent.map((a) => a.username),
  };
}

/**
 * One line for what went out (stdout, in text), one on stderr for each mail
 * that did not, with how to give another password to an account whose
 * generated one only that mail carried; exit 6 when any failed.
 */
export function reportMail(ctx: CommandContext, outcome: MailOutcome): Outcome {
  if (!ctx.json && outcome.sent.length) {
    line(ctx.io.stdout, outcome.sent.length === 1 ? `mailed ${escapeValue(outcome.sent[0]!.email)}` : `mailed ${outcome.sent.length} users`);
  }
  if (!ctx.json && outcome.alreadySent.length) line(ctx.io.stdout, `already mailed about the same, not again: ${outcome.alreadySent.length} user(s)`);
  // Named on stderr with --json too: a cron log shows it without parsing the output.
  for (const failure of outcome.failed) {
    line(ctx.io.stderr, `roster: error: ${escapeValue(failure.username)}: mail to ${escapeValue(failure.email)} failed: ${escapeValue(failure.message)}`);
    if (failure.passwordLost) {
      line(
        ctx.io.stderr,
        `  hint: its generated password was in that mail only: give it another with roster edit ${escapeValue(failure.username)} --reset-password --generate-password (--notify mails it)`,
      );
    }
  }
  return outcome.failed.length ? ExitCode.partial : undefined;
}
