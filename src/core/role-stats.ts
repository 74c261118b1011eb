import type { ServiceContext } from './context';
import { ROLES } from './roles';

/** How many live (not deleted, not system) users hold each role. */
export async function roleCounts(ctx: ServiceContext): Promise<{ role: string; users: number }[]> {
  const rows = await ctx.db.kysely
    .selectFrom('user_role')
    .innerJoin('user', 'user.id', 'user_role.user_id')
    .select(['user_role.role', (eb) => eb.fn.countAll<number>().as('users')])
    .where('user.deleted_at', 'is', null)
    .where('user.is_system', '=', 0)
    .groupBy('user_role.role')
    .execute();
  const byRole = new Map(rows.map((r) => [r.role, Number(r.users)]));
  return ROLES.map((role) => ({ role, users: byRole.get(role) ?? 0 }));
}
