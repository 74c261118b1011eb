import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { cannotWrite, checkOutputPath, OutputFile } from '../formats/output-file';
import { databaseFiles } from './database-files';
import { NotFoundError, SystemError } from '../shared/errors';
import type { PostgresDb, RosterDb } from './database';
import { redactUrl } from './reference';

/**
 * A consistent copy while other processes write: SQLite's online backup, or
 * `pg_dump -Fc` for PostgreSQL. It is written under a temporary name (mode
 * 0600, like the database) and takes the target's name when complete; an
 * existing file is replaced only with force.
 */
export async function backupDatabase(db: RosterDb, file: string, options: { force?: boolean } = {}): Promise<{ file: string; bytes: number }> {
  const target = checkOutputPath(file, { force: options.force, protect: databaseFiles(db) });
  const dump = db.engine === 'postgres' ? pgDumpCommand(db) : undefined;
  const output = new OutputFile(target, Boolean(options.force));
  // The engine writes the copy itself (SQLite syncs it when its transaction commits).
  output.close();
  try {
    if (db.engine === 'sqlite') await db.raw.backup(output.temporary);
    else await runPgDump(dump!, output.temporary, target);
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

interface PgDump {
  program: string;
  /** The URL without its password, which travels in PGPASSWORD: a command line is visible to every user of the host (ps). */
  url: string;
  password: string | undefined;
  shown: string;
}

function pgDumpCommand(db: PostgresDb): PgDump {
  const program = findPgDump();
  const url = new URL(db.connectionUrl);
  const password = url.password ? decodeURIComponent(url.password) : (url.searchParams.get('password') ?? undefined);
  url.password = '';
  url.searchParams.delete('password');
  if (!program) {
    throw new NotFoundError(
      'pg_dump is not installed: roster backs up a PostgreSQL database with it',
      `install PostgreSQL's client programs (Debian: apt install postgresql-client), or run it yourself: pg_dump -Fc -f <file> '${redactUrl(db.connectionUrl)}'`,
    );
  }
  return { program, url: url.toString(), password, shown: db.location };
}

/** pg_dump on the PATH, else the newest of Debian's server packages (which are not on the PATH). */
function findPgDump(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, 'pg_dump');
    if (fs.existsSync(candidate)) return candidate;
  }
  const debian = '/usr/lib/postgresql';
  if (!fs.existsSync(debian)) return undefined;
  const versions = fs
    .readdirSync(debian)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => path.join(debian, v, 'bin', 'pg_dump')).find((candidate) => fs.existsSync(candidate));
}

function runPgDump(dump: PgDump, file: string, target: string): Promise<void> {
  const env = { ...process.env, ...(dump.password === undefined ? {} : { PGPASSWORD: dump.password }) };
  return new Promise((resolve, reject) => {
    const child = spawn(dump.program, ['--format=custom', '--no-password', `--file=${file}`, `--dbname=${dump.url}`], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', (error) => reject(new SystemError(`cannot run ${dump.program}: ${error.message}`)));
    child.on('close', (code) => {
      if (code === 0) return resolve();
      const said = stderr.trim().split('\n').slice(-3).join('; ');
      const hint = /space left|disk full|quota/i.test(said)
        ? 'free some space there, or choose another directory'
        : 'pg_dump must be of the same major version as the server or newer; check it with pg_dump --version';
      reject(new SystemError(`cannot back up ${dump.shown} to ${target}: pg_dump failed (exit ${code}): ${said}`, hint));
    });
  });
}
