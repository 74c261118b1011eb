import { ValidationError } from '../shared/errors';

/**
 * The core never reads the system clock directly, so that unit tests can pass
 * a fixed one. A real run always uses the system clock: no variable or option
 * changes it (a backdated audit row or an expiry in 2100 must not be possible).
 */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` (Chamilo) or full ISO 8601 into
 * an ISO UTC string. Dates without a zone are taken as UTC so that the same
 * file imports the same on every machine.
 */
export function parseDate(input: string, field: string): string {
  const text = input.trim();
  let normalized: string | undefined;
  if (DATE_ONLY.test(text)) normalized = `${text}T00:00:00Z`;
  else if (DATE_TIME.test(text)) {
    normalized = text.replace(' ', 'T');
    if (!/(Z|[+-]\d{2}:?\d{2})$/.test(normalized)) normalized += 'Z';
  }
  const time = normalized === undefined ? NaN : Date.parse(normalized);
  if (Number.isNaN(time) || !sameCalendarDay(text, time)) {
    throw new ValidationError([{ field, message: `"${input}" is not a date; use YYYY-MM-DD or an ISO 8601 date-time` }]);
  }
  return new Date(time).toISOString();
}

/** Rejects 2026-02-31, which Date.parse silently rolls over into March. */
function sameCalendarDay(text: string, time: number): boolean {
  const day = text.slice(0, 10);
  if (!/(Z|[+-]\d{2}:?\d{2})$/.test(text)) return new Date(time).toISOString().slice(0, 10) === day;
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  return month >= 1 && month <= 12 && date >= 1 && date <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * An expiration date, or `never` (null: no expiration). "Deactivate after
 * 2026-11-29" keeps the account usable through that whole day (UTC), so a
 * bare date means its last millisecond.
 */
export function parseExpiry(input: string, field: string): string | null {
  if (input.trim().toLowerCase() === 'never') return null;
  if (DURATION.test(input.trim())) {
    throw new ValidationError([
      { field, message: `"${input}" is a duration; an expiration this long from now is written +${input.trim()} (or give a date, or never)` },
    ]);
  }
  let iso: string;
  try {
    iso = parseDate(input, field);
  } catch {
    throw new ValidationError([{ field, message: `"${input}" is not a date; use YYYY-MM-DD, an ISO 8601 date-time, +90d (that long from now) or never` }]);
  }
  return DATE_ONLY.test(input.trim()) ? iso.replace('T00:00:00.000Z', 'T23:59:59.999Z') : iso;
}

const DURATION = /^(\d+)\s*(m|min|h|d|w|y)$/i;
const UNIT_MS: Record<string, number> = {
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  y: 365 * 86_400_000,
};

/** Parses `30d`, `12h`, `2w`, `15m` into milliseconds. */
export function parseDuration(input: string, field: string): number {
  const match = DURATION.exec(input.trim());
  if (!match) {
    throw new ValidationError([{ field, message: `"${input}" is not a duration; use a number and a unit, e.g. 30d, 12h, 2w, 15m` }]);
  }
  const ms = Number(match[1]) * UNIT_MS[match[2]!.toLowerCase()]!;
  // Dates run out long before numbers do: a date so far off is a typo, not a plan.
  if (ms > MAX_DURATION_MS) throw new ValidationError([{ field, message: `"${input}" is longer than 1000 years` }]);
  return ms;
}

const MAX_DURATION_MS = 1000 * 365 * 86_400_000;

/**
 * How long an account must have gone unused before it counts as dormant.
 * At least a day: `6m` (six minutes, not months) would sweep away every
 * account not used in the last minutes, and expiry never asks first.
 */
export function parseDormancy(input: string, field: string): number {
  if (!DURATION.test(input.trim())) {
    throw new ValidationError([{ field, message: `"${input}" is not a duration; dormancy is counted in days, weeks or years, e.g. 180d, 26w, 1y` }]);
  }
  const ms = parseDuration(input, field);
  if (ms < UNIT_MS.d!) {
    throw new ValidationError([{ field, message: `"${input}" is shorter than a day; dormancy is counted in days or weeks, e.g. 180d, 26w, 1y` }]);
  }
  return ms;
}

/** A point in time given either as a date or as a duration back from now. */
/**
 * An expiration given as a duration from now (`+90d`, as `chage -E` takes
 * dates relative to today), as an ISO date; any other text is returned as
 * it is, for parseExpiry.
 */
export function resolveRelativeExpiry(input: string, field: string, now: Date): string {
  const text = input.trim();
  if (!text.startsWith('+')) return input;
  return new Date(now.getTime() + parseDuration(text.slice(1), field)).toISOString();
}

/** A number of days ahead: `7d`, `2w` (one duration syntax), or a bare `7` (days, as before). */
export function parseDaysAhead(input: string, field: string): number {
  const text = input.trim();
  const ms = /^\d+$/.test(text) ? Number(text) * UNIT_MS.d! : parseDuration(text, field);
  if (ms < UNIT_MS.d!) throw new ValidationError([{ field, message: `"${input}" is shorter than a day; use 7d, 2w…` }]);
  return ms;
}

/** A date, or `+7d`: this long from now (a bare duration would read as "ago" and is refused). */
export function parseDateOrAhead(input: string, field: string, now: Date): string {
  const text = input.trim();
  if (text.startsWith('+')) return new Date(now.getTime() + parseDuration(text.slice(1), field)).toISOString();
  if (DURATION.test(text)) throw new ValidationError([{ field, message: `"${input}" is a duration; within the next ${text} is written +${text}` }]);
  return parseDate(input, field);
}

export function parseDateOrAgo(input: string, field: string, now: Date): string {
  if (DURATION.test(input.trim())) return new Date(now.getTime() - parseDuration(input, field)).toISOString();
  try {
    return parseDate(input, field);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new ValidationError([
      { field, message: `"${input}" is neither a date nor a duration; use YYYY-MM-DD, an ISO 8601 date-time, or a duration such as 30d, 12h, 6w` },
    ]);
  }
}
