import { confirmOrStop } from './confirm';
import type { CommandContext } from './context';
import { describeChange } from './describe-change';
import { line, paint } from './io';
import type { FieldChange } from '../core/audit';

/**
 * Courses and sessions are records named by a code or a name, which show,
 * edit and delete print alike. `kind` is their key in the JSON output.
 */
export type RecordKind = 'course' | 'session';

/** Label and value, a row each; an empty value as a dim dash. */
export function printFields(ctx: CommandContext, rows: [label: string, value: unknown][], width = 10): void {
  for (const [label, value] of rows) {
    const shown = value === null || value === undefined || value === '' ? paint(ctx.io, 'dim', '-') : String(value);
    line(ctx.io.stdout, `${paint(ctx.io, 'bold', label.padEnd(width))}${shown}`);
  }
}

/** A heading with its count, then an indented line per item. */
export function printList(ctx: CommandContext, heading: string, items: string[]): void {
  line(ctx.io.stdout, paint(ctx.io, 'bold', `${heading} (${items.length})`));
  for (const item of items) line(ctx.io.stdout, `  ${item}`);
}

/** What an edit changed, or that it changed nothing; `label` names the record as edited ('course C101'). */
export function printEdit(ctx: CommandContext, kind: RecordKind, label: string, edited: { record: unknown; changes: FieldChange[] }): void {
  const { record, changes } = edited;
  if (ctx.json) return line(ctx.io.stdout, JSON.stringify({ changed: changes.length ? 1 : 0, [kind]: record, changes }, null, 2));
  if (!changes.length) return line(ctx.io.stdout, `nothing changed for ${label}`);
  line(ctx.io.stdout, `${paint(ctx.io, 'green', 'changed')} ${label}:`);
  for (const change of changes) line(ctx.io.stdout, `  ${describeChange(change)}`);
}

export interface RecordDeletion<R> {
  kind: RecordKind;
  /** The record as the delete will find it, after the delete's own checks (it refuses enrolled users without --force). */
  check: () => Promise<R & { enrolled: { total: number } }>;
  /** How the result names it: 'course C101'. */
  label: (record: R) => string;
  /** How the question names it, when it says more: 'course C101 "Algebra"'. */
  question?: (record: R) => string;
  remove: () => Promise<{ record: R; unenrolled: number }>;
}

/** Asks (unless --yes), deletes, and says what was deleted and how many users were unenrolled with it. */
export async function deleteRecord<R>(ctx: CommandContext, deletion: RecordDeletion<R>): Promise<void> {
  const found = await deletion.check();
  const enrolled = found.enrolled.total ? ` and unenroll its ${found.enrolled.total} user(s)` : '';
  await confirmOrStop(ctx.io, ctx.yes, `Delete ${(deletion.question ?? deletion.label)(found)}${enrolled}?`);
  const { record, unenrolled } = await deletion.remove();
  if (ctx.json) return line(ctx.io.stdout, JSON.stringify({ changed: 1, [deletion.kind]: record, unenrolled }, null, 2));
  line(ctx.io.stdout, `${paint(ctx.io, 'green', 'deleted')} ${deletion.label(record)}${unenrolled ? `; ${unenrolled} user(s) unenrolled` : ''}`);
}
