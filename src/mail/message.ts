import type { RenderedMail } from './templates';

export interface Recipient {
  name: string;
  address: string;
}

/** The setting mail.from, `address` or `Name <address>`, in its two parts (the name may be empty). */
export function splitSender(text: string): Recipient {
  const named = /^(.*?)\s*<([^<>]*)>$/.exec(text.trim());
  if (!named) return { name: '', address: text.trim() };
  return { name: named[1]!.trim().replace(/^"(.*)"$/, '$1'), address: named[2]!.trim() };
}

/**
 * An RFC 5322 message, UTF-8 plain text: nodemailer's composer encodes the
 * headers (RFC 2047 encoded words for names and subjects beyond ASCII, folded
 * lines), writes the body quoted-printable, and adds Date and Message-ID. Line
 * ends are LF, as `sendmail -t` reads its standard input.
 */
export async function composeMessage(from: Recipient, to: Recipient, mail: RenderedMail): Promise<Buffer> {
  const { default: MailComposer } = await import('nodemailer/lib/mail-composer');
  const composer = new MailComposer({
    from: { name: from.name, address: from.address },
    to: { name: to.name, address: to.address },
    subject: mail.subject,
    text: mail.body,
    // Tells vacation responders and mailing lists that nobody wrote it by hand (RFC 3834).
    headers: { 'Auto-Submitted': 'auto-generated' },
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const message = await composer.compile().build();
  return Buffer.from(message.toString('utf8').replace(/\r\n/g, '\n'), 'utf8');
}
