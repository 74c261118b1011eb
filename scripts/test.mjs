// `npm test`'s runner: the jest suite on SQLite, then on PostgreSQL when its
// server binaries are installed (a throwaway cluster: scripts/pg-cluster.mjs,
// stopped and removed at the end, even after a failure or an interrupt).
// Arguments are passed to jest (`npm test -- test/e2e/add.test.ts`).
// ROSTER_TEST_ENGINES=sqlite (or postgres) runs one engine only.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, URL } from 'node:url';
import { findServerBinaries, startCluster } from './pg-cluster.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const jest = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
const roster = path.join(root, 'bin', 'roster');
const args = process.argv.slice(2);
const wanted = (process.env.ROSTER_TEST_ENGINES ?? 'sqlite,postgres').split(',').map((e) => e.trim());
const summary = [];
let failed = false;

function runJest(engine, env = {}) {
  process.stdout.write(`\n=== jest on ${engine} ===\n`);
  const result = spawnSync(process.execPath, [jest, ...args], { cwd: root, stdio: 'inherit', env: { ...process.env, ROSTER_TEST_ENGINE: engine, ...env } });
  return result.status === 0;
}

if (wanted.includes('sqlite')) {
  const ok = runJest('sqlite');
  failed ||= !ok;
  summary.push(`sqlite: ${ok ? 'passed' : 'FAILED'}`);
}

if (wanted.includes('postgres')) {
  const bin = findServerBinaries();
  if (!bin) {
    summary.push("postgres: not run (no PostgreSQL server binaries: install Debian's postgresql package, or set ROSTER_PG_BIN)");
    // CI installs PostgreSQL (.ci/run): there, a suite that skipped it did not pass.
    if (process.env.ROSTER_TEST_REQUIRE_POSTGRES) failed = true;
  } else {
    const cluster = await startCluster(bin);
    const stop = () => cluster.stop();
    const interrupted = (signal) => {
      stop();
      process.kill(process.pid, signal);
    };
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
    try {
      // Every test database is a copy of this one, migrated once.
      const template = new URL(cluster.url);
      template.pathname = '/roster_template';
      const create = spawnSync(process.execPath, [path.join(root, 'test', 'support', 'pg-tool.js'), 'create', cluster.url, 'roster_template'], {
        encoding: 'utf8',
      });
      if (create.status !== 0) throw new Error(`cannot create the template database: ${create.stderr}`);
      const migrate = spawnSync(process.execPath, [roster, '--db', template.toString(), 'db', 'migrate'], { encoding: 'utf8' });
      if (migrate.status !== 0) throw new Error(`cannot migrate the template database: ${migrate.stderr}`);
      const version = spawnSync(path.join(bin, 'postgres'), ['--version'], { encoding: 'utf8' }).stdout.trim();
      const ok = runJest('postgres', { ROSTER_TEST_POSTGRES: cluster.url, ROSTER_PG_BIN: bin });
      failed ||= !ok;
      summary.push(`postgres: ${ok ? 'passed' : 'FAILED'} (${version}, throwaway cluster on port ${cluster.port})`);
    } catch (error) {
      failed = true;
      summary.push(`postgres: FAILED (${error.message})`);
    } finally {
      stop();
    }
  }
}

process.stdout.write(`\nengines: ${summary.join('; ')}\n`);
process.exit(failed ? 1 : 0);
