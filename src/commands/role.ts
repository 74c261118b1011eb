import type { CommandRegistry } from '../cli/registry';
import { inContext } from '../cli/context';
import { line } from '../cli/io';
import { examples } from '../cli/options';

export function register(commands: CommandRegistry): void {
  commands.add('role', 'the platform roles', (role) => {
    examples(role, ['roster role list', 'roster list --role teacher']);
    const list = role
      .command('list')
      .description('each role and how many users hold it')
      .action(inContext(async (ctx, _opts: unknown) => {
          const { roleCounts } = await import('../core/role-stats');
          const counts = await roleCounts(ctx);
          if (ctx.json) return line(ctx.io.stdout, JSON.stringify(counts, null, 2));
          const width = Math.max(...counts.map((c) => c.role.length));
          for (const c of counts) line(ctx.io.stdout, `${c.role.padEnd(width)}  ${c.users}`);
        }),
      );
    examples(list, ['roster role list', 'roster role list --json']);
  });
}
