import { Option, type Command } from 'commander';
import type { CommandRegistry } from '../cli/registry';
import { SYSTEM_INSTALL } from '../cli/completion-shells';
import { processIo } from '../cli/io';

export function register(commands: CommandRegistry): void {
  commands.add(
    'completion <shell>',
    'print the completion script of a shell (bash, zsh, fish): commands, options, their values, course codes…',
    (command) => {
      command.registeredArguments[0]!.choices(['bash', 'zsh', 'fish']);
      // What the script runs at each Tab: the words typed so far follow `--`.
      command.addOption(new Option('--complete', 'answer the script with what may follow the words given').hideHelp());
      command.allowExcessArguments();
      command.action((shell: string, options: { complete?: boolean }, self: Command) =>
        options.complete ? runComplete(self, shell, self.args.slice(1)) : runScript(shell),
      );
      command.addHelpText(
        'after',
        `
Install, for every user of the host (then open a new shell):
${Object.entries(SYSTEM_INSTALL)
  .map(([shell, line]) => `  ${`${shell}:`.padEnd(6)}${line}`)
  .join('\n')}
or for yourself: add source <(roster completion bash) to ~/.bashrc,
roster completion zsh > "\${fpath[1]}/_roster", or
roster completion fish > ~/.config/fish/completions/roster.fish.
Course codes, session names and extra fields are completed from the database
(--db when typed, else ROSTER_DB or the default); nothing is ever written to it.`,
      );
    },
    { shell: 'bash, zsh or fish' },
  );
}

async function runScript(shell: string): Promise<void> {
  const { completionScript } = await import('../cli/completion-shells');
  processIo().stdout.write(completionScript(shell as 'bash'));
}

async function runComplete(command: Command, shell: string, words: string[]): Promise<void> {
  const { answerCompletion } = await import('../cli/completion-answer');
  let program = command;
  while (program.parent) program = program.parent;
  processIo().stdout.write(await answerCompletion(program, shell as 'bash', words));
  // A PostgreSQL connection still being attempted (past the answer's deadline) must not keep the shell waiting.
  setTimeout(() => process.exit(), 50).unref();
}
