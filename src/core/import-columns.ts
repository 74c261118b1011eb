import { CHAMILO_NAMES, STANDARD_COLUMNS, isIgnoredColumn, normaliseColumnName, standardColumn, type StandardColumn } from '../formats/columns';
import { UsageError, ValidationError } from '../shared/errors';
import type { ExtraField } from './fields';

/** What a column of the file gives. */
export type ColumnTarget = { kind: 'standard'; key: StandardColumn } | { kind: 'extra'; field: ExtraField } | { kind: 'ignore' };

export interface ColumnMap {
  /** `--map "Nom=lastname"`: a column of the file and what it gives. */
  column: string;
  target: string;
}

export interface ColumnMapping {
  /** Per column of the file; undefined for the unknown ones. */
  targets: (ColumnTarget | undefined)[];
  /** Columns that name nothing roster knows. */
  unknown: string[];
  /** --map entries naming a column the file does not have. */
  unusedMaps: string[];
}

export const REQUIRED_COLUMNS: StandardColumn[] = ['lastname', 'firstname', 'email', 'username'];

/** Parses `--map "Header=target"`. */
export function parseColumnMap(text: string): ColumnMap {
  const at = text.lastIndexOf('=');
  if (at <= 0) throw new UsageError(`--map expects "Column=target", not "${text}"`, 'e.g. --map "Nom=lastname" --map "Courriel=email"');
  return { column: text.slice(0, at).trim(), target: text.slice(at + 1).trim() };
}

/** What a --map target names: a standard column (any of its names), an extra field, or `ignore`. */
export function resolveTarget(target: string, fields: Map<string, ExtraField>): ColumnTarget {
  const name = target.trim();
  if (name === '' || name === '-' || name.toLowerCase() === 'ignore') return { kind: 'ignore' };
  const key = standardColumn(name);
  if (key) return { kind: 'standard', key };
  const field = findField(name.replace(/^extra\./i, ''), fields);
  if (field) return { kind: 'extra', field };
  throw new UsageError(`--map: "${target}" is not a column roster knows`, `use one of: ${targetNames(fields).join(', ')}, or ignore`);
}

/** Every name a column can be mapped to (for help and prompts). */
export function targetNames(fields: Map<string, ExtraField>): string[] {
  return [...STANDARD_COLUMNS.filter((k) => k !== 'id').map((k) => CHAMILO_NAMES[k]), ...fields.keys()];
}

function findField(column: string, fields: Map<string, ExtraField>): ExtraField | undefined {
  // extra.cohort: how list --json names the field cohort.
  const name = column.trim().replace(/^extra\./i, '');
  const exact = fields.get(name.toLowerCase());
  if (exact) return exact;
  const key = normaliseColumnName(name);
  for (const field of fields.values()) if (normaliseColumnName(field.name) === key) return field;
  return undefined;
}

/**
 * Decides what each column gives: --map first, then Chamilo's and
 * roster's names (ignoring case), then extra fields by name.
 */
export function mapColumns(columns: string[], fields: Map<string, ExtraField>, maps: ColumnMap[] = []): ColumnMapping {
  const byColumn = new Map<string, ColumnTarget>();
  for (const map of maps) byColumn.set(normaliseColumnName(map.column), resolveTarget(map.target, fields));
  const used = new Set<string>();
  const targets: (ColumnTarget | undefined)[] = [];
  const unknown: string[] = [];
  for (const column of columns) {
    const key = normaliseColumnName(column);
    const mapped = byColumn.get(key);
    if (mapped) {
      used.add(key);
      targets.push(mapped);
      continue;
    }
    const target = defaultTarget(column, fields);
    if (!target) unknown.push(column);
    targets.push(target);
  }
  const unusedMaps = maps.filter((m) => !used.has(normaliseColumnName(m.column))).map((m) => m.column);
  return { targets, unknown, unusedMaps };
}

function defaultTarget(column: string, fields: Map<string, ExtraField>): ColumnTarget | undefined {
  if (!column.trim()) return { kind: 'ignore' };
  if (/^extra\./i.test(column)) {
    const field = findField(column.slice(6), fields);
    return field ? { kind: 'extra', field } : undefined;
  }
  const key = standardColumn(column);
  if (key) return key === 'id' ? { kind: 'ignore' } : { kind: 'standard', key };
  const field = findField(column, fields);
  if (field) return { kind: 'extra', field };
  if (isIgnoredColumn(column)) return { kind: 'ignore' };
  return undefined;
}

/** Where each value is found, once the mapping is complete. */
export interface ColumnLayout {
  /** Index of the column giving each standard value. */
  standard: Partial<Record<StandardColumn, number>>;
  extras: { index: number; field: ExtraField }[];
  /** The file's name for each value, for messages. */
  labels: Map<string, string>;
}

/**
 * Checks the complete mapping: the required columns are present and no two
 * columns give the same value.
 */
export function layoutColumns(columns: string[], targets: (ColumnTarget | undefined)[], fileName: string): ColumnLayout {
  const standard: ColumnLayout['standard'] = {};
  const extras: ColumnLayout['extras'] = [];
  const labels = new Map<string, string>();
  const owner = new Map<string, string>();
  targets.forEach((target, index) => {
    if (!target || target.kind === 'ignore') return;
    const column = columns[index]!;
    const key = target.kind === 'standard' ? target.key : `extra:${target.field.name}`;
    const before = owner.get(key);
    if (before !== undefined) {
      const what = target.kind === 'standard' ? CHAMILO_NAMES[target.key] : `the extra field ${target.field.name}`;
      throw new ValidationError(
        `${fileName}: the columns "${before}" and "${column}" both give ${what}`,
        `drop one, or map one of them away: --map "${column}=ignore"`,
      );
    }
    owner.set(key, column);
    if (target.kind === 'standard') {
      standard[target.key] = index;
      labels.set(target.key, column);
    } else {
      extras.push({ index, field: target.field });
      labels.set(target.field.name, column);
    }
  });
  const missing = REQUIRED_COLUMNS.filter((key) => standard[key] === undefined);
  if (missing.length) {
    throw new ValidationError(
      `${fileName}: required column${missing.length > 1 ? 's' : ''} missing: ${missing.map((k) => CHAMILO_NAMES[k]).join(', ')}`,
      'every user needs LastName, FirstName, Email and UserName; name other headers with --map "Header=UserName"',
    );
  }
  return { standard, extras, labels };
}
