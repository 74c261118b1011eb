/**
 * Typed errors thrown by the core. Each carries the exit code of the contract
 * (see README "Exit codes"); the CLI turns them into one line on stderr.
 */
export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  notFound: 3,
  conflict: 4,
  invalid: 5,
  partial: 6,
  notConfirmed: 7,
  busy: 8,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class RosterError extends Error {
  abstract readonly exitCode: ExitCodeValue;
  /** What the user can do about it, printed after the message. */
  readonly suggestion?: string;

  constructor(message: string, suggestion?: string) {
    super(message);
    this.name = new.target.name;
    this.suggestion = suggestion;
  }
}

export class UsageError extends RosterError {
  readonly exitCode = ExitCode.usage;
}

export class NotFoundError extends RosterError {
  readonly exitCode = ExitCode.notFound;
}

export class ConflictError extends RosterError {
  readonly exitCode = ExitCode.conflict;
}

export class ValidationError extends RosterError {
  readonly exitCode = ExitCode.invalid;
  /** Individual problems, each naming its field. */
  readonly problems: readonly FieldProblem[];

  constructor(problems: FieldProblem[] | string, suggestion?: string) {
    const list = typeof problems === 'string' ? [{ field: '', message: problems }] : problems;
    super(list.map(formatProblem).join('; '), suggestion);
    this.problems = list;
  }
}

export class NotConfirmedError extends RosterError {
  readonly exitCode = ExitCode.notConfirmed;
}

/** The system failed under roster (a full disk, an I/O error): not a bug, but exit 1. */
export class SystemError extends RosterError {
  readonly exitCode = ExitCode.internal;
}

/** Another process held the database past the wait: nothing was changed, try again. */
export class BusyError extends RosterError {
  readonly exitCode = ExitCode.busy;
}

/** A batch finished but some items failed; the result is still rendered. */
export class PartialFailureError extends RosterError {
  readonly exitCode = ExitCode.partial;
}

export interface FieldProblem {
  field: string;
  message: string;
}

function formatProblem(problem: FieldProblem): string {
  return problem.field ? `${problem.field}: ${problem.message}` : problem.message;
}

export function isRosterError(error: unknown): error is RosterError {
  return error instanceof RosterError;
}
