import { ValidationError } from './errors';
import { passwordProblem } from './validation';

export const DEFAULT_BCRYPT_COST = 10;

/** Cost from ROSTER_BCRYPT_COST (tests lower it), else the default. */
export function bcryptCost(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.ROSTER_BCRYPT_COST;
  if (!raw) return DEFAULT_BCRYPT_COST;
  const cost = Number(raw);
  if (!Number.isInteger(cost) || cost < 4 || cost > 31) {
    throw new ValidationError(`ROSTER_BCRYPT_COST must be a whole number from 4 to 31, not "${raw}"`);
  }
  return cost;
}

/** Standard `$2b$` hashes, readable by PHP's password_verify and every bcrypt library. */
export async function hashPassword(password: string, cost = bcryptCost()): Promise<string> {
  // Every caller checks first; this is the last line of defence against a silently truncated password.
  const problem = passwordProblem(password);
  if (problem) throw new ValidationError([{ field: 'password', message: problem }]);
  const { default: bcrypt } = await import('bcryptjs');
  const hash = await bcrypt.hash(password, cost);
  return hash.replace(/^\$2a\$/, '$2b$');
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  // bcryptjs reads $2y$ (PHP) and $2b$ alike once normalised to $2a$.
  const { default: bcrypt } = await import('bcryptjs');
  return bcrypt.compare(password, hash.replace(/^\$2[by]\$/, '$2a$'));
}

const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

export function isBcryptHash(value: string): boolean {
  return BCRYPT_HASH.test(value);
}

// No look-alikes (0/O, 1/l/I): generated passwords are read aloud and retyped.
const ALPHABET = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export function generatePassword(length = 16): string {
  // Required here, not at the top: node:crypto costs every start-up of the core a few milliseconds.
  const { randomInt } = require('node:crypto') as typeof import('node:crypto');
  let password = '';
  for (let i = 0; i < length; i++) password += ALPHABET[randomInt(ALPHABET.length)];
  return password;
}
