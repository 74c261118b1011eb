import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase } from '../src/db/database';
import { BIN, rateFigure, tempDir } from './harness';

/**
 * Enrolment through the batch mechanism, as an administrator runs it:
 * `roster enroll - --course C --yes` with 100,000 usernames on stdin, and
 * `roster enroll --course C --field cohort=2026 --yes`, a filter that picks
 * 100,000 of 1,000,000 users. Each against the same work done with raw
 * better-sqlite3 statements in this process: look each user up, skip the
 * deleted, anonymized and system ones, insert the enrolment, write one audit
 * row, 1,000 users per transaction. roster's figure includes starting the
 * process, reading stdin, planning, re-reading each user inside its write
 * transaction, and the (text) report.
 */
const POPULATION = 1_000_000;
const COHORTS = 10;
const RUNS = 3;

export async function enrollBench(): Promise<void> {
  const dir = tempDir('enroll');
  try {
    const file = path.join(dir, 'roster.db');
    const built = Date.now();
    await buildPopulation(file);
    process.stdout.write(`  (${POPULATION.toLocaleString('en')} users built in ${((Date.now() - built) / 1000).toFixed(1)} s)\n`);
    const env = { ...process.env, ROSTER_DB: file, NO_COLOR: '1' };

    // Every 10th user (cohort 2020): 100,000 references, one a line.
    const refs: string[] = [];
    for (let i = 0; i < POPULATION; i += COHORTS) refs.push(`user${i}`);
    const refsText = `${refs.join('\n')}\n`;

    const byRef = { ours: Infinity, raw: Infinity };
    const byFilter = { ours: Infinity, raw: Infinity };
    for (let run = 0; run < RUNS; run++) {
      byRef.raw = Math.min(byRef.raw, rawEnrollRefs(file, `RR${run}`, refs));
      byRef.ours = Math.min(byRef.ours, cliEnroll(env, `OR${run}`, ['-'], refsText, refs.length));
      byFilter.raw = Math.min(byFilter.raw, rawEnrollFilter(file, `RF${run}`, '2026'));
      byFilter.ours = Math.min(byFilter.ours, cliEnroll(env, `OF${run}`, ['--field', 'cohort=2026'], '', POPULATION / COHORTS));
    }
    const n = refs.length;
    rateFigure(
      'enroll 100,000 users named on stdin into a course',
      n / (byRef.ours / 1000),
      n / (byRef.raw / 1000),
      'users/s',
      0.5,
      `best of ${RUNS}; roster ${byRef.ours.toFixed(0)} ms incl. process start, raw ${byRef.raw.toFixed(0)} ms`,
    );
    const m = POPULATION / COHORTS;
    rateFigure(
      'enroll by a filter selection over 1,000,000 users (100,000 match)',
      m / (byFilter.ours / 1000),
      m / (byFilter.raw / 1000),
      'users/s',
      0.5,
      `best of ${RUNS}; roster ${byFilter.ours.toFixed(0)} ms incl. process start, raw ${byFilter.raw.toFixed(0)} ms`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs roster enroll on a fresh course and returns its wall time in ms. */
function cliEnroll(env: NodeJS.ProcessEnv, code: string, selection: string[], input: string, expected: number): number {
  const add = spawnSync(process.execPath, [BIN, 'course', 'add', code, '--title', 'Bench'], { env, encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`course add failed: ${add.stderr}`);
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [BIN, 'enroll', ...selection, '--course', code, '--yes'], { env, input, encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`roster enroll exited ${result.status}: ${result.stderr.slice(0, 500)}`);
  const changed = Number(/enrolled (\d+) user/.exec(result.stdout)?.[1]);
  if (changed !== expected) throw new Error(`roster enroll changed ${changed} users, expected ${expected}`);
  return ms;
}

function openRaw(file: string): Database.Database {
  const db = new Database(file, { timeout: 30_000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  return db;
}

interface RawTarget {
  id: number;
  deleted_at: string | null;
  anonymized_at: string | null;
  is_system: number;
}

/** The raw statements of one enrolment: insert it, and audit it when it is new. */
function rawEnroller(db: Database.Database, code: string) {
  db.prepare(`INSERT INTO course (code, code_key, title, language, created_at) VALUES (?, ?, 'Bench', 'en', ?)`).run(
    code,
    code.toLowerCase(),
    new Date().toISOString(),
  );
  const courseId = (db.prepare('SELECT id FROM course WHERE code_key = ?').get(code.toLowerCase()) as { id: number }).id;
  const insert = db.prepare(`INSERT INTO course_user (course_id, user_id, role, enrolled_at) VALUES (?, ?, 'student', ?) ON CONFLICT DO NOTHING`);
  const auditRow = db.prepare(`INSERT INTO audit_log (at, actor, action, user_id, details) VALUES (?, 'bench', 'course.enroll', ?, ?)`);
  const details = JSON.stringify({ course: code, role: 'student' });
  return (user: RawTarget | undefined): void => {
    if (!user || user.deleted_at || user.anonymized_at || user.is_system) return;
    const at = new Date().toISOString();
    if (insert.run(courseId, user.id, at).changes) auditRow.run(at, user.id, details);
  };
}

function rawEnrollRefs(file: string, code: string, refs: string[]): number {
  const db = openRaw(file);
  try {
    const enroll = rawEnroller(db, code);
    const find = db.prepare('SELECT id, deleted_at, anonymized_at, is_system FROM user WHERE username_key = ?');
    const start = process.hrtime.bigint();
    const chunk = db.transaction((names: string[]) => {
      for (const name of names) enroll(find.get(name.toLowerCase()) as RawTarget | undefined);
    });
    for (let i = 0; i < refs.length; i += 1000) chunk.immediate(refs.slice(i, i + 1000));
    return Number(process.hrtime.bigint() - start) / 1e6;
  } finally {
    db.close();
  }
}

function rawEnrollFilter(file: string, code: string, cohort: string): number {
  const db = openRaw(file);
  try {
    const enroll = rawEnroller(db, code);
    const select = db.prepare(`SELECT id, deleted_at, anonymized_at, is_system FROM user
      WHERE deleted_at IS NULL AND is_system = 0 AND EXISTS (
        SELECT 1 FROM user_extra_value v JOIN extra_field f ON f.id = v.field_id
        WHERE v.user_id = user.id AND f.name = 'cohort' AND v.value = ?)
      ORDER BY id`);
    const start = process.hrtime.bigint();
    const users = select.all(cohort) as RawTarget[];
    const chunk = db.transaction((list: RawTarget[]) => {
      for (const user of list) enroll(user);
    });
    for (let i = 0; i < users.length; i += 1000) chunk.immediate(users.slice(i, i + 1000));
    return Number(process.hrtime.bigint() - start) / 1e6;
  } finally {
    db.close();
  }
}

/**
 * 1,000,000 users (9 students for 1 teacher, cohorts 2020…2029 in turn).
 * Written with raw statements for speed; the trigram search index is left
 * empty (its trigger is off during the load) because this suite never
 * searches by text.
 */
async function buildPopulation(file: string): Promise<void> {
  const db = await openDatabase(file);
  await db.close();
  const raw = openRaw(file);
  try {
    raw.exec('DROP TRIGGER user_search_insert');
    raw.prepare(`INSERT INTO extra_field (name, label, type, created_at) VALUES ('cohort', 'Cohort', 'number', ?)`).run(new Date().toISOString());
    const fieldId = (raw.prepare(`SELECT id FROM extra_field WHERE name = 'cohort'`).get() as { id: number }).id;
    const user = raw.prepare(`INSERT INTO user (username, username_key, email, email_key, firstname, lastname, language, active, registered_at, created_by)
      VALUES (?, ?, ?, ?, ?, ?, 'en', 1, ?, 'bench')`);
    const role = raw.prepare('INSERT INTO user_role (user_id, role) VALUES (?, ?)');
    const value = raw.prepare('INSERT INTO user_extra_value (user_id, field_id, value) VALUES (?, ?, ?)');
    const load = raw.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const name = `user${i}`;
        const email = `${name}@example.org`;
        const registered = new Date(Date.UTC(2020, 0, 1) + (i % 2000) * 86_400_000).toISOString();
        const id = Number(user.run(name, name, email, email, `First${i % 997}`, `Last${i % 1009}`, registered).lastInsertRowid);
        role.run(id, i % 10 === 9 ? 'teacher' : 'student');
        value.run(id, fieldId, String(2020 + (i % COHORTS)));
      }
    });
    for (let i = 0; i < POPULATION; i += 50_000) load(i, Math.min(POPULATION, i + 50_000));
    raw.exec(`CREATE TRIGGER user_search_insert AFTER INSERT ON user BEGIN
      INSERT INTO user_search(rowid, firstname, lastname, username, email, official_code)
      VALUES (new.id, new.firstname, new.lastname, new.username, new.email, new.official_code);
    END`);
    raw.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    raw.close();
  }
}
