// A throwaway PostgreSQL cluster for the tests and the bench: initdb into a
// temporary directory, a private port on loopback and a private socket
// directory, fsync off (nothing in it needs to survive a crash), removed
// again by stop(). initdb refuses to run as root, so as root the cluster
// belongs to the `postgres` account (Debian's package creates it), else to
// `nobody`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';

const SUPERUSER = 'roster_test';
// Connections over TCP authenticate with a password, as on a real server: the
// tests check that it never appears in roster's output.
const PASSWORD = `pw-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;

/** The directory of PostgreSQL's server binaries, or undefined when none is installed. */
export function findServerBinaries(env = process.env) {
  const candidates = [];
  if (env.ROSTER_PG_BIN) candidates.push(env.ROSTER_PG_BIN);
  const config = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (config.status === 0) candidates.push(config.stdout.trim());
  const debian = '/usr/lib/postgresql';
  if (fs.existsSync(debian)) {
    const versions = fs
      .readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) candidates.push(path.join(debian, version, 'bin'));
  }
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'pg_ctl')));
}

function clusterOwner() {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    const id = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (id.status === 0 && gid.status === 0) return { name, uid: Number(id.stdout), gid: Number(gid.stdout) };
  }
  throw new Error('running as root, and neither a postgres nor a nobody account exists to own the test cluster (initdb refuses root)');
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function runAs(owner, command, args, options = {}) {
  const result = owner
    ? spawnSync('setpriv', [`--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--init-groups', command, ...args], { encoding: 'utf8', ...options })
    : spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.status !== 0) {
    throw new Error(`${path.basename(command)} failed (exit ${result.status}): ${(result.stderr || result.stdout || '').trim()}`);
  }
  return result.stdout;
}

/**
 * Starts a cluster; returns { url, password, bin, dir, port, stop() }. `url`
 * names the superuser's maintenance database; tests create their own.
 */
export async function startCluster(bin = findServerBinaries()) {
  if (!bin) throw new Error("PostgreSQL server binaries not found (install Debian's postgresql package, or set ROSTER_PG_BIN)");
  const owner = clusterOwner();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-pg-'));
  const data = path.join(dir, 'data');
  const socket = path.join(dir, 'socket');
  fs.mkdirSync(socket);
  if (owner) {
    fs.chownSync(dir, owner.uid, owner.gid);
    fs.chownSync(socket, owner.uid, owner.gid);
  }
  const stop = () => {
    if (fs.existsSync(path.join(data, 'postmaster.pid'))) {
      try {
        runAs(owner, path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], { stdio: 'pipe' });
      } catch {
        // Already gone: removing the directory is all that is left to do.
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const passwordFile = path.join(dir, 'password');
    fs.writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    if (owner) fs.chownSync(passwordFile, owner.uid, owner.gid);
    const init = [
      '-D',
      data,
      '-U',
      SUPERUSER,
      `--pwfile=${passwordFile}`,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C.UTF-8',
      '--no-sync',
    ];
    runAs(owner, path.join(bin, 'initdb'), init, { stdio: 'pipe' });
    fs.rmSync(passwordFile);
    const port = await freePort();
    const settings = [
      `-p ${port}`,
      `-k ${socket}`,
      "-c listen_addresses='127.0.0.1'",
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=60',
      '-c shared_buffers=128MB',
    ].join(' ');
    runAs(owner, path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'server.log'), '-o', settings, '-w', '-t', '60', 'start'], { stdio: 'pipe' });
    return { url: `postgres://${SUPERUSER}:${PASSWORD}@127.0.0.1:${port}/postgres`, password: PASSWORD, bin, dir, port, stop };
  } catch (error) {
    const log = path.join(dir, 'server.log');
    const detail = fs.existsSync(log) ? `\n${fs.readFileSync(log, 'utf8').slice(-2000)}` : '';
    stop();
    throw new Error(`${error.message}${detail}`);
  }
}
