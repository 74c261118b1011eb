import type { CommandRegistry } from '../cli/registry';
import { inContext, type CommandContext } from '../cli/context';
import { addFilterOptions, addOrderOptions, filterFromOptions } from '../cli/filters';
import { examples } from '../cli/options';
import { UsageError } from '../shared/errors';
import { addListOutputOptions, renderSelection, type ListOptions } from '../cli/user-list';

interface SearchOptions extends ListOptions {
  firstname?: string;
  lastname?: string;
  username?: string;
  email?: string;
  officialCode?: string;
}

export function register(commands: CommandRegistry): void {
  commands.add('search [keyword]', 'advanced search: the keyword is found in names, username, email or official code (any case, any accents)', (command) => {
    command
      .option('--firstname <text>', 'first name contains')
      .option('--lastname <text>', 'last name contains')
      .option('--username <text>', 'username contains')
      .option('--email <text>', 'email contains')
      .option('--official-code <text>', 'official code contains');
    addFilterOptions(command, { anonymized: true });
    addOrderOptions(command);
    addListOutputOptions(command);
    command.action(inContext((ctx, keyword: string | undefined, opts: SearchOptions) => runSearch(ctx, keyword, opts)));
    examples(command, ['roster search élodie', 'roster search dupont --role teacher --active', 'roster search --email @example.org --format count']);
  });
}

export async function runSearch(ctx: CommandContext, keyword: string | undefined, opts: SearchOptions): Promise<void> {
  const text = { keyword, firstname: opts.firstname, lastname: opts.lastname, username: opts.username, email: opts.email, officialCode: opts.officialCode };
  if (!Object.values(text).some((v) => v?.trim())) {
    throw new UsageError('search needs a keyword or one of --firstname, --lastname, --username, --email, --official-code', 'to see everyone, use roster list');
  }
  const filter = await filterFromOptions(opts, ctx.now());
  for (const [key, value] of Object.entries(text)) if (value?.trim()) (filter as Record<string, unknown>)[key] = value.trim();
  await renderSelection(ctx, filter, opts);
}
