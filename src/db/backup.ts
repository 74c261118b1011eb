import fs from 'node:fs';
import path from 'node:path';
import { ConflictError, NotFoundError } from '../core/errors';
import type { RosterDb } from './database';

/** SQLite's online backup: a consistent copy while other processes write. Mode 0600, like the database. */
export async function backupDatabase(db: RosterDb, file: string): Promise<{ file: string; bytes: number }> {
  const target = path.resolve(file);
  if (fs.existsSync(target)) throw new ConflictError(`${target} already exists`, 'choose a new file name; a backup never overwrites');
  if (!fs.existsSync(path.dirname(target))) throw new NotFoundError(`no directory ${path.dirname(target)}`);
  fs.closeSync(fs.openSync(target, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600));
  try {
    await db.raw.backup(target);
  } catch (error) {
    fs.rmSync(target, { force: true });
    throw error;
  }
  return { file: target, bytes: fs.statSync(target).size };
}
