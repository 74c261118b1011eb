import type { CommandRegistry } from '../cli/registry';
import { inContext } from '../cli/context';
import { line } from '../cli/io';
import { examples } from '../cli/options';

export function register(commands: CommandRegistry): void {
  commands.add('config', 'platform settings kept in the database (base-url)', (config) => {
    examples(config, ['roster config set base-url https://campus.example.org', 'roster config get base-url']);
    const set = config
      .command('set <key> <value>')
      .description('set a setting')
      .action(inContext(async (ctx, key: string, value: string, _opts: unknown) => {
          const { setSetting } = await import('../core/settings');
          const change = await setSetting(ctx, key, value);
          if (ctx.json) return line(ctx.io.stdout, JSON.stringify(change, null, 2));
          line(ctx.io.stdout, change.before === change.after ? `${key} is already ${change.after}` : `${key}: ${change.before ?? '(not set)'} → ${change.after}`);
        }),
      );
    examples(set, ['roster config set base-url https://campus.example.org/', "roster config set base-url 'https://campus.example.org/login?as={user}&token={token}'"]);

    const get = config
      .command('get <key>')
      .description('print a setting (exit 3 when it is not set)')
      .action(inContext(async (ctx, key: string, _opts: unknown) => {
          const { requireSetting } = await import('../core/settings');
          const value = await requireSetting(ctx, key);
          line(ctx.io.stdout, ctx.json ? JSON.stringify({ key, value }) : value);
        }),
      );
    examples(get, ['roster config get base-url']);

    const unset = config
      .command('unset <key>')
      .description('remove a setting')
      .action(inContext(async (ctx, key: string, _opts: unknown) => {
          const { setSetting } = await import('../core/settings');
          const change = await setSetting(ctx, key, null);
          if (ctx.json) return line(ctx.io.stdout, JSON.stringify(change, null, 2));
          line(ctx.io.stdout, change.before === null ? `${key} was not set` : `${key}: ${change.before} → (not set)`);
        }),
      );
    examples(unset, ['roster config unset base-url']);

    const list = config
      .command('list')
      .description('every setting, set or not')
      .action(inContext(async (ctx, _opts: unknown) => {
          const { listSettings } = await import('../core/settings');
          const settings = await listSettings(ctx);
          if (ctx.json) return line(ctx.io.stdout, JSON.stringify(settings, null, 2));
          for (const s of settings) line(ctx.io.stdout, `${s.key} = ${s.value ?? '(not set)'}    # ${s.description}`);
        }),
      );
    examples(list, ['roster config list']);
  });
}
