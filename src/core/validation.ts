import type { FieldProblem } from './errors';

export const LIMITS = {
  username: 100,
  email: 100,
  name: 100,
  officialCode: 50,
  phone: 50,
  picture: 1000,
} as const;

// Letters (any script), digits and . _ - @, as Chamilo allows.
const USERNAME = /^[\p{L}\p{N}._@-]+$/u;
// Deliberately simple: one @, no spaces, a dot in the domain. Mail servers decide the rest.
const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:".]{2,}$/u;

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
  if (value.length > LIMITS.username) problems.add(field, `is longer than ${LIMITS.username} characters`);
  if (!USERNAME.test(value)) {
    problems.add(field, `"${value}" may contain only letters, digits and . _ - @`);
  }
}

export function checkEmail(value: string, problems: Problems, field = 'email'): void {
  if (!value) return problems.add(field, 'is required');
  if (value.length > LIMITS.email) problems.add(field, `is longer than ${LIMITS.email} characters`);
  else if (!EMAIL.test(value)) problems.add(field, `"${value}" is not a valid email address`);
}

export function checkName(value: string, problems: Problems, field: string): void {
  if (!value.trim()) return problems.add(field, 'is required');
  if (value.length > LIMITS.name) problems.add(field, `is longer than ${LIMITS.name} characters`);
  checkInvisible(value, problems, field);
}

export function checkOptionalText(value: string | null | undefined, limit: number, problems: Problems, field: string): void {
  if (value == null) return;
  if (value.length > limit) problems.add(field, `is longer than ${limit} characters`);
  checkInvisible(value, problems, field);
}

/** Control characters, and the text-direction overrides that make a name display as another. */
function checkInvisible(value: string, problems: Problems, field: string): void {
  if (/[\p{Cc}]/u.test(value)) problems.add(field, 'contains control characters');
  if (/[\u202A-\u202E\u2066-\u2069]/u.test(value)) problems.add(field, 'contains text-direction control characters (U+202A-U+202E, U+2066-U+2069), which make it display as something else');
}

/** The form under which usernames and emails are compared: case-insensitive, Unicode-aware. */
export function identityKey(value: string): string {
  return value.normalize('NFC').toLowerCase();
}

/**
 * Lower case without accents: how names are sorted (Ångström among the A,
 * Élodie among the E, "de Vries" among the D) and how short searches compare.
 */
export function foldedKey(value: string): string {
  return value.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** Fewer than 8 characters: accepted, but reported as a warning. */
export function isWeakPassword(password: string): boolean {
  return password.length < 8;
}
