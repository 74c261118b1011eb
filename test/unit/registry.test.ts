import { buildProgram } from '../../src/cli/program';
import { helpAsFlag, isStub } from '../../src/cli/registry';

/** Names of the commands defined in full. */
function defined(argv: string[]): string[] {
  const program = buildProgram(['node', 'roster', ...argv]);
  return program.commands.filter((c) => !isStub(c)).map((c) => c.name());
}

describe('commands defined on demand', () => {
  it('lists every command, with its arguments, and defines none for the program help', () => {
    const program = buildProgram(['node', 'roster', '--help']);
    const names = program.commands.map((c) => c.name());
    expect(names).toEqual(expect.arrayContaining(['list', 'search', 'show', 'add', 'edit', 'import', 'export', 'course', 'session', 'db', 'audit']));
    expect(defined(['--help'])).toEqual([]);
    const help = program.helpInformation();
    expect(help).toMatch(/\n {2}show <user> +every detail of a user/);
    expect(help).toMatch(/\n {2}activate \[users\.\.\.\] +re-enable accounts/);
    expect(help).toMatch(/\n {2}import <file> +import users/);
    expect(help).toMatch(/\n {2}export \[file\] +export users/);
  });

  it.each([
    [['show', 'ada'], ['show']],
    [['--db', 'show', 'list'], ['list']],
    [['--db=/tmp/x.db', '--json', 'search', 'ada'], ['search']],
    [['--actor', 'help', '-y', 'course', 'add', 'X'], ['course']],
    [['help', 'edit'], ['edit']],
    [['--json', 'help', 'db'], ['db']],
    [['--', 'audit'], ['audit']],
    [['nonsense'], []],
  ])('argv %p defines %p', (argv, expected) => {
    expect(defined(argv)).toEqual(expected);
  });

  it('defines a command that the scan missed when commander dispatches to it', async () => {
    const program = buildProgram(['node', 'roster']);
    const show = program.commands.find((c) => c.name() === 'show')!;
    expect(isStub(show)).toBe(true);
    let stderr = '';
    show.configureOutput({ writeErr: (text) => (stderr += text) });
    // A usage error stops before the action: no database is opened.
    await expect(program.parseAsync(['node', 'roster', 'show'])).rejects.toMatchObject({ code: 'commander.missingArgument' });
    expect(isStub(show)).toBe(false);
    expect(stderr).toContain("missing required argument 'user'");
  });

  it.each([
    [['help', 'course', 'add'], ['course', 'add', '--help']],
    [['--db', 'x.db', 'help', 'db', 'status'], ['--db', 'x.db', 'db', 'status', '--help']],
    [['help', 'nosuch'], ['nosuch']],
    [['help'], ['help']],
    [['show', 'help'], ['show', 'help']],
    [['--', 'help', 'show'], ['--', 'help', 'show']],
  ])('help given as a command, %p, is read as %p', (argv, expected) => {
    const program = buildProgram(['node', 'roster', ...argv]);
    expect(helpAsFlag(program, ['node', 'roster', ...argv]).slice(2)).toEqual(expected);
  });
});
