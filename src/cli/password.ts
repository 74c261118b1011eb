import { UsageError, ValidationError } from '../shared/errors';
import { line, promptContext, readStdin, warn, type Io } from './io';
import { escapeValue } from './terminal-text';

export interface PasswordOptions {
  password?: string;
  passwordStdin?: boolean;
  generatePassword?: boolean;
}

export interface ObtainedPassword {
  password: string;
  generated: boolean;
}

/**
 * The password from exactly one source: --password-stdin, --generate-password,
 * --password (with a warning), or a hidden prompt asked twice on a terminal.
 * Returns undefined when none was given and nobody can be asked.
 */
export async function obtainPassword(io: Io, opts: PasswordOptions, who: string): Promise<ObtainedPassword | undefined> {
  const sources = [opts.password !== undefined, opts.passwordStdin, opts.generatePassword].filter(Boolean).length;
  if (sources > 1) throw new UsageError('give the password one way only: --password-stdin, --generate-password or --password');
  if (opts.passwordStdin) {
    const text = await readStdin(io);
    const password = text.split(/\r?\n/)[0] ?? '';
    if (!password) throw new ValidationError([{ field: 'password', message: 'standard input held no password (the first line is read)' }]);
    return { password, generated: false };
  }
  if (opts.generatePassword) {
    const { generatePassword } = await import('../core/passwords');
    return { password: generatePassword(), generated: true };
  }
  if (opts.password !== undefined) {
    warn(io, '--password puts the password in the process list, where other local users can read it; prefer --password-stdin');
    if (!opts.password) throw new ValidationError([{ field: 'password', message: 'is empty' }]);
    return { password: opts.password, generated: false };
  }
  if (!io.interactive) return undefined;
  return { password: await askNewPassword(io, who), generated: false };
}

async function askNewPassword(io: Io, who: string): Promise<string> {
  const { password } = await import('@inquirer/prompts');
  for (let attempt = 0; attempt < 3; attempt++) {
    // No mask: not even the length of the password shows on the screen.
    const first = await password(
      { message: `Password for ${escapeValue(who)}:`, validate: (v) => (v ? true : 'The password cannot be empty') },
      promptContext(io),
    );
    const second = await password({ message: 'Repeat the password:' }, promptContext(io));
    if (first === second) return first;
    line(io.stderr, 'The two passwords differ; try again.');
  }
  throw new ValidationError([{ field: 'password', message: 'the two entries differed three times' }]);
}
