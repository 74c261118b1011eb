import fs from 'node:fs';
import { cannotWrite, checkOutputPath, databaseFiles, OutputFile } from '../formats/output-file';
import type { RosterDb } from './database';

/**
 * SQLite's online backup: a consistent copy while other processes write.
 * It is written under a temporary name (mode 0600, like the database) and
 * takes the target's name when complete; an existing file is replaced only
 * with force.
 */
export async function backupDatabase(db: RosterDb, file: string, options: { force?: boolean } = {}): Promise<{ file: string; bytes: number }> {
  const target = checkOutputPath(file, { force: options.force, protect: databaseFiles(db.path) });
  const output = new OutputFile(target, Boolean(options.force));
  // SQLite writes the copy itself (and syncs it when its transaction commits).
  output.close();
  try {
    await db.raw.backup(output.temporary);
    output.commit();
  } catch (error) {
    output.abandon();
    fs.rmSync(`${output.temporary}-journal`, { force: true });
    const code = (error as { code?: unknown }).code;
    if (code === 'SQLITE_FULL') throw cannotWrite(target, { code: 'ENOSPC' });
    if (typeof code === 'string' && code.startsWith('SQLITE_IOERR')) throw cannotWrite(target, { code: 'EIO' });
    throw error;
  }
  return { file: target, bytes: fs.statSync(target).size };
}
