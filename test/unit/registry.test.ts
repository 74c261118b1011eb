import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/program';
import { FdOutput } from '../../src/cli/io';
import { isStub } from '../../src/cli/registry';

/** Parses argv as roster would, with the help it prints kept here; resolves to the commands defined in full. */
async function definedAfter(argv: string[]): Promise<{ defined: string[]; printed: string; error: unknown }> {
  let printed = '';
  const write = jest.spyOn(FdOutput.prototype, 'write').mockImplementation((text: string) => ((printed += text), true));
  const program = buildProgram();
  let error: unknown;
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (thrown) {
    error = thrown;
  } finally {
    write.mockRestore();
  }
  const defined = program.commands.filter((c: Command) => !isStub(c) && c.name() !== 'help').map((c) => c.name());
  return { defined, printed, error };
}

describe('commands defined on demand', () => {
  it('lists every command, with its arguments, and defines none for the program help', async () => {
    const program = buildProgram();
    const names = program.commands.map((c) => c.name());
    expect(names).toEqual(expect.arrayContaining(['list', 'search', 'show', 'add', 'edit', 'import', 'export', 'course', 'session', 'db', 'audit', 'help']));
    const help = program.helpInformation();
    expect(help).toMatch(/\n {2}show <user> +every detail of a user/);
    expect(help).toMatch(/\n {2}activate \[users\.\.\.\] +re-enable accounts/);
    expect(help).toMatch(/\n {2}import <file> +import users/);
    expect(help).toMatch(/\n {2}export \[file\] +export users/);
    expect(help).toMatch(/\n {2}help \[command\.\.\.\] +the help of a command/);
    expect((await definedAfter(['--help'])).defined).toEqual([]);
  });

  it.each([
    [['show', '--help'], ['show'], 'Usage: roster show'],
    [['--db', 'show', 'list', '--help'], ['list'], 'Usage: roster list'],
    [['--db=/tmp/x.db', '--json', 'search', '--help'], ['search'], 'Usage: roster search'],
    [['--actor', 'help', '-y', 'course', 'add', '--help'], ['course'], 'Usage: roster course add'],
    [['help', 'edit'], ['edit'], '--add-role'],
    [['--json', 'help', 'db', 'backup'], ['db'], 'Usage: roster db backup'],
    [['--db', 'x.db', 'help', 'course', 'add'], ['course'], '--title <title>'],
  ])('argv %p defines %p and shows its help', async (argv, expected, text) => {
    const { defined, printed, error } = await definedAfter(argv);
    expect(defined).toEqual(expected);
    expect(printed).toContain(text);
    expect(error).toMatchObject({ code: 'commander.helpDisplayed', exitCode: 0 });
  });

  it('help alone shows the program help; help of an unknown name is an unknown command', async () => {
    expect((await definedAfter(['help'])).printed).toContain('Usage: roster [options] [command]');
    expect((await definedAfter(['help', 'lst'])).error).toMatchObject({ code: 'commander.unknownCommand' });
    expect((await definedAfter(['help', 'course', 'ad'])).error).toMatchObject({ code: 'commander.unknownCommand' });
  });

  it('defines the command that commander dispatches to, before it reads its arguments', async () => {
    const program = buildProgram();
    const show = program.commands.find((c) => c.name() === 'show')!;
    expect(isStub(show)).toBe(true);
    let stderr = '';
    show.configureOutput({ writeErr: (text) => (stderr += text) });
    // A usage error stops before the action: no database is opened.
    await expect(program.parseAsync(['node', 'roster', 'show'])).rejects.toMatchObject({ code: 'commander.missingArgument' });
    expect(isStub(show)).toBe(false);
    expect(stderr).toContain("missing required argument 'user'");
  });
});
