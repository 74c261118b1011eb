import type { Kysely, Transaction } from 'kysely';
import type { Database, ExtraFieldRow } from '../db/schema';
import {
  countFieldValues,
  deleteFieldDefinition,
  fieldExists,
  fieldsWithUsage,
  insertFieldDefinition,
  replaceStoredValue,
  storedValueCounts,
  updateFieldDefinition,
} from '../db/field-repository';
import { listExtraFields } from '../db/user-repository';
import { audit, type FieldChange } from './audit';
import { nowIso, type ServiceContext } from './context';
import { ConflictError, isRosterError, NotFoundError, UsageError, ValidationError } from '../shared/errors';
import { LIMITS, textProblem } from './validation';

export const FIELD_TYPES = ['text', 'number', 'date', 'boolean', 'choice'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface ExtraField {
  id: number;
  name: string;
  label: string;
  type: FieldType;
  choices: string[] | null;
  createdAt: string;
}

export type ExtraValue = string | number | boolean;

// The same rule as Chamilo's field variables: they double as import column names.
const FIELD_NAME = /^[a-z][a-z0-9_]{0,63}$/;

export function toExtraField(row: ExtraFieldRow): ExtraField {
  return {
    id: row.id,
    name: row.name,
    label: row.label,
    type: row.type as FieldType,
    choices: row.choices ? (JSON.parse(row.choices) as string[]) : null,
    createdAt: row.created_at,
  };
}

export async function loadFields(db: Kysely<Database> | Transaction<Database>): Promise<Map<string, ExtraField>> {
  const rows = await listExtraFields(db);
  return new Map(rows.map((r) => [r.name, toExtraField(r)]));
}

/** Canonical stored text for a value of the field's type; throws naming the field. */
export function canonicalValue(field: ExtraField, input: string): string {
  const text = input.trim();
  const fail = (message: string): never => {
    throw new ValidationError([{ field: field.name, message }]);
  };
  switch (field.type) {
    case 'text': {
      const problem = textProblem(text, LIMITS.extraText, { allowTab: true });
      if (problem) fail(problem);
      return text;
    }
    case 'number': {
      const n = Number(text);
      if (text === '' || !Number.isFinite(n)) fail(`"${input}" is not a number`);
      return String(n);
    }
    case 'date': {
      // A day, or a day with a time (Chamilo exports `2026-03-01 00:00:00`); the time is dropped.
      const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(text);
      const date = match ? new Date(`${match[1]}-${match[2]}-${match[3]}T00:00:00Z`) : undefined;
      if (!match || !date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== match[0].slice(0, 10)) {
        fail(`"${input}" is not a date (YYYY-MM-DD)`);
      }
      return match![0].slice(0, 10);
    }
    case 'boolean': {
      const key = text.toLowerCase();
      if (['1', 'true', 'yes', 'y', 'on'].includes(key)) return 'true';
      if (['0', 'false', 'no', 'n', 'off'].includes(key)) return 'false';
      return fail(`"${input}" is not a boolean (true/false, yes/no, 1/0)`);
    }
    case 'choice': {
      const choice = field.choices?.find((c) => c.toLowerCase() === text.toLowerCase());
      if (choice === undefined) fail(`"${input}" is not one of: ${(field.choices ?? []).join(', ')}`);
      return choice!;
    }
  }
}

/** The stored text as a JSON value of the field's type. */
export function typedValue(type: FieldType | undefined, stored: string): ExtraValue {
  if (type === 'number') return Number(stored);
  if (type === 'boolean') return stored === 'true';
  return stored;
}

export function requireField(fields: Map<string, ExtraField>, name: string): ExtraField {
  const field = fields.get(name.trim().toLowerCase());
  if (!field) {
    throw new NotFoundError(`no extra field "${name}"`, `define it first: roster field add ${name} --type text`);
  }
  return field;
}

/** Splits `name=value` as given to --field. */
export function parseFieldAssignment(text: string): { name: string; value: string } {
  const at = text.indexOf('=');
  if (at <= 0) throw new UsageError(`--field expects name=value, not "${text}"`);
  return { name: text.slice(0, at).trim().toLowerCase(), value: text.slice(at + 1) };
}

export interface NewFieldInput {
  name: string;
  label?: string;
  type: string;
  choices?: string[];
}

export async function addField(ctx: ServiceContext, input: NewFieldInput): Promise<ExtraField> {
  const name = input.name.trim().toLowerCase();
  if (!FIELD_NAME.test(name)) {
    throw new ValidationError([{ field: 'name', message: `"${input.name}" must start with a letter and hold only a-z, 0-9 and _ (at most 64)` }]);
  }
  if (!(FIELD_TYPES as readonly string[]).includes(input.type)) {
    throw new ValidationError([{ field: 'type', message: `"${input.type}" is not one of ${FIELD_TYPES.join(', ')}` }]);
  }
  const choices = (input.choices ?? []).map((c) => c.trim()).filter(Boolean);
  checkDefinition(input.type, input.label ?? '', choices);
  return ctx.db.kysely.transaction().execute(async (trx) => {
    if (await fieldExists(trx, name)) throw new ConflictError(`extra field "${name}" already exists`);
    const row = await insertFieldDefinition(trx, {
      name,
      label: input.label?.trim() || name,
      type: input.type,
      choices: input.type === 'choice' ? JSON.stringify(choices) : null,
      created_at: nowIso(ctx),
    });
    await audit(trx, ctx, 'field.add', null, { field: name, type: input.type });
    return toExtraField(row);
  });
}

/** The label and choices of a definition, and whether its type takes choices. */
function checkDefinition(type: string, label: string, choices: string[]): void {
  for (const [field, value] of [['label', label], ...choices.map((c) => ['choices', c] as const)] as const) {
    const problem = textProblem(value, LIMITS.label);
    if (problem) throw new ValidationError([{ field, message: problem }]);
  }
  if (type === 'choice' && choices.length === 0) {
    throw new ValidationError([{ field: 'choices', message: 'a choice field needs --choices a,b,c' }]);
  }
  if (type !== 'choice' && choices.length) {
    throw new ValidationError([{ field: 'choices', message: `only a choice field takes choices, not a ${type} field` }]);
  }
}

export interface FieldEdit {
  label?: string;
  type?: string;
  /** Replaces the choices of a choice field. */
  choices?: string[];
}

export interface FieldEditResult {
  field: ExtraField;
  changes: FieldChange[];
  /** Values users hold for the field, all checked against the new definition. */
  values: number;
  /** Stored values written again in the canonical form of the new type. */
  valuesRewritten: number;
}

const SHOWN_VALUES = 5;

/**
 * Changes a definition where the values users hold allow it: every stored
 * value must be valid under the new type and choices (it is then stored in
 * that type's canonical form), else nothing changes and the values that do
 * not fit are named.
 */
export async function editField(ctx: ServiceContext, name: string, edit: FieldEdit): Promise<FieldEditResult> {
  return ctx.db.kysely.transaction().execute(async (trx) => {
    const field = (await loadFields(trx)).get(name.trim().toLowerCase());
    if (!field) throw new NotFoundError(`no extra field "${name}"`, 'roster field list shows the defined fields');
    const type = edit.type ?? field.type;
    if (!(FIELD_TYPES as readonly string[]).includes(type))
      throw new ValidationError([{ field: 'type', message: `"${type}" is not one of ${FIELD_TYPES.join(', ')}` }]);
    const choices = edit.choices ? edit.choices.map((c) => c.trim()).filter(Boolean) : type === 'choice' ? (field.choices ?? []) : [];
    const label = edit.label?.trim() || field.label;
    checkDefinition(type, label, choices);
    const next: ExtraField = { ...field, label, type: type as FieldType, choices: type === 'choice' ? choices : null };

    const held = await storedValueCounts(trx, field.id);
    const rewrites = canonicalRewrites(field, next, held);
    let valuesRewritten = 0;
    for (const { from, to } of rewrites) valuesRewritten += await replaceStoredValue(trx, field.id, from, to);

    const changes: FieldChange[] = [];
    if (next.label !== field.label) changes.push({ field: 'label', before: field.label, after: next.label });
    if (next.type !== field.type) changes.push({ field: 'type', before: field.type, after: next.type });
    if (JSON.stringify(next.choices) !== JSON.stringify(field.choices)) changes.push({ field: 'choices', before: field.choices, after: next.choices });
    if (changes.length) {
      await updateFieldDefinition(trx, field.id, { label: next.label, type: next.type, choices: next.choices ? JSON.stringify(next.choices) : null });
      await audit(trx, ctx, 'field.edit', null, { field: field.name, changes, ...(valuesRewritten ? { valuesRewritten } : {}) });
    }
    return { field: next, changes, values: held.reduce((n, v) => n + v.users, 0), valuesRewritten };
  });
}

/** How each held value is stored under the new definition; refuses, naming them, the values that do not fit. */
function canonicalRewrites(before: ExtraField, after: ExtraField, held: { value: string; users: number }[]): { from: string; to: string }[] {
  const rewrites: { from: string; to: string }[] = [];
  const misfits: string[] = [];
  let misfitUsers = 0;
  let misfitValues = 0;
  for (const { value, users } of held) {
    try {
      const canonical = canonicalValue(after, value);
      if (canonical !== value) rewrites.push({ from: value, to: canonical });
    } catch (error) {
      if (!isRosterError(error)) throw error;
      misfitUsers += users;
      misfitValues++;
      if (misfits.length < SHOWN_VALUES) misfits.push(`"${value}" (${users} user(s)) ${error.message.replace(/^[^:]*: "[^"]*" /, '')}`);
    }
  }
  if (!misfits.length) return rewrites;
  const more = misfitValues > misfits.length ? `; and ${misfitValues - misfits.length} more value(s)` : '';
  if (after.type === 'choice' && before.type === 'choice') {
    const dropped = held.filter((h) => !after.choices!.some((c) => c.toLowerCase() === h.value.toLowerCase()));
    const first = dropped[0]!;
    throw new ConflictError(
      `extra field "${before.name}": ${dropped.map((d) => `${d.users} user(s) hold "${d.value}"`).join(', ')}, which the new choices leave out`,
      `keep the choice, or change those users first: roster edit --where-field ${before.name}=${first.value} --field ${before.name}=<choice>`,
    );
  }
  throw new ConflictError(
    `extra field "${before.name}" cannot become ${after.type === 'choice' ? `a choice of ${after.choices!.join(', ')}` : `a ${after.type} field`}: ${misfitUsers} user(s) hold values that do not fit: ${misfits.join('; ')}${more}`,
    `change or unset those values first (roster edit --where-field ${before.name}=<value> --field ${before.name}=<new value>), then edit the field`,
  );
}

export interface FieldUsage extends ExtraField {
  users: number;
}

export async function listFields(ctx: ServiceContext): Promise<FieldUsage[]> {
  const rows = await fieldsWithUsage(ctx.db.kysely);
  return rows.map((r) => ({ ...toExtraField(r), users: r.users }));
}

/** Removes a definition and its values. Refuses while users hold values, unless forced. */
export async function removeField(ctx: ServiceContext, name: string, force: boolean): Promise<{ field: string; valuesRemoved: number }> {
  return ctx.db.kysely.transaction().execute(async (trx) => {
    const field = (await loadFields(trx)).get(name.trim().toLowerCase());
    if (!field) throw new NotFoundError(`no extra field "${name}"`, 'roster field list shows the defined fields');
    const count = await countFieldValues(trx, field.id);
    if (count > 0 && !force) {
      throw new ConflictError(`extra field "${field.name}" holds values for ${count} user(s)`, 'pass --force to remove it with its values');
    }
    await deleteFieldDefinition(trx, field.id);
    await audit(trx, ctx, 'field.remove', null, { field: field.name, valuesRemoved: count });
    return { field: field.name, valuesRemoved: count };
  });
}
