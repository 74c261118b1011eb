import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase } from '../src/db/database';
import { compileExportQuery } from '../src/db/export-query';
import { memoryFigure, peakMemoryMb, peakReporter, rateFigure, tempDir } from './harness';

/**
 * Export of 1,000,000 users next to a raw iteration of the same SQL piped
 * to csv-stringify, both as whole processes; and roster's peak memory.
 */
const USERS = 1_000_000;

async function buildDatabase(file: string): Promise<void> {
  const db = await openDatabase(file);
  await db.close();
  const raw = new Database(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = OFF');
  // The search index is not what is measured here: build without it.
  raw.exec('DROP TRIGGER user_search_insert');
  const at = new Date().toISOString();
  raw.prepare("INSERT INTO extra_field (name, label, type, choices, created_at) VALUES ('cohort', 'Cohort', 'number', NULL, ?)").run(at);
  const courses = Array.from({ length: 10 }, (_, i) => `C${i}`);
  const insertCourse = raw.prepare("INSERT INTO course (code, code_key, title, language, owner_id, created_at) VALUES (?, ?, ?, 'en', NULL, ?)");
  courses.forEach((code) => insertCourse.run(code, code.toLowerCase(), `Course ${code}`, at));
  raw
    .prepare("INSERT INTO training_session (name, name_key, starts_on, ends_on, created_at) VALUES ('Autumn', 'autumn', '2026-09-01', '2026-12-20', ?)")
    .run(at);
  const user = raw.prepare(
    `INSERT INTO user (username, username_key, email, email_key, firstname, lastname, password_hash, official_code, phone,
       language, auth_source, active, registered_at, created_by) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, 'fr', 'platform', 1, ?, 'bench')`,
  );
  const role = raw.prepare('INSERT INTO user_role (user_id, role) VALUES (?, ?)');
  const extra = raw.prepare('INSERT INTO user_extra_value (user_id, field_id, value) VALUES (?, 1, ?)');
  const course = raw.prepare("INSERT INTO course_user (course_id, user_id, role, enrolled_at) VALUES (?, ?, 'student', ?)");
  const session = raw.prepare('INSERT INTO session_user (session_id, user_id, enrolled_at) VALUES (1, ?, ?)');
  raw.transaction(() => {
    for (let i = 0; i < USERS; i++) {
      const name = `user${i}`;
      const id = user.run(
        name,
        name,
        `${name}@example.org`,
        `${name}@example.org`,
        `Prénom${i}`,
        `Nom${i}`,
        `OC${i}`,
        i % 7 ? null : `+33 6 ${i}`,
        at,
      ).lastInsertRowid;
      role.run(id, i % 50 ? 'student' : 'teacher');
      if (i % 3 === 0) extra.run(id, String(2020 + (i % 7)));
      if (i % 2 === 0) course.run((i % 10) + 1, id, at);
      if (i % 5 === 0) session.run(id, at);
    }
  })();
  raw.close();
}

export async function exportBench(): Promise<void> {
  const dir = tempDir('export');
  const file = path.join(dir, 'roster.db');
  const started = Date.now();
  await buildDatabase(file);
  process.stdout.write(`  (built ${USERS.toLocaleString('en')} users in ${((Date.now() - started) / 1000).toFixed(0)} s)\n`);

  // Raw: the same SQL (roles, extra values, enrolments), better-sqlite3 iterate → csv-stringify → file.
  const db = await openDatabase(file);
  const compiled = compileExportQuery(db, {}, { courses: true, sessions: true });
  await db.close();
  const rawScript = path.join(dir, 'raw-export.js');
  fs.writeFileSync(
    rawScript,
    `const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
     const { stringify } = require(${JSON.stringify(require.resolve('csv-stringify'))});
     const fs = require('node:fs');
     const [dbFile, outFile] = process.argv.slice(2);
     const db = new Database(dbFile, { readonly: true });
     const rows = db.prepare(${JSON.stringify(compiled.sql)}).raw(true).iterate(...${JSON.stringify(compiled.parameters)});
     const out = fs.createWriteStream(outFile);
     const csv = stringify({ delimiter: ';' });
     csv.pipe(out);
     (async () => {
       for (const row of rows) if (!csv.write(row)) await new Promise((r) => csv.once('drain', r));
       csv.end();
       await new Promise((r) => out.once('close', r));
     })();`,
  );
  const env = { PATH: process.env.PATH, HOME: os.tmpdir(), ROSTER_DB: file, NO_COLOR: '1' };
  let rawMs = Infinity;
  let rawMb = 0;
  let ours = { ms: Infinity, mb: 0 };
  for (let round = 0; round < 2; round++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(process.execPath, ['-r', peakReporter(), rawScript, file, path.join(dir, 'raw.csv')], {
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    if (result.status !== 0) throw new Error(`raw export failed: ${result.stderr}`);
    rawMs = Math.min(rawMs, Number(process.hrtime.bigint() - start) / 1e6);
    rawMb = Math.max(rawMb, Number(/PEAK_RSS_KB=(\d+)/.exec(result.stderr)?.[1] ?? NaN) / 1024);
    const run = peakMemoryMb(['export', path.join(dir, 'users.csv'), '--force'], env);
    ours = { ms: Math.min(ours.ms, run.ms), mb: Math.max(ours.mb, run.mb) };
  }
  const lines = countLines(path.join(dir, 'users.csv'));
  if (lines !== USERS + 1) throw new Error(`export bench: ${lines} lines written, expected ${USERS + 1}`);
  rateFigure(
    'export 1,000,000 users to CSV (CLI, whole command)',
    (USERS / ours.ms) * 1000,
    (USERS / rawMs) * 1000,
    'rows/s',
    0.8,
    `roster ${(ours.ms / 1000).toFixed(1)} s, raw ${(rawMs / 1000).toFixed(1)} s (same SQL, csv-stringify)`,
  );
  memoryFigure('export 1,000,000 users, peak memory', ours.mb, rawMb, 150, 'raw: the same iteration piped to csv-stringify');
  fs.rmSync(dir, { recursive: true, force: true });
}

function countLines(file: string): number {
  const fd = fs.openSync(file, 'r');
  const buffer = Buffer.alloc(1 << 20);
  let count = 0;
  for (let n = fs.readSync(fd, buffer); n > 0; n = fs.readSync(fd, buffer)) {
    for (let i = buffer.indexOf(10); i !== -1 && i < n; i = buffer.indexOf(10, i + 1)) count++;
  }
  fs.closeSync(fd);
  return count;
}
