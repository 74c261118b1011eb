import type { FieldChange } from '../core/audit';

/** One change as `field: before → after`, the way edit, field edit and show print them. */
export function describeChange(change: FieldChange): string {
  const name = change.field.replace(/_/g, '-');
  if (change.secret) return `${name}: changed`;
  if (change.erased) return `${name}: changed (values erased by anonymization)`;
  return `${name}: ${show(change.before)} → ${show(change.after)}`;
}

function show(value: unknown): string {
  if (value === null || value === undefined || value === '') return '(none)';
  if (Array.isArray(value)) return value.length ? value.join(', ') : '(none)';
  return String(value);
}
