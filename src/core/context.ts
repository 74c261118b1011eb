import type { RosterDb } from '../db/database';
import type { Clock } from './time';

/** What every service needs: the database, the time, and who is acting (for the audit log). */
export interface ServiceContext {
  readonly db: RosterDb;
  readonly now: Clock;
  readonly actor: string;
}

export function nowIso(ctx: Pick<ServiceContext, 'now'>): string {
  return ctx.now().toISOString();
}
