import type { Kysely } from 'kysely';
import { usersByIdentityKeys } from '../db/import-repository';
import type { Database } from '../db/schema';
import type { CredentialLine, CredentialsFile } from '../formats/import-files';
import { identityKey } from '../shared/folding';
import { verifyPassword } from './passwords';

/**
 * An earlier run with the same credentials file may have been killed after
 * staging the passwords of a chunk (core/import.ts) and before appending
 * them to the file. The chunk may or may not have been committed: a staged
 * line whose user exists with that password was (it joins the file, where
 * missing), the others were not (their passwords are dropped: those users
 * do not exist and get new passwords when their rows are imported). The
 * lines of the file itself are never touched. `recovered`: the lines added
 * to the file.
 */
export async function settleCredentials(db: Kysely<Database>, credentials: CredentialsFile): Promise<{ recovered: number; dropped: number }> {
  const lines = credentials.pendingLines();
  const keys = lines.map((l) => identityKey(l.username));
  const users = new Map(keys.length ? (await usersByIdentityKeys(db, keys, [])).map((u) => [u.username_key, u]) : []);
  const committed: CredentialLine[] = [];
  for (const [i, line] of lines.entries()) {
    const hash = users.get(keys[i]!)?.password_hash;
    if (hash && (await verifyPassword(line.password, hash))) committed.push(line);
  }
  return { recovered: credentials.settle(committed), dropped: lines.length - committed.length };
}
