import type { Kysely } from 'kysely';
import { usersByIdentityKeys } from '../db/import-repository';
import type { Database } from '../db/schema';
import type { CredentialsFile } from '../formats/import-files';
import { identityKey } from '../shared/folding';
import { verifyPassword } from './passwords';

/**
 * An earlier run with the same credentials file may have been killed after
 * writing the lines of a chunk and before committing it: those lines name
 * users that do not exist, or (if somebody created them since) a password
 * that does not work. They are removed before this run appends, so that the
 * file holds one working line per generated password. Only the last chunk
 * of a run can be uncommitted: the last `lastChunkLines` lines are checked
 * against the stored hash too. Returns how many lines were removed.
 */
export async function reconcileCredentials(db: Kysely<Database>, credentials: CredentialsFile, lastChunkLines: number): Promise<number> {
  const lines = credentials.existingLines();
  if (!lines.length) return 0;
  const keys = lines.map((l) => identityKey(l.username));
  const users = new Map((await usersByIdentityKeys(db, keys, [])).map((u) => [u.username_key, u]));
  const keep = keys.map((key) => users.has(key));
  for (let i = Math.max(0, lines.length - lastChunkLines); i < lines.length; i++) {
    const hash = users.get(keys[i]!)?.password_hash;
    if (keep[i] && (!hash || !(await verifyPassword(lines[i]!.password, hash)))) keep[i] = false;
  }
  const kept = lines.filter((_, i) => keep[i]);
  if (kept.length < lines.length) credentials.rewrite(kept);
  return lines.length - kept.length;
}
