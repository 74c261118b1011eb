import {
  addField,
  canonicalValue,
  listFields,
  loadFields,
  parseFieldAssignment,
  removeField,
  requireField,
  typedValue,
  type ExtraField,
} from '../../src/core/fields';
import { addUser } from '../../src/core/users';
import { caught, tempContext, type TestContext } from './helpers';

const field = (type: ExtraField['type'], choices: string[] | null = null): ExtraField => ({
  id: 1,
  name: 'f',
  label: 'F',
  type,
  choices,
  createdAt: '2026-01-01T00:00:00.000Z',
});

describe('canonicalValue', () => {
  it.each([
    ['text', '  hello world ', 'hello world'],
    ['text', '', ''],
    ['number', '42', '42'],
    ['number', ' 3.50 ', '3.5'],
    ['number', '-7', '-7'],
    ['number', '1e3', '1000'],
    ['date', '2026-03-01', '2026-03-01'],
    ['date', '2024-02-29', '2024-02-29'],
    ['date', '2026-03-01 00:00:00', '2026-03-01'],
    ['date', '2026-03-01T10:30:00Z', '2026-03-01'],
    ['boolean', 'yes', 'true'],
    ['boolean', 'TRUE', 'true'],
    ['boolean', '1', 'true'],
    ['boolean', 'on', 'true'],
    ['boolean', 'No', 'false'],
    ['boolean', '0', 'false'],
    ['boolean', 'off', 'false'],
  ] as const)('%s %p is stored as %p', (type, input, stored) => {
    expect(canonicalValue(field(type), input)).toBe(stored);
  });

  it('stores a choice in its defined spelling, whatever the case given', () => {
    expect(canonicalValue(field('choice', ['North', 'south']), 'NORTH')).toBe('North');
    expect(canonicalValue(field('choice', ['North', 'south']), ' south ')).toBe('south');
  });

  it.each([
    ['number', 'abc', '"abc" is not a number'],
    ['number', '', '"" is not a number'],
    ['number', 'Infinity', '"Infinity" is not a number'],
    ['date', '2026-02-31', '"2026-02-31" is not a date (YYYY-MM-DD)'],
    ['date', '01/03/2026', '"01/03/2026" is not a date (YYYY-MM-DD)'],
    ['date', '2026-03-01garbage', '"2026-03-01garbage" is not a date (YYYY-MM-DD)'],
    ['boolean', 'maybe', '"maybe" is not a boolean (true/false, yes/no, 1/0)'],
  ] as const)('refuses %s %p with exit 5, naming the field', async (type, input, message) => {
    expect(await caught(() => canonicalValue(field(type), input))).toMatchObject({ name: 'ValidationError', exitCode: 5, message: `f: ${message}` });
  });

  it('refuses a choice that is not defined, listing the choices', async () => {
    expect((await caught(() => canonicalValue(field('choice', ['north', 'south']), 'east'))).message).toBe('f: "east" is not one of: north, south');
  });

  it('refuses text over 1000 characters', async () => {
    expect((await caught(() => canonicalValue(field('text'), 'x'.repeat(1001)))).message).toBe('f: is longer than 1000 characters');
  });
});

describe('typedValue', () => {
  it('gives JSON values of the field type', () => {
    expect(typedValue('number', '3.5')).toBe(3.5);
    expect(typedValue('boolean', 'true')).toBe(true);
    expect(typedValue('boolean', 'false')).toBe(false);
    expect(typedValue('date', '2026-03-01')).toBe('2026-03-01');
    expect(typedValue(undefined, 'x')).toBe('x');
  });
});

describe('parseFieldAssignment', () => {
  it('splits at the first = and lower-cases the name', () => {
    expect(parseFieldAssignment('cohort=2026')).toEqual({ name: 'cohort', value: '2026' });
    expect(parseFieldAssignment(' Campus =North')).toEqual({ name: 'campus', value: 'North' });
    expect(parseFieldAssignment('motto=a=b')).toEqual({ name: 'motto', value: 'a=b' });
    expect(parseFieldAssignment('note=')).toEqual({ name: 'note', value: '' });
  });

  it.each(['cohort', '=2026', ''])('refuses %p as a usage error', async (text) => {
    expect(await caught(() => parseFieldAssignment(text))).toMatchObject({ exitCode: 2, message: `--field expects name=value, not "${text}"` });
  });
});

describe('field definitions', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await tempContext();
  });
  afterAll(() => ctx.cleanup());

  it('adds fields of every type, with an audit row each', async () => {
    expect(await addField(ctx, { name: 'Cohort', type: 'number', label: ' Cohort year ' })).toMatchObject({
      name: 'cohort',
      label: 'Cohort year',
      type: 'number',
      choices: null,
      createdAt: '2026-03-01T12:00:00.000Z',
    });
    expect(await addField(ctx, { name: 'campus', type: 'choice', choices: [' north', 'south ', ''] })).toMatchObject({
      name: 'campus',
      label: 'campus',
      choices: ['north', 'south'],
    });
    await addField(ctx, { name: 'alumni', type: 'boolean' });
    await addField(ctx, { name: 'born_on', type: 'date' });
    await addField(ctx, { name: 'motto', type: 'text' });
    const audit = await ctx.rows<{ details: string; actor: string; user_id: null }>(
      "SELECT action, actor, user_id, details FROM audit_log WHERE action = 'field.add' ORDER BY id",
    );
    expect(audit).toHaveLength(5);
    expect(audit[0]).toMatchObject({ actor: 'unit-tester', user_id: null });
    expect(JSON.parse(audit[0]!.details)).toEqual({ field: 'cohort', type: 'number' });
  });

  it.each([
    [{ name: '1st', type: 'text' }, 5, 'name: "1st" must start with a letter'],
    [{ name: 'has-dash', type: 'text' }, 5, 'name: "has-dash" must start with a letter'],
    [{ name: 'x'.repeat(65), type: 'text' }, 5, 'must start with a letter'],
    [{ name: 'size', type: 'integer' }, 5, 'type: "integer" is not one of text, number, date, boolean, choice'],
    [{ name: 'size', type: 'choice' }, 5, 'choices: a choice field needs --choices a,b,c'],
    [{ name: 'size', type: 'text', choices: ['a'] }, 5, 'choices: only a choice field takes choices, not a text field'],
    [{ name: 'COHORT', type: 'text' }, 4, 'extra field "cohort" already exists'],
  ])('refuses %p', async (input, exitCode, message) => {
    const error = await caught(addField(ctx, input));
    expect(error.exitCode).toBe(exitCode);
    expect(error.message).toContain(message);
  });

  it('lists the fields with how many users hold a value', async () => {
    await addUser(ctx, {
      firstname: 'A',
      lastname: 'B',
      email: 'a@example.org',
      username: 'a',
      roles: ['student'],
      password: 'long enough',
      fields: [{ name: 'cohort', value: '2026' }],
    });
    const fields = await listFields(ctx);
    expect(fields.map((f) => [f.name, f.users])).toEqual([
      ['alumni', 0],
      ['born_on', 0],
      ['campus', 0],
      ['cohort', 1],
      ['motto', 0],
    ]);
  });

  it('finds a field by name whatever its case, or says how to define it', async () => {
    const fields = await loadFields(ctx.db.kysely);
    expect(requireField(fields, ' COHORT ').name).toBe('cohort');
    expect(await caught(() => requireField(fields, 'shoe_size'))).toMatchObject({
      exitCode: 3,
      message: 'no extra field "shoe_size"',
      suggestion: 'define it first: roster field add shoe_size --type text',
    });
  });

  it('refuses to remove a field that holds values, unless forced', async () => {
    expect(await caught(removeField(ctx, 'cohort', false))).toMatchObject({ exitCode: 4, message: 'extra field "cohort" holds values for 1 user(s)' });
    expect(await ctx.row('SELECT count(*) AS n FROM user_extra_value')).toEqual({ n: 1 });
    expect(await removeField(ctx, 'cohort', true)).toEqual({ field: 'cohort', valuesRemoved: 1 });
    expect(await ctx.row('SELECT count(*) AS n FROM user_extra_value')).toEqual({ n: 0 });
    expect(await removeField(ctx, 'motto', false)).toEqual({ field: 'motto', valuesRemoved: 0 });
    expect((await caught(removeField(ctx, 'motto', false))).exitCode).toBe(3);
    const details = await ctx.rows<{ details: string }>("SELECT details FROM audit_log WHERE action = 'field.remove' ORDER BY id");
    expect(details.map((d) => JSON.parse(d.details))).toEqual([
      { field: 'cohort', valuesRemoved: 1 },
      { field: 'motto', valuesRemoved: 0 },
    ]);
  });
});
