import type { Command } from 'commander';
import type { NamedRecordKind } from '../core/record-names';
import { completeWords, type Completion, type Shell } from './completion';
import { renderCompletion, wordsFromShell } from './completion-shells';
import { defineAll } from './registry';

/**
 * A person waits for the answer at every Tab: a database slower than this
 * (a PostgreSQL server down, its host unreachable) gives no names rather
 * than a stuck shell.
 */
const NAMES_DEADLINE_MS = 1500;

/**
 * The answer to the completion script for the words typed after `roster`.
 * Never an error on the terminal of someone typing: a failure is an answer
 * with no candidates. A connection still being attempted after the deadline
 * is left behind: the caller exits once the answer is written.
 */
export async function answerCompletion(program: Command, shell: Shell, typed: readonly string[]): Promise<string> {
  const { words, kept } = wordsFromShell(shell, typed);
  let completion: Completion;
  try {
    completion = await completeWords(defineAll(program), words, namesFromDatabase);
  } catch {
    completion = { candidates: [], directive: 'plain' };
  }
  return renderCompletion(shell, completion, kept);
}

/**
 * The names of the records in the database that the command line names, opened
 * the way `db status` opens it: never created, never migrated, so that a
 * Tab never writes anything. No database, or one that cannot be read: no names.
 */
async function namesFromDatabase(kind: NamedRecordKind, prefix: string, database: string | undefined): Promise<string[]> {
  const [{ openDatabase, resolveDatabaseReference }, { recordNamesStartingWith }] = await Promise.all([
    import('../db/database'),
    import('../core/record-names'),
  ]);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<string[]>((resolve) => {
    timer = setTimeout(() => resolve([]), NAMES_DEADLINE_MS);
  });
  const lookup = (async () => {
    const db = await openDatabase(resolveDatabaseReference(database), { create: false, migrate: false });
    try {
      return await recordNamesStartingWith(db, kind, prefix);
    } finally {
      await db.close();
    }
  })().catch(() => []);
  try {
    return await Promise.race([lookup, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
