import type { FieldProblem } from '../shared/errors';
import { describeCharacter, firstUnsafeCharacter } from './unsafe-text';

export const LIMITS = {
  username: 100,
  email: 100,
  name: 100,
  officialCode: 50,
  phone: 50,
  picture: 1000,
  authSource: 50,
  extraText: 1000,
  reason: 500,
  label: 200,
  actor: 100,
  url: 2000,
} as const;

// Letters (any script), digits and . _ - @, as Chamilo allows.
const USERNAME = /^[\p{L}\p{N}._@-]+$/u;
// Deliberately simple: one @, no spaces, a domain of letters (any script), digits and hyphens in
// dot-separated labels. Mail servers decide the rest.
const EMAIL = /^[^\s@<>(),;:"[\]\\]+@(?:[\p{L}\p{N}_-]+\.)+[\p{L}\p{N}-]{2,}$/u;

/** Collects problems instead of stopping at the first, so a person sees them all at once. */
export class Problems {
  readonly list: FieldProblem[] = [];
  add(field: string, message: string): void {
    this.list.push({ field, message });
  }
  get empty(): boolean {
    return this.list.length === 0;
  }
}

export function checkUsername(value: string, problems: Problems, field = 'username'): void {
  if (!value) return problems.add(field, 'is required');
  if (value.length > LIMITS.username) return problems.add(field, `is longer than ${LIMITS.username} characters`);
  if (!checkSafe(value, problems, field)) return;
  if (!USERNAME.test(value)) return problems.add(field, `"${value}" may contain only letters, digits and . _ - @`);
  // `-y`, `--yes` or `-` would read as an option (or as standard input) on every command line.
  if (value.startsWith('-')) problems.add(field, `"${value}" may not start with "-": it would read as an option`);
}

export function checkEmail(value: string, problems: Problems, field = 'email'): void {
  if (!value) return problems.add(field, 'is required');
  if (value.length > LIMITS.email) return problems.add(field, `is longer than ${LIMITS.email} characters`);
  if (!checkSafe(value, problems, field)) return;
  if (!EMAIL.test(value)) problems.add(field, `"${value}" is not a valid email address`);
  else if (value.startsWith('-')) problems.add(field, `"${value}" may not start with "-": it would read as an option`);
}

export function checkName(value: string, problems: Problems, field: string): void {
  if (!value.trim()) return problems.add(field, 'is required');
  if (value.length > LIMITS.name) return problems.add(field, `is longer than ${LIMITS.name} characters`);
  checkSafe(value, problems, field);
}

export function checkOptionalText(
  value: string | null | undefined,
  limit: number,
  problems: Problems,
  field: string,
  options: { allowTab?: boolean } = {},
): void {
  if (value == null) return;
  if (value.length > limit) return problems.add(field, `is longer than ${limit} characters`);
  checkSafe(value, problems, field, options);
}

/**
 * Control characters (which can clear or retitle a terminal) and invisible
 * ones (text-direction overrides, zero-width characters, which make a value
 * display as another) are refused in every stored text. True when safe.
 */
export function checkSafe(value: string, problems: Problems, field: string, options: { allowTab?: boolean } = {}): boolean {
  const unsafe = firstUnsafeCharacter(value, options);
  if (unsafe === undefined) return true;
  problems.add(field, `contains ${describeCharacter(unsafe)}; remove it`);
  return false;
}

/** The same checks (length, then characters) as a message, for callers that throw their own error. */
export function textProblem(value: string, limit: number, options: { allowTab?: boolean } = {}): string | undefined {
  if (value.length > limit) return `is longer than ${limit} characters`;
  const unsafe = firstUnsafeCharacter(value, options);
  return unsafe === undefined ? undefined : `contains ${describeCharacter(unsafe)}; remove it`;
}

/** bcrypt reads the first 72 bytes of a password and ignores the rest. */
export const MAX_PASSWORD_BYTES = 72;

/**
 * Why a password cannot be used, or undefined: over 72 bytes, bcrypt would
 * accept any password that shares the first 72.
 */
export function passwordProblem(password: string): string | undefined {
  const bytes = Buffer.byteLength(password, 'utf8');
  if (bytes <= MAX_PASSWORD_BYTES) return undefined;
  return `is ${bytes} bytes long (UTF-8); bcrypt uses only the first ${MAX_PASSWORD_BYTES} bytes, so give one of at most ${MAX_PASSWORD_BYTES}`;
}

/** Fewer than 8 characters: accepted, but reported as a warning. */
export function isWeakPassword(password: string): boolean {
  return password.length < 8;
}

/** The warning of a weak password (set by add, edit or import): said, not refused, as Chamilo does. */
export const WEAK_PASSWORD_WARNING = 'the password is weak (fewer than 8 characters)';
