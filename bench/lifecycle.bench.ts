import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { BIN, medianCommandMs, rateFigure, tempDir, timeFigure } from './harness';

const USERS = 200_000;
const DUE = 100_000;
// roster runs on the real clock: the seeded expiry dates are set around it.
const NOW = new Date().toISOString();
const PAST = new Date(Date.now() - 30 * 86_400_000).toISOString();
const FUTURE = new Date(Date.now() + 365 * 86_400_000).toISOString();

/**
 * The account lifecycle at the scale of a large platform: 200,000 users, half
 * of them due to expire. Each figure is set against the same work done with
 * raw better-sqlite3 statements in the same run.
 */
export async function lifecycleBench(): Promise<void> {
  const dir = tempDir('lifecycle');
  const file = path.join(dir, 'roster.db');
  const env = { PATH: process.env.PATH, HOME: dir, ROSTER_DB: file };
  const roster = (args: string[]) => {
    const start = process.hrtime.bigint();
    const result = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 26 });
    if (result.status !== 0) throw new Error(`roster ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  roster(['db', 'migrate']);
  seed(file);

  // Expiry: roster expire (a whole process) against the same chunked reads, updates and audit inserts done raw.
  const reset = () => {
    const db = new Database(file);
    db.exec("UPDATE user SET active = 1 WHERE is_system = 0; DELETE FROM audit_log WHERE action = 'user.expire'");
    db.close();
  };
  const expireTimes: number[] = [];
  const rawTimes: number[] = [];
  for (let i = 0; i < 3; i++) {
    reset();
    expireTimes.push(roster(['expire', '--quiet']));
    reset();
    rawTimes.push(rawExpire(file));
  }
  const ours = DUE / (median(expireTimes) / 1000);
  const raw = DUE / (median(rawTimes) / 1000);
  // Goal: within 3× of the floor. roster pays for a process start, a count, a savepoint per
  // account (a refusal undoes only that account) and a JSON audit row each.
  rateFigure(
    `expire ${DUE.toLocaleString('en')} of ${USERS.toLocaleString('en')} accounts`,
    ours,
    raw,
    'accounts/s',
    0.33,
    'whole process, savepoint and audit row per account',
  );

  // The cron case: nothing due. roster expire against a bare node process running the same query.
  const noop = medianCommandMs(process.execPath, [BIN, 'expire', '--quiet'], env, 9);
  const bare = medianCommandMs(process.execPath, ['-e', RAW_NOOP, file, NOW], env, 9);
  timeFigure('expire with nothing due (cron every minute)', noop, bare, 3, 'process start included');

  // Anonymizing one account in the big database: secure erasure (index, freed pages, log) against a plain update.
  const targets = new Database(file, { readonly: true }).prepare('SELECT username FROM user WHERE is_system = 0 ORDER BY id LIMIT 20').all() as {
    username: string;
  }[];
  const anonymize: number[] = [];
  for (const t of targets.slice(0, 5)) anonymize.push(roster(['anonymize', t.username, '--yes']));
  const plain: number[] = [];
  for (const t of targets.slice(5, 10)) {
    const start = process.hrtime.bigint();
    const result = spawnSync(process.execPath, ['-e', RAW_ANONYMIZE, file, t.username], { env });
    if (result.status !== 0) throw new Error(`raw anonymize failed: ${String(result.stderr)}`);
    plain.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  timeFigure('anonymize one account among 200,000', median(anonymize), median(plain), 4, 'raw: one UPDATE without erasure of old copies');
  fs.rmSync(dir, { recursive: true, force: true });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function seed(file: string): void {
  const db = new Database(file);
  const insert =
    db.prepare(`INSERT INTO user (username, username_key, email, email_key, firstname, lastname, password_hash, language, active, expires_at, registered_at)
    VALUES (?, ?, ?, ?, ?, ?, NULL, 'en', 1, ?, '2026-01-01T00:00:00.000Z')`);
  const role = db.prepare("INSERT INTO user_role (user_id, role) VALUES (?, 'student')");
  db.transaction(() => {
    for (let i = 0; i < USERS; i++) {
      const name = `user${i}`;
      const id = insert.run(name, name, `${name}@example.org`, `${name}@example.org`, `First${i}`, `Last${i}`, i % 2 ? PAST : FUTURE).lastInsertRowid;
      role.run(id);
    }
  })();
  db.close();
}

/** The floor of expiry: the due rows read a chunk at a time, each deactivated and audited, in immediate transactions. */
function rawExpire(file: string): number {
  const start = process.hrtime.bigint();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const due = db.prepare('SELECT id FROM user WHERE deleted_at IS NULL AND is_system = 0 AND active = 1 AND expires_at <= ? AND id > ? ORDER BY id LIMIT 1000');
  const update = db.prepare('UPDATE user SET active = 0 WHERE id = ?');
  const audit = db.prepare("INSERT INTO audit_log (at, actor, action, user_id, details) VALUES (?, 'bench', 'user.expire', ?, ?)");
  let after = 0;
  const chunk = db.transaction(() => {
    const rows = due.all(NOW, after) as { id: number }[];
    for (const r of rows) {
      update.run(r.id);
      audit.run(NOW, r.id, '{"reason":"expired","changes":[{"field":"active","before":1,"after":0}]}');
    }
    if (rows.length) after = rows[rows.length - 1]!.id;
    return rows.length;
  });
  while (chunk.immediate() === 1000);
  db.close();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const RAW_NOOP = `
const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
const db = new Database(process.argv[1]);
db.prepare('SELECT count(*) FROM user WHERE deleted_at IS NULL AND is_system = 0 AND active = 1 AND expires_at <= ?').get(process.argv[2]);
db.close();`;

const RAW_ANONYMIZE = `
const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
const db = new Database(process.argv[1]);
db.prepare("UPDATE user SET firstname = 'Anonymous', lastname = 'User', username = 'x-' || id, username_key = 'x-' || id, email = 'x-' || id || '@a.invalid', email_key = 'x-' || id || '@a.invalid', active = 0 WHERE username = ?").run(process.argv[2]);
db.close();`;
