import type { CommandContext } from './context';
import { line, paint } from './io';
import type { SessionCoursesResult, TrainingSession } from '../core/sessions';

export function renderSessionCourses(ctx: CommandContext, result: SessionCoursesResult, done: string, already: string): void {
  if (ctx.json) {
    line(
      ctx.io.stdout,
      JSON.stringify({ changed: result.changed.length, [done]: result.changed, unchanged: result.unchanged, session: result.session }, null, 2),
    );
    return;
  }
  const name = `session "${result.session.name}"`;
  if (result.changed.length) line(ctx.io.stdout, `${paint(ctx.io, 'green', done)} ${result.changed.join(', ')} (${name})`);
  if (result.unchanged.length) line(ctx.io.stdout, `unchanged: ${result.unchanged.join(', ')} (${already})`);
}

export function sessionPeriod(s: TrainingSession): string {
  return `${s.startsOn.slice(0, 10)} → ${s.endsOn.slice(0, 10)}`;
}

export function sessionCourseCodes(s: TrainingSession): string {
  return s.courses.map((c) => c.code).join(', ');
}
