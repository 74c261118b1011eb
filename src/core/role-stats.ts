import { liveRoleCounts } from '../db/user-repository';
import type { ServiceContext } from './context';
import { ROLES } from './roles';

/** How many live (not deleted, anonymized or system) users hold each role. */
export async function roleCounts(ctx: ServiceContext): Promise<{ role: string; users: number }[]> {
  const byRole = await liveRoleCounts(ctx.db.kysely);
  return ROLES.map((role) => ({ role, users: byRole.get(role) ?? 0 }));
}
