import { NotConfirmedError } from '../shared/errors';
import { promptContext, type Io } from './io';
import { escapeValue } from './terminal-text';

/**
 * Asks a person to confirm; --yes answers for them. Without a terminal
 * nobody can answer, so the command stops (exit 7) instead of hanging.
 */
export async function confirmOrStop(io: Io, yes: boolean, question: string, options: { offersDryRun?: boolean } = {}): Promise<void> {
  if (yes) return;
  if (!io.interactive) {
    throw new NotConfirmedError(
      `${question.replace(/\?$/, '')}: confirmation needed, but stdin is not a terminal`,
      options.offersDryRun ? 'pass --yes to confirm, or --dry-run to see what would change' : 'pass --yes to confirm',
    );
  }
  const { confirm } = await import('@inquirer/prompts');
  // The question names users: escaped, as everything drawn on the terminal.
  const answer = await confirm({ message: escapeValue(question), default: false }, promptContext(io));
  if (!answer) throw new NotConfirmedError('not confirmed; nothing was changed');
}
