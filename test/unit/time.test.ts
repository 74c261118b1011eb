import { parseDate, parseDateOrAgo, parseDuration, systemClock } from '../../src/core/time';
import { caught } from './helpers';

describe('parseDate', () => {
  it.each([
    ['2026-03-01', '2026-03-01T00:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['2026-03-01 14:30:00', '2026-03-01T14:30:00.000Z'],
    ['2026-03-01T14:30', '2026-03-01T14:30:00.000Z'],
    ['2026-03-01T14:30:15.250Z', '2026-03-01T14:30:15.250Z'],
    ['2026-03-01T14:30:00+02:00', '2026-03-01T12:30:00.000Z'],
    ['2026-03-01T01:00:00-0500', '2026-03-01T06:00:00.000Z'],
    ['  2026-12-31  ', '2026-12-31T00:00:00.000Z'],
  ])('reads %p as %p (no zone means UTC)', (input, iso) => {
    expect(parseDate(input, 'expires')).toBe(iso);
  });

  it.each([
    '2026-02-31',
    '2026-02-29',
    '2026-13-01',
    '2026-00-10',
    '2026-04-31',
    '2026-02-31T10:00:00Z',
    '2026-02-30 08:00:00',
    '31/12/2026',
    '2026-1-5',
    'tomorrow',
    '',
    '2026-03-01T25:00',
  ])('refuses %p, naming the field', async (input) => {
    const error = await caught(() => parseDate(input, 'expires'));
    expect(error).toMatchObject({ name: 'ValidationError', exitCode: 5 });
    expect(error.message).toBe(`expires: "${input}" is not a date; use YYYY-MM-DD or an ISO 8601 date-time`);
  });
});

describe('parseDuration', () => {
  it.each([
    ['30d', 30 * 86_400_000],
    ['12h', 12 * 3_600_000],
    ['2w', 14 * 86_400_000],
    ['15m', 15 * 60_000],
    ['15min', 15 * 60_000],
    ['1y', 365 * 86_400_000],
    ['7D', 7 * 86_400_000],
    ['0d', 0],
  ])('reads %p', (input, ms) => {
    expect(parseDuration(input, '--inactive-since')).toBe(ms);
  });

  it.each(['30', 'd', '30x', '-3d', '1.5d', 'thirty days', ''])('refuses %p', async (input) => {
    const error = await caught(() => parseDuration(input, '--inactive-since'));
    expect(error).toMatchObject({ exitCode: 5 });
    expect(error.message).toContain('--inactive-since: ');
    expect(error.message).toContain('is not a duration');
  });
});

describe('parseDateOrAgo', () => {
  const now = new Date('2026-03-31T12:00:00Z');
  it('takes a duration back from now, or a date as is', () => {
    expect(parseDateOrAgo('30d', '--since', now)).toBe('2026-03-01T12:00:00.000Z');
    expect(parseDateOrAgo('12h', '--since', now)).toBe('2026-03-31T00:00:00.000Z');
    expect(parseDateOrAgo('2026-01-15', '--since', now)).toBe('2026-01-15T00:00:00.000Z');
  });

  it('refuses what is neither, naming the option', async () => {
    const error = await caught(() => parseDateOrAgo('soon', '--since', now));
    expect(error.message).toBe('--since: "soon" is neither a date nor a duration; use YYYY-MM-DD, an ISO 8601 date-time, or a duration such as 30d, 12h, 6w');
  });
});

describe('clocks', () => {
  it('the system clock is the real time', () => {
    expect(Math.abs(systemClock().getTime() - Date.now())).toBeLessThan(1000);
  });
});
