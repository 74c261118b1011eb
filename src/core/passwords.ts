import { ValidationError } from '../shared/errors';
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

/**
 * ROSTER_BCRYPT is unset (the native bcrypt where it installed) or `bcryptjs`.
 * Checked before any hashing, so that a misspelt value is not ignored while
 * roster goes on with the backend nobody asked for.
 */
export function checkBcryptChoice(env: NodeJS.ProcessEnv = process.env): void {
  const choice = env.ROSTER_BCRYPT;
  if (choice && choice !== 'bcryptjs') {
    throw new ValidationError(
      `ROSTER_BCRYPT must be "bcryptjs" or unset, not "${choice}"`,
      'unset it to use the native bcrypt where it is installed, or set ROSTER_BCRYPT=bcryptjs',
    );
  }
}

async function loadBcrypt(): Promise<typeof import('../workers/bcrypt-backend')> {
  checkBcryptChoice();
  return import('../workers/bcrypt-backend');
}

/** Standard `$2b$` hashes, readable by PHP's password_verify and every bcrypt library. */
export async function hashPassword(password: string, cost = bcryptCost()): Promise<string> {
  // Every caller checks first; this is the last line of defence against a silently truncated password.
  const problem = passwordProblem(password);
  if (problem) throw new ValidationError([{ field: 'password', message: problem }]);
  const bcrypt = await loadBcrypt();
  return bcrypt.hash(password, cost);
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const legacy = LEGACY_HASH.exec(hash);
  if (legacy) return legacyDigestMatches(password, legacy[1] as 'md5' | 'sha1', legacy[2]!);
  // $2a$, $2b$ and PHP's $2y$ alike, with either bcrypt (src/workers/bcrypt-backend.js).
  const bcrypt = await loadBcrypt();
  return bcrypt.verify(password, hash);
}

const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

export function isBcryptHash(value: string): boolean {
  return BCRYPT_HASH.test(value);
}

/**
 * Chamilo 1.11 installations set to `password_encryption` md5 or sha1 store
 * the unsalted hex digest. roster stores such a hash as `md5:<hex>` or
 * `sha1:<hex>` (legacy), accepts it on login, and replaces it with bcrypt
 * at the first successful check.
 */
const LEGACY_HASH = /^(md5|sha1):([0-9a-f]{32}|[0-9a-f]{40})$/;

export function isLegacyHash(value: string): boolean {
  const match = LEGACY_HASH.exec(value);
  return Boolean(match && match[2]!.length === (match[1] === 'md5' ? 32 : 40));
}

/**
 * A PasswordHash value of an import, in the form roster stores: a bcrypt
 * hash as it is; `md5:`/`sha1:` prefixed digests, or bare hex digests told
 * apart by their length (32 md5, 40 sha1), as legacy hashes. Undefined when
 * it is neither.
 */
export function storedHashOf(value: string): string | undefined {
  const text = value.trim();
  if (isBcryptHash(text)) return text;
  const lower = text.toLowerCase();
  if (isLegacyHash(lower)) return lower;
  if (/^[0-9a-f]{32}$/.test(lower)) return `md5:${lower}`;
  if (/^[0-9a-f]{40}$/.test(lower)) return `sha1:${lower}`;
  return undefined;
}

function legacyDigestMatches(password: string, algorithm: 'md5' | 'sha1', hex: string): boolean {
  const { createHash, timingSafeEqual } = require('node:crypto') as typeof import('node:crypto');
  const digest = createHash(algorithm).update(password, 'utf8').digest();
  const stored = Buffer.from(hex, 'hex');
  return digest.length === stored.length && timingSafeEqual(digest, stored);
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
